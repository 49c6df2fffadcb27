"""The exported graph: backbone, neck and dense head up to their raw outputs (class scores and box deltas per
level), and the checks that say which detectors export."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from mmext.errors import ConfigError

#: Dense heads whose raw outputs the numpy post-processing (:mod:`mmext.export.postprocess`) decodes exactly as
#: mmdet does: anchors from ``AnchorGenerator``, deltas through ``DeltaXYWHBBoxCoder``, sigmoid scores, NMS.
SUPPORTED_HEADS = ('RetinaHead', 'RetinaSepBNHead', 'FreeAnchorRetinaHead')


def check_exportable(model: Any) -> None:
    """Raise a one-line error unless ``model`` is a single-stage detector with a supported head.

    Raises:
        ConfigError: A two-stage detector, another head, or an anchor generator, box coder or score type the
            post-processing does not reproduce.
    """
    supported = f'supported: single-stage detectors with {", ".join(SUPPORTED_HEADS)} (any backbone, FPN or BiFPN)'
    name = type(model).__name__
    if hasattr(model, 'roi_head') or hasattr(model, 'rpn_head'):
        raise ConfigError(f'{name} does not export: two-stage detectors (RPN + RoI head: '
                          f'{type(getattr(model, "rpn_head", None)).__name__} + '
                          f'{type(getattr(model, "roi_head", None)).__name__}, whose RoIAlign and per-class NMS '
                          f'are not in the exported graph or the numpy step) are not supported; {supported}')
    head = getattr(model, 'bbox_head', None)
    head_name = type(head).__name__
    if head is None or head_name not in SUPPORTED_HEADS:
        raise ConfigError(f'{name} with head {head_name} does not export; {supported}')
    parts = [(type(head.prior_generator).__name__, 'AnchorGenerator'),
             (type(head.bbox_coder).__name__, 'DeltaXYWHBBoxCoder')]
    for found, wanted in parts:
        if found != wanted:
            raise ConfigError(f'{head_name} with {found} does not export: the post-processing reproduces '
                              f'{wanted} only')
    if not head.use_sigmoid_cls or getattr(head.loss_cls, 'custom_cls_channels', False):
        raise ConfigError(f'{head_name} with softmax or custom class scores does not export: sigmoid scores only')
    if getattr(head.bbox_coder, 'add_ctr_clamp', False):
        raise ConfigError(f'{head_name}: DeltaXYWHBBoxCoder(add_ctr_clamp=True) does not export')


class RawOutputs(nn.Module):
    """``image -> (cls_score_0, ..., cls_score_L-1, bbox_pred_0, ..., bbox_pred_L-1)``.

    The input is the normalised, padded batch mmdet's data preprocessor makes (N x 3 x H x W, float32); the
    outputs are what ``bbox_head.forward`` returns (N x A*K x h x w and N x A*4 x h x w per level).
    """

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        cls_scores, bbox_preds = self.detector.bbox_head(self.detector.extract_feat(image))
        return tuple(cls_scores) + tuple(bbox_preds)
