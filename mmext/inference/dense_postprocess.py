"""mmdet's dense-head post-processing for a whole batch at once, with mmdet's results.

mmdet's ``BaseDenseHead.predict_by_feat`` loops over the images of a batch, and inside over the pyramid levels:
for 8 images and 3 levels that is 24 rounds of a dozen small tensor operations, plus one NMS per image. On a CPU
that loop is about a third of a RetinaNet-R18 batch (``benchmarks/bench_infer.py``). Here every step that is the
same for each image runs once on the whole batch (sigmoid, score threshold, the ``nms_pre`` best, box decoding,
clipping, rescaling, ``min_bbox_size``); only NMS stays per image, where it was.

The results are mmdet's: the same candidates in the same order reach the same ``batched_nms`` call with the same
arguments (``tests/inference/test_dense_postprocess.py`` holds them to ``predict_by_feat``'s own output). Heads
that change any of those steps (their own ``_predict_by_feat_single``, e.g. GFL, YOLOX, DETR-like heads, or
custom activations) keep mmdet's path: :func:`supports_batched_postprocess` says which.
"""
from __future__ import annotations

import weakref

import torch
from torch import Tensor


def supports_batched_postprocess(head) -> bool:
    """Whether ``head`` post-processes with ``BaseDenseHead``'s own steps, which
    :func:`batched_predict_by_feat` repeats (RetinaNet, FCOS, ATSS, FSAF, FreeAnchor, RTMDet, ...)."""
    from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
    kind = type(head)
    return (isinstance(head, BaseDenseHead)
            and all(getattr(kind, name) is getattr(BaseDenseHead, name)
                    for name in ('predict', 'predict_by_feat', '_predict_by_feat_single', '_bbox_post_process'))
            and hasattr(head, 'loss_cls') and not getattr(head.loss_cls, 'custom_cls_channels', False)
            and hasattr(head, 'bbox_coder') and hasattr(head, 'prior_generator'))


def batched_predict_by_feat(head, cls_scores: list[Tensor], bbox_preds: list[Tensor],
                            score_factors: list[Tensor] | None = None, *, batch_img_metas: list[dict],
                            ) -> list[tuple[Tensor, Tensor, Tensor]]:
    """``head.predict_by_feat(*head(feats), batch_img_metas=..., rescale=True)`` with the per-image steps
    batched.

    Args:
        head: A head for which :func:`supports_batched_postprocess` is true.
        cls_scores: Per level, (B, A * C, H, W) class logits.
        bbox_preds: Per level, (B, A * encode_size, H, W) box regressions.
        score_factors: Per level, (B, A, H, W) logits (centerness, IoU branch), or None.
        batch_img_metas: Each image's ``img_shape`` and ``scale_factor``.

    Returns:
        Per image, its boxes (N x 4, original image pixels), scores (N) and labels (N), best first: the
        ``bboxes``, ``scores`` and ``labels`` of mmdet's result.
    """
    cfg = head.test_cfg
    batch = len(batch_img_metas)
    device = cls_scores[0].device
    priors = _grid_priors(head, [tuple(s.shape[-2:]) for s in cls_scores], cls_scores[0].dtype, device)
    image, scores, labels, deltas, anchors, factors = _candidates(
        head, [s.detach() for s in cls_scores], [b.detach() for b in bbox_preds],
        None if score_factors is None else [f.detach() for f in score_factors], priors, cfg)
    boxes = _decode(head, anchors, deltas, image, batch_img_metas)
    # rescale to the original image (mmdet's scale_boxes: times 1 / scale_factor, as float32)
    inverse = torch.tensor([[1 / s for s in meta['scale_factor']] * 2 for meta in batch_img_metas],
                           dtype=boxes.dtype, device=device)
    boxes = boxes * inverse[image]
    if score_factors is not None:
        scores = scores * factors
    min_size = cfg.get('min_bbox_size', -1)
    if min_size >= 0:
        keep = ((boxes[:, 2] - boxes[:, 0]) > min_size) & ((boxes[:, 3] - boxes[:, 1]) > min_size)
        image, scores, labels, boxes = image[keep], scores[keep], labels[keep], boxes[keep]
    counts = torch.bincount(image, minlength=batch).tolist()
    results = []
    for img_boxes, img_scores, img_labels in zip(boxes.split(counts), scores.split(counts), labels.split(counts)):
        if len(img_boxes):
            img_scores, keep = _class_wise_nms(img_boxes, img_scores, img_labels, cfg.nms)
            keep = keep[:cfg.max_per_img]
            img_boxes, img_scores, img_labels = img_boxes[keep], img_scores[:len(keep)], img_labels[keep]
        results.append((img_boxes, img_scores, img_labels))
    return results


def _class_wise_nms(boxes: Tensor, scores: Tensor, labels: Tensor, nms_cfg) -> tuple[Tensor, Tensor]:
    """mmcv's ``batched_nms(boxes, scores, labels, nms_cfg)``: the kept scores and indices, best first.

    Plain NMS under mmcv's split threshold calls mmcv's NMS kernel directly, with ``batched_nms``'s class offsets
    computed as it does them: the same kernel on the same numbers, without the Python wrapper's argument
    inspection (a third of the per-image cost). Every other case (soft-NMS, ``max_num``, ``score_threshold``,
    many boxes) goes through ``batched_nms`` itself.
    """
    from mmcv.ops import batched_nms
    options = dict(nms_cfg)
    plain = (options.pop('type', 'nms') == 'nms' and len(boxes) < options.pop('split_thr', 10000)
             and 'iou_threshold' in options and set(options) <= {'iou_threshold', 'offset', 'class_agnostic'})
    if not plain:
        dets, keep = batched_nms(boxes, scores, labels, nms_cfg)
        return dets[:, -1], keep
    from mmcv.ops.nms import ext_module
    if options.get('class_agnostic', False):
        for_nms = boxes
    else:
        for_nms = boxes + (labels.to(boxes) * (boxes.max() + torch.tensor(1).to(boxes)))[:, None]
    keep = ext_module.nms(for_nms, scores, iou_threshold=float(options['iou_threshold']),
                          offset=int(options.get('offset', 0)))
    return scores[keep], keep


