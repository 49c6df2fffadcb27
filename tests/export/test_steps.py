"""The numpy steps around the graph repeat mmdet's: resize/normalise/pad, anchors, box decoding, NMS."""
import numpy as np
import pytest
import torch

from mmext.export import export_onnx, load_detector
from mmext.export.steps import grid_anchors, nms, postprocess, preprocess
from tests.export.conftest import demo_images


def test_numpy_steps_are_mmdets(demo_work_dir, tiny_coco, tmp_path):
    """Pre-processing equals mmdet's pipeline + data preprocessor; post-processing on the same raw outputs
    equals mmdet's predict_by_feat exactly."""
    from mmdet.utils import get_test_pipeline_cfg
    from mmengine.dataset import Compose
    model = load_detector(str(demo_work_dir))
    meta = export_onnx(model, str(tmp_path / 'm.onnx'), dynamic=True)
    steps = [t for t in get_test_pipeline_cfg(model.cfg.copy()) if t['type'] != 'LoadAnnotations']
    steps[0] = dict(type='mmdet.LoadImageFromNDArray')
    for _, img in demo_images(tiny_coco, [(300, 100), (97, 211)]):
        data = Compose(steps)(dict(img=img, img_id=0))
        batch = model.data_preprocessor(dict(inputs=[data['inputs']], data_samples=[data['data_samples']]), False)
        x, info = preprocess(img, meta)
        assert np.array_equal(batch['inputs'].numpy(), x)
        assert info['scale_factor'] == pytest.approx(data['data_samples'].metainfo['scale_factor'])
        with torch.no_grad():
            cls, reg = model.bbox_head(model.extract_feat(batch['inputs']))
            ref = model.bbox_head.predict_by_feat(cls, reg, batch_img_metas=[data['data_samples'].metainfo],
                                                  rescale=True)[0]
        got = postprocess([t.numpy() for t in (*cls, *reg)], meta, info)
        assert np.array_equal(ref.labels.numpy(), got['labels'])
        assert np.abs(ref.bboxes.numpy() - got['bboxes']).max() < 1e-4
        assert np.abs(ref.scores.numpy() - got['scores']).max() < 1e-6


def test_nms_keeps_what_mmcvs_nms_keeps():
    from mmcv.ops import nms as mmcv_nms
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, (300, 2)).astype(np.float32)
    boxes = np.concatenate([xy, xy + rng.uniform(5, 40, (300, 2)).astype(np.float32)], axis=1)
    scores = rng.uniform(0, 1, 300).astype(np.float32)
    for thr in (0.3, 0.5, 0.7):
        _, ref = mmcv_nms(torch.from_numpy(boxes), torch.from_numpy(scores), thr)
        assert nms(boxes, scores, thr).tolist() == ref.tolist()
        assert nms(boxes, scores, thr, max_keep=5).tolist() == ref[:5].tolist()


def test_grid_anchors_are_mmdets():
    from mmdet.models.task_modules.prior_generators import AnchorGenerator
    gen = AnchorGenerator(strides=[8, 16], ratios=[0.5, 1.0, 2.0], scales=[4, 5], base_sizes=None)
    for level, size in enumerate([(5, 7), (3, 4)]):
        ref = gen.single_level_grid_priors(size, level, device='cpu').numpy()
        got = grid_anchors(gen.base_anchors[level].numpy(), gen.strides[level], size)
        np.testing.assert_array_equal(got, ref)


def test_preprocess_pads_to_the_divisor_or_refuses_a_fixed_size_it_does_not_fit():
    meta = dict(keep_ratio=True, scale=(160, 128), bgr_to_rgb=True, mean=[0, 0, 0], std=[1, 1, 1],
                pad_size_divisor=32)
    img = np.zeros((50, 300, 3), np.uint8)
    img[..., 0] = 7  # blue in BGR
    x, info = preprocess(img, meta)
    assert info['img_shape'] == (27, 160) and x.shape == (1, 3, 32, 160)  # 160/300 of 50 rounds half up to 27
    assert (x[0, 2, :27] == 7).all() and (x[0, 2, 27:] == 0).all()  # BGR -> RGB, zero padding below
    with pytest.raises(ValueError, match='does not fit the fixed input size 16x160'):
        preprocess(img, dict(meta, input_size=[16, 160]))
