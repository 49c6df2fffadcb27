"""``FastCocoMetric``: mmdet's ``CocoMetric`` with a selectable evaluation backend and a fast results dump.

mmdet's ``CocoMetric`` always evaluates with pycocotools, whose Python loops over images and detections take
most of a COCO-size validation, and goes through a json file: one dict per detection, written with ``json.dump``
(a pure-Python encoder) and read back. This subclass takes the same arguments, computes the same numbers under
the same keys, and writes the same results files (where they are kept), with:

- ``backend='mmext'`` (the default; see :mod:`mmext.evaluation.coco_backends`): pycocotools' numbers, bit for
  bit, computed on numpy arrays made straight from the results: no per-detection dict, no json, no ``loadRes``;
- the results files written only when ``outfile_prefix`` is given (mmdet also writes them to a temporary
  directory it deletes), a whole image at a time with json's C encoder; the dict backends evaluate the same
  content from memory rather than read back from a file (same values: json keeps floats exactly);
- mmengine's per-value walk over the results (``_to_cpu``) skipped for the mask lists, which hold no tensor;
- Python's cyclic garbage collector paused while it runs.

The evaluation objects of the last run are kept in ``last_evals`` (metric -> COCOeval), for callers that want the
full-precision summary (``stats``) or ``eval['precision']``.
"""
from __future__ import annotations

import logging
import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np
from mmdet.evaluation.metrics import CocoMetric
from mmdet.registry import METRICS
from mmengine.dist import broadcast_object_list, collect_results, is_main_process
from mmengine.evaluator.metric import _to_cpu
from mmengine.logging import MMLogger, print_log

from mmext.datasets.loading.annotation_file import paused_gc
from mmext.errors import ConfigError, DatasetError
from mmext.evaluation.array_cocoeval import ArrayCOCOeval
from mmext.evaluation.coco_arrays import Unsupported, detections
from mmext.evaluation.coco_backends import check_backend, evaluator, ground_truth
from mmext.evaluation.coco_classwise import classwise_table, per_class_ap
from mmext.evaluation.coco_results import json_content, write_results
from mmext.registry import register

DEFAULT_BACKEND = 'mmext'
# index of each summary number in COCOeval.stats (as mmdet's CocoMetric names them)
STAT_NAMES = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100', 'AR@300', 'AR@1000', 'AR_s@1000',
              'AR_m@1000', 'AR_l@1000')


