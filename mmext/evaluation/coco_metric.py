"""``FastCocoMetric``: mmdet's ``CocoMetric`` with a selectable evaluation backend and a fast results dump.

mmdet's ``CocoMetric`` always evaluates with pycocotools, whose Python matching loop takes most of a COCO-size
validation, and writes its results file with ``json.dump`` (a pure-Python encoder). This subclass takes the same
arguments, computes the same numbers under the same keys, and writes the same results files, with:

- ``backend='faster-coco-eval'`` (see :mod:`mmext.evaluation.coco_backends`): the same numbers in a fraction of
  the time;
- the results converted to COCO's json a whole image at a time and encoded by json's C encoder, and evaluated
  from memory rather than read back from the file just written (same values: json keeps floats exactly);
- Python's cyclic garbage collector paused while it runs.

The evaluation objects of the last run are kept in ``last_evals`` (metric -> COCOeval), for callers that want the
full-precision summary (``stats``) or ``eval['precision']``.
"""
from __future__ import annotations

import itertools
import json
import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np
from mmdet.evaluation.metrics import CocoMetric
from mmdet.registry import METRICS
from mmengine.fileio import put_text
from mmengine.logging import MMLogger
from terminaltables import AsciiTable

from mmext.datasets.coco_file import paused_gc
from mmext.errors import ConfigError
from mmext.evaluation.coco_backends import check_backend, evaluator, ground_truth
from mmext.registry import register

DEFAULT_BACKEND = 'pycocotools'
# index of each summary number in COCOeval.stats (as mmdet's CocoMetric names them)
STAT_NAMES = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l', 'AR@100', 'AR@300', 'AR@1000', 'AR_s@1000',
              'AR_m@1000', 'AR_l@1000')


