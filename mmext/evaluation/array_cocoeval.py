"""``ArrayCOCOeval``: pycocotools' ``COCOeval`` on numpy arrays, with bit-identical results.

pycocotools spends a COCO-size evaluation in Python loops: one ``evaluateImg`` call per image, category and area
range, and in ``accumulate`` a Python loop over every detection to make the precision envelope. This class takes
the same parameters (``params``, a pycocotools ``Params``) and fills the same ``eval`` (``precision``,
``recall``, ``scores``) and ``stats``, computed from columns (:mod:`mmext.evaluation.coco_arrays`):

- ``evaluate`` makes pycocotools' matches (:func:`mmext.evaluation.coco_match.match`);
- ``accumulate`` does pycocotools' float operations in its order: detections of a category concatenated in image
  order and stably sorted by score, integer cumulative sums converted to float, ``tp / npig`` and
  ``tp / (fp + tp + eps)``, the running maximum from the end (exact in any order) and ``searchsorted``;
- ``summarize`` is pycocotools' own (inherited), on the same arrays.

So every number equals pycocotools' (``tests/evaluation`` compares them with ``==`` on randomised cases). Not
built: ``evalImgs`` and ``ious`` (the per-image dicts); keypoints are not supported.
"""
from __future__ import annotations

import copy
import datetime
from typing import Any

import numpy as np
from pycocotools.cocoeval import COCOeval, Params

from mmext.evaluation.coco_arrays import Objects, Unsupported
from mmext.evaluation.coco_match import group, match


class ArrayCOCOeval(COCOeval):
    """pycocotools' ``COCOeval`` for ``bbox`` and ``segm`` on :class:`~mmext.evaluation.coco_arrays.Objects`.

    Args:
        gts: The ground truth (:func:`~mmext.evaluation.coco_arrays.ground_truth`).
        dts: The detections (:func:`~mmext.evaluation.coco_arrays.detections`).
        iou_type: ``'bbox'`` or ``'segm'``.
        img_ids: All image ids of the ground truth (``params.imgIds`` starts as these, sorted, like
            ``COCOeval(cocoGt, ...)``).
        cat_ids: All category ids of the ground truth.

    Raises:
        Unsupported: ``iou_type`` is not bbox or segm.

    Example:
        >>> E = ArrayCOCOeval(ground_truth(coco), detections(preds, cat_ids, False), 'bbox',
        ...                   coco.getImgIds(), coco.getCatIds())
        >>> E.params.maxDets = [100, 300, 1000]
        >>> E.evaluate(); E.accumulate(); E.summarize(); E.stats[0]
    """

    def __init__(self, gts: Objects, dts: Objects, iou_type: str, img_ids: list, cat_ids: list) -> None:
        if iou_type not in ('bbox', 'segm'):
            raise Unsupported(f'iouType {iou_type!r}')
        super().__init__(None, None, iou_type)
        self.params.imgIds, self.params.catIds = sorted(img_ids), sorted(cat_ids)
        self.gts, self.dts = gts, dts
        self._matches: Any = None

    def evaluate(self) -> None:
        """Match the detections (pycocotools' ``evaluate``; parameters normalised the same way).

        Raises:
            Unsupported: Ids that are not integers, or a category repeated in ``params.catIds`` with
                ``useCats=0``.
        """
        p = self.params
        if p.useSegm is not None:
            p.iouType = 'segm' if p.useSegm == 1 else 'bbox'
        p.imgIds = list(np.unique(p.imgIds))
        if p.useCats:
            p.catIds = list(np.unique(p.catIds))
        elif len(set(p.catIds)) != len(p.catIds):
            raise Unsupported('repeated category ids with useCats=0')  # pycocotools would gather them twice
        p.maxDets = sorted(p.maxDets)
        try:
            img_ids = np.asarray(p.imgIds, np.int64).reshape(-1)
            cat_ids = np.asarray(p.catIds, np.int64).reshape(-1)
        except (TypeError, ValueError, OverflowError) as err:
            raise Unsupported(f'image or category ids that are not integers ({err})') from None
        limit = p.maxDets[-1]
        self._dg = group(self.dts, img_ids, cat_ids, bool(p.useCats), self.dts.scores, limit)
        self._gg = group(self.gts, img_ids, cat_ids, bool(p.useCats), None)
        n_cats = len(cat_ids) if p.useCats else 1
        self._matches = match(self.dts, self._dg, self.gts, self._gg, np.asarray(p.iouThrs),
                              np.asarray(p.areaRng, np.float64).reshape(-1, 2), p.iouType, n_cats)
        self._paramsEval = copy.deepcopy(p)
        self.evalImgs = []

    def accumulate(self, p: Params | None = None) -> None:
        """Precision and recall at every threshold, category, area range and max-dets (pycocotools'
        ``accumulate`` with the parameters of ``evaluate``)."""
        if self._matches is None:
            raise RuntimeError('ArrayCOCOeval: run evaluate() before accumulate()')
        if p is not None and p is not self.params:
            raise ValueError('ArrayCOCOeval.accumulate: only the parameters of evaluate() (p=None) are supported')
        p = self.params
        p.catIds = p.catIds if p.useCats == 1 else [-1]
        T, R, K, A, M = len(p.iouThrs), len(p.recThrs), len(p.catIds), len(p.areaRng), len(p.maxDets)
        precision, recall, scores = -np.ones((T, R, K, A, M)), -np.ones((T, K, A, M)), -np.ones((T, R, K, A, M))
        dg, mt = self._dg, self._matches
        rank = np.arange(len(dg.keep)) - dg.start[dg.group]
        # per category, the concatenation in image order (each image's detections by rank) stably sorted by
        # score, i.e. ordered by (score descending, image, rank)
        order = np.lexsort((rank, dg.image, -self.dts.scores[dg.keep], dg.category))
        bounds = np.searchsorted(dg.category[order], np.arange(K + 1))
        rank, score, tps, fps = rank[order], self.dts.scores[dg.keep][order], mt.tps[:, :, order], mt.fps[:, :, order]
        rec_thrs = np.asarray(p.recThrs)
        top = int(rank.max()) + 1 if len(rank) else 0
        for k in range(K):
            areas = np.flatnonzero(mt.npig[k] > 0)  # no ground truth: stays -1
            if not len(areas):
                continue
            lo, hi = bounds[k], bounds[k + 1]
            tps_k, fps_k = (tps, fps) if len(areas) == A else (tps[:, areas], fps[:, areas])
            done: dict[int, int] = {}  # max-dets cuts that keep the same detections give the same numbers
            for m, max_det in enumerate(p.maxDets):
                cut = min(max_det, top)
                if cut in done:
                    precision[:, :, k, :, m] = precision[:, :, k, :, done[cut]]
                    recall[:, k, :, m] = recall[:, k, :, done[cut]]
                    scores[:, :, k, :, m] = scores[:, :, k, :, done[cut]]
                    continue
                done[cut] = m
                sel = slice(lo, hi) if cut == top else lo + np.flatnonzero(rank[lo:hi] < max_det)
                pr, rc, ss = _curves(tps_k[:, :, sel], fps_k[:, :, sel], mt.npig[k, areas], score[sel], rec_thrs)
                precision[:, :, k, areas, m] = pr.transpose(0, 2, 1)
                recall[:, k, areas, m] = rc
                scores[:, :, k, areas, m] = ss.transpose(0, 2, 1)
        self.eval = {'params': p, 'counts': [T, R, K, A, M],
                     'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M:%S'),
                     'precision': precision, 'recall': recall, 'scores': scores}


