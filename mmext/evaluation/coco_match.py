"""pycocotools' per-image matching (``COCOeval.evaluate``), over all images and categories at once.

pycocotools calls ``evaluateImg`` once per (image, category, area range) and walks its detections in score
order in Python: each detection takes, at each IoU threshold, the best still-free ground truth whose IoU reaches
the threshold, preferring ground truths that are not ignored (a crowd region can take any number of
detections). The outcome is discrete (which detection matched which ground truth), so it can be computed in any
order that gives the same choices. Here the k-th detection of every (image, category, area range) group is
matched in one vectorised step, k = 0, 1, ...; each step makes exactly pycocotools' choice, ties included (of
equal IoUs the last ground truth in pycocotools' order wins). Only pairs whose IoU reaches the lowest threshold
can ever match, so only those are kept. The IoUs themselves are pycocotools' own: ``maskUtils.iou`` for masks,
and for boxes the same float operations as its C ``bbIou``, in the same order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmext.evaluation.coco_arrays import Objects

PAIRS_AT_ONCE = 1 << 22  # (detection, ground truth) pairs made at a time: bounds the memory of pairs()


@dataclass
class Groups:
    """Which objects pycocotools evaluates, and in which group and order.

    Args:
        keep: Indices of the evaluated objects, sorted by group, then in pycocotools' order within the group.
        group: The group of each kept object: ``image index * K + category index`` (one group per image when
            categories are not used).
        image: The image index (position in the sorted image ids) of each kept object.
        category: The category index of each kept object (0 when categories are not used).
        start: ``start[g]:start[g + 1]`` are group g's kept objects.
    """
    keep: np.ndarray
    group: np.ndarray
    image: np.ndarray
    category: np.ndarray
    start: np.ndarray


def _positions(values: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each value in the sorted ``table``, and whether it is there."""
    pos = np.searchsorted(table, values).clip(max=max(len(table) - 1, 0))
    found = table[pos] == values if len(table) else np.zeros(len(values), bool)
    return pos, found


def group(objs: Objects, img_ids: np.ndarray, cat_ids: np.ndarray, use_cats: bool, scores: np.ndarray | None,
          limit: int | None = None) -> Groups:
    """Group objects as pycocotools' ``_prepare`` and ``evaluateImg`` do.

    Args:
        objs: Ground truth (``scores`` None: file order within a group) or detections (highest score first,
            ties in results order, as pycocotools' stable sort).
        img_ids: The sorted unique image ids evaluated.
        cat_ids: The sorted unique category ids (``use_cats``), or the category ids as given (not ``use_cats``:
            one group per image holds the objects of these categories, in this order of categories).
        use_cats: Group by category too.
        scores: The detection scores (None for ground truth).
        limit: Keep at most this many objects per group (pycocotools' ``maxDets[-1]`` for detections).

    Returns:
        The kept objects and their groups.
    """
    img, in_img = _positions(objs.image_ids, img_ids)
    if use_cats:
        cat, in_cat = _positions(objs.category_ids, cat_ids)
        order_key = np.zeros(len(objs), np.int64)
    else:
        by_id = np.argsort(cat_ids, kind='stable')
        pos, in_cat = _positions(objs.category_ids, cat_ids[by_id])
        order_key = by_id[pos]  # the category's place in the given list: the order pycocotools gathers them in
        cat = np.zeros(len(objs), np.int64)
    ok = np.flatnonzero(in_img & in_cat)
    n_cats = len(cat_ids) if use_cats else 1
    grp = img[ok] * n_cats + cat[ok]
    keys = [ok, order_key[ok]] + ([] if scores is None else [-scores[ok]]) + [grp]
    order = np.lexsort(keys)
    keep, grp = ok[order], grp[order]
    start = np.searchsorted(grp, np.arange(len(img_ids) * n_cats + 1))
    if limit is not None:
        rank = np.arange(len(keep)) - start[grp]
        keep, grp = keep[rank < limit], grp[rank < limit]
        start = np.searchsorted(grp, np.arange(len(img_ids) * n_cats + 1))
    return Groups(keep=keep, group=grp, image=img[keep], category=cat[keep], start=start)


