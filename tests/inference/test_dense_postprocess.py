"""The batched dense-head post-processing gives mmdet's ``predict_by_feat`` results, candidate for candidate.

Each case feeds the same raw head outputs to mmdet and to mmext and wants the same detections in the same order:
anchor heads (sigmoid), point heads with a score factor (FCOS's centerness), softmax heads, images of
other sizes in one batch, ``nms_pre`` cutting, mmdet's ``nms_pre=-1`` quirk, ``min_bbox_size``, soft-NMS,
class-agnostic NMS and equal scores (whose order only mmdet's own, unstable, sort call fixes).
"""
import copy

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope

from mmext.inference.dense_postprocess import batched_predict_by_feat, supports_batched_postprocess

NUM_CLASSES = 3
TEST_CFG = dict(nms_pre=1000, min_bbox_size=0, score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),
                max_per_img=100)
RETINA = dict(type='RetinaHead', num_classes=NUM_CLASSES, in_channels=8, feat_channels=8, stacked_convs=1,
              anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4, scales_per_octave=3,
                                    ratios=[0.5, 1.0, 2.0], strides=[8, 16, 32]))
FCOS = dict(type='FCOSHead', num_classes=NUM_CLASSES, in_channels=8, feat_channels=8, stacked_convs=1,
            strides=[8, 16, 32], norm_on_bbox=True, centerness_on_reg=True, norm_cfg=None)
SOFTMAX = dict(RETINA, loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0))
# three images of a batch padded to 128 x 160: two sizes after the resize, and their own scale factors
METAS = [dict(img_shape=(128, 160), scale_factor=(2.0, 2.0)), dict(img_shape=(128, 160), scale_factor=(1.0, 1.0)),
         dict(img_shape=(96, 150), scale_factor=(0.75, 0.8))]


def _head(cfg: dict, **test_cfg):
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    head = MODELS.build(dict(cfg, test_cfg=ConfigDict(copy.deepcopy(TEST_CFG), **test_cfg)))
    return head.eval()


def _outputs(head, seed: int = 0, ties: bool = False) -> tuple:
    """The head's outputs on random features, with logits spread so that some clear the score threshold."""
    torch.manual_seed(seed)
    feats = [torch.randn(len(METAS), 8, 128 // s, 160 // s) for s in (8, 16, 32)]
    with torch.no_grad():
        outs = head(feats)
    cls_scores = [torch.randn_like(c) * 2 - 2 for c in outs[0]]
    if ties:  # logits on a coarse grid: many exactly equal scores
        cls_scores = [torch.round(c) for c in cls_scores]
    return (cls_scores, *outs[1:])


def _assert_same_as_mmdet(head, outs) -> int:
    want = head.predict_by_feat(*outs, batch_img_metas=METAS, rescale=True)
    got = batched_predict_by_feat(head, *outs, batch_img_metas=METAS)
    total = 0
    for image, ((boxes, scores, labels), w) in enumerate(zip(got, want)):
        assert torch.equal(labels, w.labels), f'image {image}: labels or their order differ'
        torch.testing.assert_close(boxes, w.bboxes, rtol=0, atol=1e-4)
        torch.testing.assert_close(scores, w.scores, rtol=0, atol=1e-6)
        total += len(w)
    return total


@pytest.mark.parametrize('cfg', [RETINA, FCOS, SOFTMAX], ids=['retina', 'fcos-centerness', 'softmax'])
def test_the_detections_are_mmdets(cfg):
    head = _head(cfg)
    assert supports_batched_postprocess(head)
    assert _assert_same_as_mmdet(head, _outputs(head)) > 20  # a case with no detection would prove nothing


@pytest.mark.parametrize('test_cfg', [dict(nms_pre=30), dict(nms_pre=-1), dict(min_bbox_size=12),
                                      dict(nms=dict(type='soft_nms', iou_threshold=0.3, min_score=0.05)),
                                      dict(nms=dict(type='nms', iou_threshold=0.5, class_agnostic=True)),
                                      dict(score_thr=0.0, nms_pre=200, max_per_img=17)],
                         ids=['nms-pre-cuts', 'nms-pre-minus-one', 'min-size', 'soft-nms', 'class-agnostic',
                              'no-threshold-max-per-img'])
def test_each_test_cfg_step_is_mmdets(test_cfg):
    head = _head(RETINA, **test_cfg)
    assert _assert_same_as_mmdet(head, _outputs(head, seed=1)) > 0


def test_equal_scores_come_in_mmdets_order():
    head = _head(RETINA, nms_pre=40)  # the cut falls among equal scores, too
    outs = _outputs(head, seed=2, ties=True)
    scores = torch.cat([c.flatten() for c in outs[0]]).sigmoid()
    assert len(scores[scores > 0.05]) - len(torch.unique(scores[scores > 0.05])) > 1000  # ties, many
    assert _assert_same_as_mmdet(head, outs) > 0


def test_an_image_without_any_candidate_gets_an_empty_result():
    head = _head(RETINA)
    cls_scores, bbox_preds = _outputs(head)
    for c in cls_scores:
        c[1] = -20.0  # the second image scores nothing
    got = batched_predict_by_feat(head, cls_scores, bbox_preds, batch_img_metas=METAS)
    assert [len(d[0]) for d in got][1] == 0 and got[1][0].shape == (0, 4)
    assert _assert_same_as_mmdet(head, (cls_scores, bbox_preds)) > 0


def test_heads_with_their_own_post_processing_keep_mmdets():
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    gfl = MODELS.build(dict(type='GFLHead', num_classes=NUM_CLASSES, in_channels=8, feat_channels=8, norm_cfg=None,
                            stacked_convs=1, anchor_generator=dict(type='AnchorGenerator', ratios=[1.0],
                                                                   octave_base_scale=8, scales_per_octave=1,
                                                                   strides=[8, 16, 32])))
    assert not supports_batched_postprocess(gfl)

    class OwnSteps(type(_head(RETINA))):
        def _bbox_post_process(self, *args, **kwargs):
            return super()._bbox_post_process(*args, **kwargs)

    assert not supports_batched_postprocess(OwnSteps(**{k: v for k, v in RETINA.items() if k != 'type'}))