def _grid_priors(head, sizes: list[tuple[int, int]], dtype, device) -> list[Tensor]:
    """``head.prior_generator.grid_priors``, kept for the next batch of the same size (most of a folder's)."""
    cache = _PRIORS.setdefault(head, {})
    key = (tuple(sizes), dtype, str(device))
    if key not in cache:
        if len(cache) > 16:  # many image sizes: keep the memory bounded
            cache.clear()
        cache[key] = head.prior_generator.grid_priors(sizes, dtype=dtype, device=device)
    return cache[key]


_PRIORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _candidates(head, cls_scores: list[Tensor], bbox_preds: list[Tensor], score_factors: list[Tensor] | None,
                priors: list[Tensor], cfg) -> tuple[Tensor, ...]:
    """mmdet's ``filter_scores_and_topk`` for every image and level at once.

    mmdet keeps, for each image and level, the scores above ``score_thr``, sorted best first, the first
    ``min(nms_pre, M)`` of them, and concatenates an image's levels in order. The threshold and the gathering run
    once for the batch; the sort stays one call per image and level, on the very tensor mmdet sorts: torch's
    sort is not stable there, so only the same call on the same numbers puts equal scores in mmdet's order.

    Returns:
        Image index, score, label, box regression, prior and score factor of each candidate, in mmdet's order.
    """
    batch, levels, channels = cls_scores[0].shape[0], len(cls_scores), head.cls_out_channels
    classes = channels if head.use_sigmoid_cls else channels - 1  # a softmax head's last channel: background
    dim = head.bbox_coder.encode_size
    per_level = []
    for logits in cls_scores:
        logits = logits.permute(0, 2, 3, 1).reshape(batch, -1, channels)
        per_level.append((logits.sigmoid() if head.use_sigmoid_cls else logits.softmax(-1)[..., :-1]).reshape(batch, -1))
    scores = torch.cat(per_level, 1)  # (B, sum of priors x classes over the levels)
    valid = scores > cfg.get('score_thr', 0)
    image, flat = torch.nonzero(valid).unbind(1)  # by image, then level, then (prior, class): mmdet's order
    values = scores[valid]
    score_ends = torch.tensor([s.shape[1] for s in per_level], device=flat.device).cumsum(0)
    level = torch.searchsorted(score_ends, flat, right=True)
    nms_pre = cfg.get('nms_pre', -1)
    order, start = [], 0
    for count in torch.bincount(image * levels + level, minlength=batch * levels).tolist():
        if count:
            # filter_scores_and_topk: scores.sort(descending=True), then [:min(nms_pre, M)] (-1 drops the last)
            best = values[start:start + count].sort(descending=True).indices[:min(nms_pre, count)]
            order.append(best + start)
        start += count
    order = torch.cat(order) if order else image.new_zeros(0)
    image, flat, values, level = image[order], flat[order], values[order], level[order]
    local = flat - _starts(score_ends)[level]  # (prior, class) index within its level
    prior_ends = torch.tensor([len(p) for p in priors], device=flat.device).cumsum(0)
    prior = _starts(prior_ends)[level] + local // classes
    deltas = torch.cat([b.permute(0, 2, 3, 1).reshape(batch, -1, dim) for b in bbox_preds], 1)[image, prior]
    if score_factors is not None:
        factors = torch.cat([f.permute(0, 2, 3, 1).reshape(batch, -1) for f in score_factors], 1).sigmoid()
        factors = factors[image, prior]
    else:
        factors = None
    return image, values, local % classes, deltas, torch.cat(priors)[prior], factors


def _starts(ends: Tensor) -> Tensor:
    """Where each level begins, from where each ends."""
    return torch.cat([ends.new_zeros(1), ends[:-1]])


def _decode(head, anchors: Tensor, deltas: Tensor, image: Tensor, metas: list[dict]) -> Tensor:
    """``bbox_coder.decode(priors, deltas, max_shape=img_shape)``, once for each distinct image shape (one call
    for a batch of same-size images: the coders work row by row)."""
    shapes = [tuple(meta['img_shape'][:2]) for meta in metas]
    if len(set(shapes)) == 1:
        return _as_tensor(head.bbox_coder.decode(anchors, deltas, max_shape=shapes[0]))
    boxes = deltas.new_empty((len(deltas), 4))
    for shape in dict.fromkeys(shapes):
        ids = torch.tensor([i for i, s in enumerate(shapes) if s == shape], device=image.device)
        rows = torch.isin(image, ids)
        boxes[rows] = _as_tensor(head.bbox_coder.decode(anchors[rows], deltas[rows], max_shape=shape))
    return boxes


def _as_tensor(boxes) -> Tensor:
    """Coders may return mmdet's box type (``HorizontalBoxes``) rather than a tensor."""
    return boxes if isinstance(boxes, Tensor) else boxes.tensor
