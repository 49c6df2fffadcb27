"""Which detectors export: single-stage with a supported head; everything else refused in one line."""
import os.path as osp

import mmdet
import pytest
from mmdet.apis import init_detector
from mmengine.config import Config

from mmext.errors import ConfigError
from mmext.export import export_onnx
from mmext.export.graph import check_exportable

MMDET_CONFIGS = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs')


def test_two_stage_and_other_heads_are_refused_in_one_line(tmp_path):
    configs = MMDET_CONFIGS
    frcnn = Config.fromfile('configs/demo/retinanet_r18_fpn_10e_demo.py')  # the demo's data, mmdet's model
    frcnn.model = Config.fromfile(osp.join(configs, '_base_/models/faster-rcnn_r50_fpn.py')).model
    frcnn.model.backbone.init_cfg = None
    model = init_detector(frcnn, None, device='cpu')
    model.dataset_meta = dict(classes=tuple('abcdefghij'))
    with pytest.raises(ConfigError, match=r'FasterRCNN does not export: two-stage detectors \(RPN \+ RoI head: '
                                          r'RPNHead \+ StandardRoIHead.*supported: single-stage detectors with '
                                          r'RetinaHead'):
        export_onnx(model, str(tmp_path / 'f.onnx'))
    assert not (tmp_path / 'f.onnx').exists()
    fcos = Config.fromfile(osp.join(configs, 'fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'))
    fcos.model.backbone.init_cfg = None
    fcos.model.bbox_head.num_classes = 3
    with pytest.raises(ConfigError, match='FCOS with head FCOSHead does not export; supported: '):
        export_onnx(init_detector(fcos, None, device='cpu'), str(tmp_path / 'g.onnx'))


@pytest.mark.parametrize('change, message', [
    (dict(anchor_generator=dict(type='LegacyAnchorGenerator', octave_base_scale=4, scales_per_octave=3,
                                ratios=[0.5, 1.0, 2.0], strides=[8, 16, 32, 64, 128])),
     'RetinaHead with LegacyAnchorGenerator does not export'),
    (dict(bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.0] * 4, target_stds=[1.0] * 4,
                          add_ctr_clamp=True)), r'DeltaXYWHBBoxCoder\(add_ctr_clamp=True\) does not export')])
def test_a_retinanet_with_parts_the_numpy_step_does_not_reproduce_is_refused(change, message):
    cfg = Config.fromfile('configs/demo/retinanet_r18_fpn_10e_demo.py')
    cfg.model.bbox_head.num_classes = 3
    cfg.model.backbone.init_cfg = None
    cfg.model.bbox_head.update(change)
    model = init_detector(cfg, None, device='cpu')
    with pytest.raises(ConfigError, match=message):
        check_exportable(model)


def test_the_demo_retinanet_exports():
    cfg = Config.fromfile('configs/demo/retinanet_r18_fpn_10e_demo.py')
    cfg.model.bbox_head.num_classes = 3
    cfg.model.backbone.init_cfg = None
    check_exportable(init_detector(cfg, None, device='cpu'))  # no error