def _curves(tps: np.ndarray, fps: np.ndarray, npig: np.ndarray, dt_scores: np.ndarray,
            rec_thrs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What pycocotools' ``accumulate`` computes for one category and max-dets, for each IoU threshold and area
    range (``tps``, ``fps``: (thresholds, area ranges, detections in score order); ``npig`` > 0 per area range).

    Returns:
        Precision at the recall thresholds and scores (thresholds, area ranges, recall thresholds), and the
        final recall (thresholds, area ranges).
    """
    n_thr, n_area, nd = tps.shape
    precision, scores = np.zeros((n_thr, n_area, len(rec_thrs))), np.zeros((n_thr, n_area, len(rec_thrs)))
    if nd == 0:
        return precision, np.zeros((n_thr, n_area)), scores
    tp = np.cumsum(tps, axis=2).astype(dtype=float)
    fp = np.cumsum(fps, axis=2).astype(dtype=float)
    rc = tp / npig[:, None]  # the same division as pycocotools' tp / npig (an int, converted to float)
    pr = tp / (fp + tp + np.spacing(1))
    pr = np.maximum.accumulate(pr[..., ::-1], axis=2)[..., ::-1]  # pycocotools: pr[i-1] = max(pr[i-1], pr[i])
    inds = np.empty(precision.shape, np.int64)
    for t in range(n_thr):
        for a in range(n_area):
            inds[t, a] = np.searchsorted(rc[t, a], rec_thrs, side='left')
    # pycocotools fills q[ri] = pr[inds[ri]] until the first index past the end (an IndexError it catches)
    valid = np.logical_and.accumulate(inds < nd, axis=2)
    inds = np.where(valid, inds, 0)
    precision[valid] = np.take_along_axis(pr, inds, axis=2)[valid]
    scores[valid] = dt_scores[inds][valid]
    return precision, rc[:, :, -1], scores