def box_iou(dt: np.ndarray, gt: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """pycocotools' ``bbIou`` for pairs of xywh boxes (element-wise), with its float operations in its order."""
    da = dt[:, 2] * dt[:, 3]
    ga = gt[:, 2] * gt[:, 3]
    w = np.fmin(dt[:, 2] + dt[:, 0], gt[:, 2] + gt[:, 0]) - np.fmax(dt[:, 0], gt[:, 0])
    h = np.fmin(dt[:, 3] + dt[:, 1], gt[:, 3] + gt[:, 1]) - np.fmax(dt[:, 1], gt[:, 1])
    inter = w * h
    union = np.where(crowd, da, da + ga - inter)
    overlap = (w > 0) & (h > 0)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(overlap, inter / np.where(overlap, union, 1.0), 0.0)


def pairs(dts: Objects, dg: Groups, gts: Objects, gg: Groups, iou_type: str,
          min_iou: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (detection, ground truth) pair of the same group whose IoU reaches ``min_iou``.

    The pairs are made a few million at a time (e.g. 1,000 proposals per image against every object of the
    image), and only those that can match are kept.

    Returns:
        Positions in ``dg.keep`` and ``gg.keep`` of the pairs (detection-major, ground truths in group order),
        and their IoUs.
    """
    n_gt = (gg.start[1:] - gg.start[:-1])[dg.group]
    ends = np.cumsum(n_gt)
    found = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))]
    lo = 0
    while lo < len(n_gt):
        base = ends[lo - 1] if lo else 0
        hi = max(int(np.searchsorted(ends, base + PAIRS_AT_ONCE, side='right')), lo + 1)
        counts = n_gt[lo:hi]
        d = np.repeat(np.arange(lo, hi), counts)
        g = np.repeat(gg.start[dg.group[lo:hi]] - (np.cumsum(counts) - counts), counts) + np.arange(len(d))
        if iou_type == 'bbox':
            iou = box_iou(dts.boxes[dg.keep[d]], gts.boxes[gg.keep[g]], gts.crowd[gg.keep[g]])
        else:
            iou = _mask_iou(dts, dg, gts, gg, d, g)
        hit = iou >= min_iou
        found.append((d[hit], g[hit], iou[hit]))
        lo = hi
    d, g, iou = (np.concatenate(x) for x in zip(*found))
    return d, g, iou


def _mask_iou(dts: Objects, dg: Groups, gts: Objects, gg: Groups, d: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``maskUtils.iou`` of the pairs ``d``, ``g`` (as :func:`pairs` lists them), one call per group."""
    from pycocotools import mask as mask_utils
    dt_masks, gt_masks = dts.masks_of(), gts.masks_of()
    out = np.zeros(len(d))
    runs = np.flatnonzero(np.diff(dg.group[d], prepend=-1, append=-1))  # where the group changes
    for s, e in zip(runs[:-1], runs[1:]):
        d_idx = dg.keep[np.unique(d[s:e])]
        g_idx = gg.keep[g[s:s + (e - s) // len(d_idx)]]
        iou = mask_utils.iou([dt_masks[i] for i in d_idx], [gt_masks[i] for i in g_idx],
                             gts.crowd[g_idx].astype(np.uint8).tolist())
        out[s:e] = np.asarray(iou).reshape(-1)
    return out


@dataclass
class Matches:
    """The outcome of the matching, for every kept detection (``dg.keep`` order).

    Args:
        tps: (thresholds, area ranges, detections) bool: a true positive (pycocotools: matched to a ground
            truth with a non-zero id, and not ignored).
        fps: Same shape: a false positive (neither matched nor ignored).
        npig: (categories, area ranges): ground truths that are not ignored.
    """
    tps: np.ndarray
    fps: np.ndarray
    npig: np.ndarray


def match(dts: Objects, dg: Groups, gts: Objects, gg: Groups, iou_thrs: np.ndarray, area_rngs: np.ndarray,
          iou_type: str, n_cats: int) -> Matches:
    """pycocotools' ``evaluateImg`` for every group and area range (``maxDet`` = the ``limit`` of ``dg``)."""
    thr = np.minimum(np.asarray(iou_thrs, np.float64), 1 - 1e-10)  # evaluateImg: iou = min([t, 1-1e-10])
    n_thr, n_area, n_dt, n_gt = len(thr), len(area_rngs), len(dg.keep), len(gg.keep)
    lo, hi = area_rngs[:, :1], area_rngs[:, 1:]
    gt_crowd, gt_area = gts.crowd[gg.keep], gts.areas[gg.keep]
    gt_ig = gt_crowd[None] | (gt_area[None] < lo) | (gt_area[None] > hi)  # (A, G): crowd or outside the range
    pd, pg, piou = pairs(dts, dg, gts, gg, iou_type, float(thr.min()) if n_thr else np.inf)
    # one entry per (pair, area range), ordered as pycocotools visits them: detection rank (the step), the
    # detection's group and area range (a segment: one detection against its group's ground truths), then
    # ground truths not ignored first, each in group order
    area = np.repeat(np.arange(n_area), len(pd))
    pd, pg, piou = np.tile(pd, n_area), np.tile(pg, n_area), np.tile(piou, n_area)
    pig = gt_ig[area, pg]
    rank = np.arange(n_dt) - dg.start[dg.group]
    order = np.lexsort((pg, pig, area, pd, rank[pd]))
    pd, pg, piou, pig, area = pd[order], pg[order], piou[order], pig[order], area[order]
    pcrowd, prank = gt_crowd[pg], rank[pd]
    g_state, d_state = area * n_gt + pg, area * n_dt + pd
    taken = np.zeros((n_thr, n_area * n_gt), bool)  # gtm > 0
    dt_gt = np.full((n_thr, n_area * n_dt), -1, np.int32)  # the matched ground truth (position in gg.keep)
    dt_ig = np.zeros((n_thr, n_area * n_dt), bool)  # matched to an ignored ground truth
    new_segment = np.ones(len(pd), bool)
    new_segment[1:] = d_state[1:] != d_state[:-1]
    steps = np.searchsorted(prank, np.arange(int(prank.max()) + 2)) if len(pd) else np.zeros(1, np.int64)
    for s, e in zip(steps[:-1], steps[1:]):
        if s == e:
            continue
        starts = np.flatnonzero(new_segment[s:e])
        segment = np.cumsum(new_segment[s:e]) - 1
        free = ~taken[:, g_state[s:e]] | pcrowd[s:e]
        # 2: a free ground truth that is not ignored reaches the threshold, 1: only an ignored one does
        cls = (free & (piou[s:e] >= thr[:, None])) * (2 - pig[s:e]).astype(np.int8)
        best = np.maximum.reduceat(cls, starts, axis=1)
        eligible = (cls == best[:, segment]) & (cls > 0)
        best_iou = np.maximum.reduceat(np.where(eligible, piou[s:e], -1.0), starts, axis=1)
        # the scan keeps the last ground truth with the best IoU (it replaces on >=)
        win = eligible & (piou[s:e] == best_iou[:, segment])
        last = np.maximum.reduceat(np.where(win, np.arange(e - s), -1), starts, axis=1)
        t, seg = np.nonzero(last >= 0)
        w = last[t, seg] + s
        taken[t, g_state[w]] = True
        dt_gt[t, d_state[w]] = pg[w]
        dt_ig[t, d_state[w]] = pig[w]
    # pycocotools' dtm holds the ground truth's id: a match to id 0 counts as no match
    matched = (dt_gt >= 0) & (gts.ids[gg.keep][dt_gt.clip(min=0)] != 0) if n_gt else dt_gt >= 0
    dt_area = dts.areas[dg.keep]
    outside = ((dt_area[None] < lo) | (dt_area[None] > hi)).reshape(-1)  # (A * D): unmatched ones are ignored
    ignored = dt_ig | (~matched & outside[None])
    shape = (n_thr, n_area, n_dt)
    npig = np.stack([np.bincount(gg.category[~gt_ig[a]], minlength=n_cats) for a in range(n_area)], axis=1)
    return Matches(tps=(matched & ~ignored).reshape(shape), fps=(~matched & ~ignored).reshape(shape),
                   npig=npig.reshape(n_cats, n_area))
