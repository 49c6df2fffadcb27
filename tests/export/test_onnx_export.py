"""ONNX export: onnxruntime + mmext's numpy steps give mmdet's own predictions; what does not export says so."""
import glob

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmext.errors import CheckpointError, ConfigError
from mmext.export import OnnxDetector, export_onnx, load_detector, read_metadata
from mmext.export.check import compare
from mmext.export.steps import postprocess, preprocess
from tests.conftest import run_tool


def _images(tiny_coco, extra_sizes=()):
    paths = sorted(glob.glob(f"{tiny_coco['img_dir']}/*"))[:4]
    images = [(p, cv2.imread(p)) for p in paths]
    for h, w in extra_sizes:  # other shapes: other resize factors and padding
        images.append((f'{h}x{w}', cv2.resize(images[0][1], (w, h))))
    return images


@pytest.mark.parametrize('dynamic', [False, True])
def test_onnxruntime_matches_mmdet(demo_work_dir, tiny_coco, tmp_path, dynamic):
    model = load_detector(str(demo_work_dir))
    out = str(tmp_path / 'model.onnx')
    meta = export_onnx(model, out, dynamic=dynamic)
    assert read_metadata(out)['classes'] == list(model.dataset_meta['classes']) == meta['classes']
    assert meta['input_size'] == (None if dynamic else [128, 160])
    report = compare(model, OnnxDetector(out), _images(tiny_coco, [(300, 100)] if dynamic else [(64, 80)]))
    assert report.ok, report.line()
    assert report.max_box_diff < 1e-3 and report.max_score_diff < 1e-3


def test_numpy_steps_are_mmdets(demo_work_dir, tiny_coco, tmp_path):
    """Pre-processing equals mmdet's pipeline + data preprocessor; post-processing on the same raw outputs
    equals mmdet's predict_by_feat exactly."""
    from mmdet.utils import get_test_pipeline_cfg
    from mmengine.dataset import Compose
    model = load_detector(str(demo_work_dir))
    meta = export_onnx(model, str(tmp_path / 'm.onnx'), dynamic=True)
    steps = [t for t in get_test_pipeline_cfg(model.cfg.copy()) if t['type'] != 'LoadAnnotations']
    steps[0] = dict(type='mmdet.LoadImageFromNDArray')
    for _, img in _images(tiny_coco, [(300, 100), (97, 211)]):
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


def test_bifpn_model_exports(bifpn_work_dir, tiny_coco, tmp_path):
    """A detector with mmext's BiFPN neck exports at a fixed size and matches mmdet; --dynamic is refused."""
    model = load_detector(str(bifpn_work_dir))
    assert type(model.neck).__name__ == 'BiFPN'
    with pytest.raises(ConfigError, match='--dynamic does not export BiFPN necks'):
        export_onnx(model, str(tmp_path / 'dyn.onnx'), dynamic=True)
    meta = export_onnx(model, str(tmp_path / 'bifpn.onnx'))
    runtime = OnnxDetector(str(tmp_path / 'bifpn.onnx'))
    # the graph's raw outputs, images of two shapes (the post-processing is the RetinaNet's, tested above; a model
    # trained one epoch has scores so close that which of two near-equal ones NMS keeps can differ)
    for _, img in _images(tiny_coco, [(64, 100)]):
        x, _ = preprocess(img, meta)
        with torch.no_grad():
            cls, reg = model.bbox_head(model.extract_feat(torch.from_numpy(x)))
        got = runtime.session.run(None, {'image': x})
        assert max(float(np.abs(g - t.numpy()).max()) for g, t in zip(got, (*cls, *reg))) < 1e-4


def test_two_stage_and_other_heads_are_refused_in_one_line(tmp_path):
    import os.path as osp

    import mmdet
    from mmdet.apis import init_detector
    configs = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs')
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


def test_tool_and_its_errors(demo_work_dir, tiny_coco, tmp_path):
    out = tmp_path / 'demo.onnx'
    result = run_tool(['tools/export.py', str(demo_work_dir), '--format', 'onnx', '--out', str(out)])
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'within 1e-3' in result.stdout and 'CPU latency per image: torch' in result.stdout and out.is_file()
    cases = [([str(tmp_path / 'nothing')], 'is neither a config file nor a work dir'),
             ([str(demo_work_dir), str(tmp_path / 'no.pth')], 'does not exist'),
             ([str(demo_work_dir), '--input-size', '64', '64'], 'smaller than the test-time size'),
             ([str(demo_work_dir), '--images', str(tmp_path / 'no.png')], 'sample image'),
             ([str(demo_work_dir), '--out', str(tmp_path / 'x.pt')], 'written to a .onnx file')]
    for args, message in cases:
        if '--out' not in args:
            args = args + ['--out', str(tmp_path / 'e.onnx')]
        bad = run_tool(['tools/export.py', *args])
        assert bad.returncode == 1 and message in bad.stderr and 'Traceback' not in bad.stderr, (args, bad.stderr)


def test_checkpoint_mismatch_names_the_keys(demo_work_dir, tmp_path):
    state = torch.load(sorted(demo_work_dir.glob('epoch_*.pth'))[-1], map_location='cpu', weights_only=False)
    state['state_dict'].pop('bbox_head.retina_cls.weight')
    torch.save(state, tmp_path / 'broken.pth')
    with pytest.raises(CheckpointError, match=r'does not fit config .*missing: bbox_head.retina_cls.weight'):
        load_detector(str(demo_work_dir), str(tmp_path / 'broken.pth'))