@register(METRICS)
class FastCocoMetric(CocoMetric):
    """COCO bbox / segm / proposal metric with a choice of evaluation backend.

    Args:
        backend: ``'mmext'`` (pycocotools' numbers, bit for bit, on numpy arrays), ``'pycocotools'`` (the
            reference) or ``'faster-coco-eval'`` (differs in the last bits); see
            :mod:`mmext.evaluation.coco_backends`. Defaults to ``'mmext'``.
        **kwargs: mmdet ``CocoMetric`` arguments (``ann_file``, ``metric``, ``classwise``, ``proposal_nums``,
            ``iou_thrs``, ``metric_items``, ``format_only``, ``outfile_prefix``, ``backend_args``, ``prefix``,
            ``sort_categories``, ``use_mp_eval`` (pycocotools only), ...).

    Raises:
        ConfigError: Unknown or uninstalled backend, or ``use_mp_eval`` with a backend other than pycocotools.

    Example:
        >>> val_evaluator = dict(type='FastCocoMetric',  # backend='mmext'
        ...                      ann_file='data/mine/annotations/val.json', metric=['bbox', 'segm'])
    """

    def __init__(self, *args, backend: str = DEFAULT_BACKEND, **kwargs) -> None:
        self.backend = check_backend(backend)
        if kwargs.get('use_mp_eval') and backend != 'pycocotools':
            raise ConfigError(f"FastCocoMetric: use_mp_eval=True is pycocotools' multi-process mode and does not "
                              f"apply to backend='{backend}'; drop use_mp_eval (the default backend 'mmext' is faster "
                              f"than it) or set backend='pycocotools'.")
        super().__init__(*args, **kwargs)
        self.last_evals: dict[str, Any] = {}
        self._backend_gt: tuple[int, Any] | None = None  # (id of the mmdet COCO it was made from, object)

    def _gt(self) -> Any:
        """The backend's ground truth, made once per mmdet COCO object."""
        if self._backend_gt is None or self._backend_gt[0] != id(self._coco_api):
            self._backend_gt = (id(self._coco_api), ground_truth(self.backend, self._coco_api))
        return self._backend_gt[1]

    def results2json(self, results: Sequence[dict], outfile_prefix: str) -> dict:
        """Write the results as COCO json files, with the content mmdet's ``CocoMetric.results2json`` writes.

        Returns:
            ``{'bbox': path, 'proposal': path[, 'segm': path]}``.
        """
        return write_results(json_content(results, self.cat_ids), outfile_prefix)

    def evaluate(self, size: int) -> dict:
        """mmengine's ``BaseMetric.evaluate``, without its walk into every mask of every result.

        mmengine moves every tensor of the results to the CPU by visiting each value, each RLE dict of each mask
        included (about 0.4 s per 50,000 masks). ``process`` stores the masks as RLEs (bytes and ints): those
        lists are passed as they are; everything else goes through mmengine's ``_to_cpu`` as before.
        """
        if not self.results:
            print_log(f'{self.__class__.__name__} got empty `self.results`. Please ensure that the processed '
                      'results are properly added into `self.results` in `process` method.',
                      logger='current', level=logging.WARNING)
        results = collect_results(self.results, size, self.collect_device,
                                  **(dict(tmpdir=self.collect_dir) if self.collect_device == 'cpu' else {}))
        metrics = [None]
        if is_main_process():
            found = self.compute_metrics(_to_cpu_but_masks(results))
            metrics = [{'/'.join((self.prefix, k)) if self.prefix else k: v for k, v in found.items()}]
        broadcast_object_list(metrics)
        self.results.clear()
        return metrics[0]

    def compute_metrics(self, results: list) -> dict[str, float]:
        """Compute the metrics from the processed results, as mmdet's ``CocoMetric`` does, with the backend.

        Returns:
            The metrics, under mmdet's keys (``bbox_mAP``, ``bbox_mAP_50``, ..., ``<class>_precision``).
        """
        logger: MMLogger = MMLogger.get_current_instance()
        gts, preds = zip(*results)
        tmp_dir = None
        if self.outfile_prefix is None:
            tmp_dir = tempfile.TemporaryDirectory()
            outfile_prefix = osp.join(tmp_dir.name, 'results')
        else:
            outfile_prefix = self.outfile_prefix
        # The evaluation makes a few dicts per detection (millions for a COCO-size validation), none in a cycle;
        # the cyclic garbage collector would walk the growing heap again and again: about a third of the time.
        try:
            with paused_gc():
                return self._compute(gts, preds, outfile_prefix, logger)
        finally:
            if tmp_dir is not None:
                tmp_dir.cleanup()

    def _compute(self, gts, preds, outfile_prefix: str, logger: MMLogger) -> dict[str, float]:
        if self._coco_api is None:
            from mmdet.datasets.api_wrappers import COCO
            logger.info('Converting ground truth to coco format...')
            self._coco_api = COCO(self.gt_to_coco_json(gt_dicts=gts, outfile_prefix=outfile_prefix))
        if self.cat_ids is None:
            self.cat_ids = self._coco_api.get_cat_ids(cat_names=self.dataset_meta['classes'])
        if self.img_ids is None:
            self.img_ids = self._coco_api.get_img_ids()
        # mmdet always writes the results json, to a temporary directory when no outfile_prefix is given (and
        # reads it back); here the files are written only where they are kept, and the 'mmext' backend
        # evaluates from the result arrays without making the json content at all
        content = None
        if self.outfile_prefix is not None or self.backend != 'mmext':
            content = json_content(preds, self.cat_ids)
        if self.outfile_prefix is not None:
            write_results(content, outfile_prefix)
        eval_results: dict[str, float] = OrderedDict()
        self.last_evals = {}
        if self.format_only:
            logger.info(f'results are saved in {osp.dirname(outfile_prefix)}')
            return eval_results
        inputs = _Inputs(preds, content)
        for metric in self.metrics:
            logger.info(f'Evaluating {metric} ({self.backend})...')
            if metric == 'proposal_fast':
                ar = self.fast_eval_recall(preds, self.proposal_nums, self.iou_thrs, logger=logger)
                for i, num in enumerate(self.proposal_nums):
                    eval_results[f'AR@{num}'] = ar[i]
                logger.info(''.join(f'\nAR@{num}\t{ar[i]:.4f}' for i, num in enumerate(self.proposal_nums)))
                continue
            items = self._metric_items(metric)
            if metric == 'segm' and 'masks' not in preds[0]:
                raise KeyError(f'{metric} is not in results')
            coco_eval = self._evaluate(metric, inputs, logger)
            if coco_eval is None:
                logger.error('The testing results of the whole dataset is empty.')
                break
            self.last_evals[metric] = coco_eval
            if metric == 'proposal':
                for item in items:
                    eval_results[item] = float(f'{coco_eval.stats[STAT_NAMES.index(item)]:.3f}')
                continue
            if self.classwise:
                eval_results.update(self._classwise(metric, coco_eval, logger))
            for item in items:
                eval_results[f'{metric}_{item}'] = float(f'{round(coco_eval.stats[STAT_NAMES.index(item)], 3)}')
            ap = coco_eval.stats[:6]
            logger.info(f'{metric}_mAP_copypaste: ' + ' '.join(f'{v:.3f}' for v in ap))
        return eval_results

    def _metric_items(self, metric: str) -> list[str]:
        if self.metric_items is not None:
            for item in self.metric_items:
                if item not in STAT_NAMES:
                    raise KeyError(f'metric item "{item}" is not supported')
            return list(self.metric_items)
        return list(STAT_NAMES[6:] if metric == 'proposal' else STAT_NAMES[:6])

    def _evaluate(self, metric: str, inputs: '_Inputs', logger: MMLogger) -> Any | None:
        """Evaluate, accumulate and summarise one metric with the backend; None when there is no detection."""
        iou_type = 'bbox' if metric == 'proposal' else metric
        if self.backend == 'mmext':
            try:
                return self._run(metric, self._array_evaluator(iou_type, inputs))
            except Unsupported as why:  # only pycocotools' per-object code handles it: use that
                logger.warning(f"FastCocoMetric: evaluating {metric} with pycocotools, as backend 'mmext' does "
                               f'not handle this input: {why}.')
        return self._run(metric, self._dict_evaluator(metric, iou_type, inputs))

    def _run(self, metric: str, coco_eval: Any) -> Any | None:
        """Set mmdet's parameters on a COCOeval-like object and run it (False: no detection, returns None)."""
        if coco_eval is False:
            return None
        coco_eval.params.catIds = self.cat_ids
        coco_eval.params.imgIds = self.img_ids
        coco_eval.params.maxDets = list(self.proposal_nums)
        coco_eval.params.iouThrs = self.iou_thrs
        if metric == 'proposal':
            coco_eval.params.useCats = 0
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
        return coco_eval

    def _array_evaluator(self, iou_type: str, inputs: '_Inputs') -> Any:
        """An :class:`ArrayCOCOeval` on the result arrays, or False when there is no detection."""
        gts = self._gt()  # may raise Unsupported too
        if iou_type not in inputs.arrays:
            inputs.arrays[iou_type] = detections(inputs.preds, self.cat_ids, iou_type == 'segm')
        dts = inputs.arrays[iou_type]
        if not len(dts):
            return False
        img_ids = self._coco_api.getImgIds()
        unknown = np.setdiff1d(dts.image_ids, np.asarray(img_ids, np.int64))
        if len(unknown):  # pycocotools' loadRes refuses them too ("Results do not correspond to current coco set")
            raise DatasetError(f'FastCocoMetric: the results hold image ids that are not in the ground truth: '
                               f'{unknown[:5].tolist()} ({len(unknown)} in all); evaluate with the annotation '
                               f'file (ann_file) of the dataset that was predicted.')
        return ArrayCOCOeval(gts, dts, iou_type, img_ids, self._coco_api.getCatIds())

    def _dict_evaluator(self, metric: str, iou_type: str, inputs: '_Inputs') -> Any:
        """The COCOeval of pycocotools or faster-coco-eval on the json content (mmdet reads the file back, which
        gives the same values), or False when there is no detection."""
        if inputs.content is None:
            inputs.content = json_content(inputs.preds, self.cat_ids)
        predictions = inputs.content[metric]
        if not predictions:
            return False
        if id(predictions) in inputs.used:  # loadRes adds keys to each entry: a second metric gets a copy
            predictions = [dict(p) for p in predictions]
        inputs.used.add(id(inputs.content[metric]))
        if iou_type == 'segm':
            for x in predictions:  # mask AP over mask areas, not box areas (as mmdet does)
                x.pop('bbox')
        backend = 'pycocotools' if self.backend == 'mmext' else self.backend
        coco_gt = self._coco_api if backend == 'pycocotools' else self._gt()
        return evaluator(backend, coco_gt, coco_gt.loadRes(predictions), iou_type, self.use_mp_eval)

    def _classwise(self, metric: str, coco_eval: Any, logger: MMLogger) -> dict[str, float]:
        """Per-class AP (all IoUs, @50, @75, small, medium, large), logged as mmdet's table; returns
        ``{'<class>_precision': AP}``."""
        table = per_class_ap(coco_eval.eval['precision'])
        if len(self.cat_ids) != table.shape[0]:
            raise RuntimeError(f'{metric}: {table.shape[0]} classes evaluated, {len(self.cat_ids)} expected')
        names = [self._coco_api.loadCats(cat_id)[0]['name'] for cat_id in self.cat_ids]
        logger.info('\n' + classwise_table(names, table))
        return {f'{name}_precision': round(row[0], 3) for name, row in zip(names, table)}


class _Inputs:
    """What the metrics of one evaluation share: the results, their json content and arrays when made."""

    def __init__(self, preds: Sequence[dict], content: dict | None) -> None:
        self.preds, self.content = preds, content
        self.arrays: dict[str, Any] = {}
        self.used: set[int] = set()  # json lists already given to a loadRes


def _to_cpu_but_masks(results: list) -> list:
    """mmengine's ``_to_cpu`` over the ``(gt, prediction)`` pairs of ``process``, passing lists of masks (RLE
    dicts: nothing to move) as they are."""
    if not all(isinstance(r, tuple) and all(isinstance(part, dict) for part in r) for r in results):
        return _to_cpu(results)
    return [tuple({k: v if k == 'masks' and isinstance(v, list) else _to_cpu(v) for k, v in part.items()}
                  for part in r) for r in results]
