"""Batched prediction: one test_step per batch, the same boxes as one image at a time, unreadable items skipped."""
import cv2
import numpy as np
import torch

from tests.inference.same_predictions import assert_same_predictions


def test_a_batch_is_one_forward_pass_with_the_same_boxes(detector, val_images):
    predictor = detector.predictor
    calls = []
    hook = predictor.model.backbone.register_forward_hook(lambda module, args, out: calls.append(len(args[0])))
    try:
        images = [cv2.imread(p) for p in val_images[:6]]
        batched = predictor.predict_arrays(images)
    finally:
        hook.remove()
    assert calls == [4, 2]  # batch_size=4: two calls, not six
    for img, pred in zip(images, batched):
        alone = predictor.predict_arrays([img])[0]
        assert_same_predictions(pred, alone)
        assert pred.image_size == img.shape[:2] and pred.labels.dtype == np.int64


def test_the_batched_post_processing_gives_mmdets_predictions(detector, val_images):
    """The demo (RetinaNet) takes the batched path; mmdet's own test_step on the same model gives the same."""
    predictor = detector.predictor
    assert predictor.batched_postprocess
    images = [cv2.imread(p) for p in val_images]
    batched = predictor.predict_arrays(images)
    predictor.batched_postprocess = False
    try:
        reference = predictor.predict_arrays(images)
    finally:
        predictor.batched_postprocess = True
    assert sum(len(p) for p in reference) > 100  # the test config's score_thr is 0: many detections
    for got, want in zip(batched, reference):
        assert_same_predictions(got, want, box_atol=1e-4, score_atol=1e-6)
        assert got.image_size == want.image_size


def test_a_two_stage_detector_is_left_in_nchw_and_predicts_as_unoptimized(val_images):
    """mmcv's CPU RoIAlign reads its input as NCHW memory whatever the strides: channels-last maps would give it
    other features, and the detector other boxes, silently."""
    import copy
    import os

    import mmdet
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmext.inference.batching import BatchPredictor, uses_compiled_ops
    init_default_scope('mmdet')
    cfg = Config.fromfile(os.path.join(os.path.dirname(mmdet.__file__), '.mim', 'configs', 'faster_rcnn',
                                       'faster-rcnn_r50_fpn_1x_coco.py'))
    cfg.model.backbone.update(depth=18, init_cfg=None)
    cfg.model.neck.in_channels = [64, 128, 256, 512]
    cfg.model.roi_head.bbox_head.num_classes = 3
    cfg.model.test_cfg.rcnn.score_thr = 0.0  # an untrained head scores about 1/4 per class
    cfg.test_dataloader.dataset.pipeline[1].scale = (320, 256)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    assert uses_compiled_ops(model)
    optimized = BatchPredictor(copy.deepcopy(model), cfg, ('a', 'b', 'c'), batch_size=2)
    plain = BatchPredictor(model, cfg, ('a', 'b', 'c'), batch_size=2, optimize=False)
    assert optimized.model.neck.fpn_convs[0].conv.weight.is_contiguous()  # NCHW, not channels-last
    images = [cv2.imread(p) for p in val_images[:2]]
    for got, want in zip(optimized.predict_arrays(images), plain.predict_arrays(images)):
        assert len(want) > 10
        assert_same_predictions(got, want, box_atol=1e-3, score_atol=1e-5)


def test_the_stream_keeps_order_and_yields_unreadable_items_as_none(detector, val_images, tmp_path):
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not a jpeg')
    paths = [val_images[0], str(broken), *val_images[1:5], str(tmp_path / 'gone.jpg')]
    out = list(detector.predictor.stream(paths, detector.predictor.read))
    assert [item for item, _, _ in out] == paths
    assert [pred is None for _, _, pred in out] == [False, True, False, False, False, False, True]
    direct = detector.predictor.predict_arrays([cv2.imread(val_images[1])])[0]
    assert_same_predictions(out[2][2], direct)