@register(METRICS)
class FastCocoMetric(CocoMetric):
    """COCO bbox / segm / proposal metric with a choice of evaluation backend.

    Args:
        backend: ``'pycocotools'`` (the reference) or ``'faster-coco-eval'``. Defaults to ``'pycocotools'``.
        **kwargs: mmdet ``CocoMetric`` arguments (``ann_file``, ``metric``, ``classwise``, ``proposal_nums``,
            ``iou_thrs``, ``metric_items``, ``format_only``, ``outfile_prefix``, ``backend_args``, ``prefix``,
            ``sort_categories``, ``use_mp_eval`` (pycocotools only), ...).

    Raises:
        ConfigError: Unknown or uninstalled backend, or ``use_mp_eval`` with a backend other than pycocotools.

    Example:
        >>> val_evaluator = dict(type='FastCocoMetric', backend='faster-coco-eval',
        ...                      ann_file='data/mine/annotations/val.json', metric=['bbox', 'segm'])
    """

    def __init__(self, *args, backend: str = DEFAULT_BACKEND, **kwargs) -> None:
        self.backend = check_backend(backend)
        if kwargs.get('use_mp_eval') and backend != 'pycocotools':
            raise ConfigError(f"FastCocoMetric: use_mp_eval=True is pycocotools' multi-process mode and does not "
                              f"apply to backend='{backend}'; drop use_mp_eval.")
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
        return self._dump_results(results, outfile_prefix)[0]

    def _dump_results(self, results: Sequence[dict], outfile_prefix: str) -> tuple[dict, dict]:
        """Write the results files; return their paths and their content (metric -> list of dicts)."""
        with_masks = 'masks' in results[0]
        bbox_json, segm_json = [], []
        cat_ids = list(self.cat_ids)
        for idx, result in enumerate(results):
            image_id = result.get('img_id', idx)
            # float64 before subtracting, as mmdet does (``ndarray.tolist`` of float32 boxes, then Python floats)
            xyxy = np.asarray(result['bboxes']).astype(np.float64).reshape(-1, 4)
            xywh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1).tolist()
            labels = np.asarray(result['labels']).tolist()
            scores = np.asarray(result['scores']).astype(np.float64).tolist()
            bbox_json += [dict(image_id=image_id, bbox=box, score=score, category_id=cat_ids[label])
                          for box, score, label in zip(xywh, scores, labels)]
            if with_masks:
                mask_scores = np.asarray(result.get('mask_scores', result['scores'])).astype(np.float64).tolist()
                segm_json += [dict(image_id=image_id, bbox=box, score=score, category_id=cat_ids[label],
                                   segmentation=_text_rle(mask))
                              for box, score, label, mask in zip(xywh, mask_scores, labels, result['masks'])]
        files = dict(bbox=f'{outfile_prefix}.bbox.json', proposal=f'{outfile_prefix}.bbox.json')
        # json.dumps uses the C encoder; json.dump (what mmengine's dump calls) encodes in Python, 3-5x slower
        put_text(json.dumps(bbox_json), files['bbox'])
        if with_masks:
            files['segm'] = f'{outfile_prefix}.segm.json'
            put_text(json.dumps(segm_json), files['segm'])
        content = dict(bbox=bbox_json, proposal=bbox_json, **(dict(segm=segm_json) if with_masks else {}))
        return files, content

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
        _, content = self._dump_results(preds, outfile_prefix)
        eval_results: dict[str, float] = OrderedDict()
        self.last_evals = {}
        used: set[int] = set()
        if self.format_only:
            logger.info(f'results are saved in {osp.dirname(outfile_prefix)}')
            return eval_results
        for metric in self.metrics:
            logger.info(f'Evaluating {metric} ({self.backend})...')
            if metric == 'proposal_fast':
                ar = self.fast_eval_recall(preds, self.proposal_nums, self.iou_thrs, logger=logger)
                for i, num in enumerate(self.proposal_nums):
                    eval_results[f'AR@{num}'] = ar[i]
                logger.info(''.join(f'\nAR@{num}\t{ar[i]:.4f}' for i, num in enumerate(self.proposal_nums)))
                continue
            items = self._metric_items(metric)
            if metric not in content:
                raise KeyError(f'{metric} is not in results')
            predictions = content[metric]
            if id(predictions) in used:  # loadRes adds keys to each entry: a second metric on the list gets a copy
                predictions = [dict(p) for p in predictions]
            used.add(id(content[metric]))
            coco_eval = self._evaluate(metric, predictions)
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

    def _evaluate(self, metric: str, predictions: list[dict]) -> Any | None:
        """Evaluate, accumulate and summarise the results just written (``predictions``: their content; mmdet
        reads the file back, which gives the same values), with the backend."""
        iou_type = 'bbox' if metric == 'proposal' else metric
        if not predictions:
            return None
        if iou_type == 'segm':
            for x in predictions:  # mask AP over mask areas, not box areas (as mmdet does)
                x.pop('bbox')
        coco_gt = self._gt()
        coco_eval = evaluator(self.backend, coco_gt, coco_gt.loadRes(predictions), iou_type, self.use_mp_eval)
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

    def _classwise(self, metric: str, coco_eval: Any, logger: MMLogger) -> dict[str, float]:
        """Per-class AP (all IoUs, @50, @75, small, medium, large), logged as mmdet's table; returns
        ``{'<class>_precision': AP}``."""
        table = per_class_ap(coco_eval.eval['precision'])
        if len(self.cat_ids) != table.shape[0]:
            raise RuntimeError(f'{metric}: {table.shape[0]} classes evaluated, {len(self.cat_ids)} expected')
        names = [self._coco_api.loadCats(cat_id)[0]['name'] for cat_id in self.cat_ids]
        rows = [[name] + [f'{round(v, 3)}' for v in row] for name, row in zip(names, table)]
        columns = len(rows[0])
        flat = list(itertools.chain(*rows))
        headers = ['category', 'mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l']
        table_data = [headers] + list(itertools.zip_longest(*[flat[i::columns] for i in range(columns)]))
        logger.info('\n' + AsciiTable(table_data).table)
        return {f'{name}_precision': round(row[0], 3) for name, row in zip(names, table)}


def per_class_ap(precision: np.ndarray) -> np.ndarray:
    """Per-class AP from COCOeval's ``eval['precision']`` ([iou, recall, class, area, max dets]).

    Returns:
        An array (classes x 6): AP over all IoUs, AP@0.5, AP@0.75, AP small, medium, large (largest max-dets
        setting); NaN where a class has no ground truth in that column.
    """
    columns = [(slice(None), 0), (0, 0), (5, 0), (slice(None), 1), (slice(None), 2), (slice(None), 3)]
    out = np.full((precision.shape[2], len(columns)), np.nan)
    for k in range(precision.shape[2]):
        for c, (iou, area) in enumerate(columns):
            values = precision[iou, :, k, area, -1]
            values = values[values > -1]
            if values.size:
                out[k, c] = np.mean(values)
    return out


def _text_rle(mask: dict) -> dict:
    """An RLE with its ``counts`` as text (json cannot hold bytes); the input is left unchanged."""
    counts = mask['counts']
    return dict(mask, counts=counts.decode() if isinstance(counts, bytes) else counts)
