"""ONNX export: onnxruntime + mmext's numpy steps give mmdet's own predictions; --dynamic and BiFPN."""
import numpy as np
import pytest
import torch

from mmext.errors import ConfigError
from mmext.export import OnnxDetector, export_onnx, load_detector, read_metadata
from mmext.export.check import compare
from mmext.export.steps import preprocess
from tests.export.conftest import demo_images


@pytest.mark.parametrize('dynamic', [False, True])
def test_onnxruntime_matches_mmdet(demo_work_dir, tiny_coco, tmp_path, dynamic):
    model = load_detector(str(demo_work_dir))
    out = str(tmp_path / 'model.onnx')
    meta = export_onnx(model, out, dynamic=dynamic)
    assert read_metadata(out)['classes'] == list(model.dataset_meta['classes']) == meta['classes']
    assert meta['input_size'] == (None if dynamic else [128, 160])
    report = compare(model, OnnxDetector(out), demo_images(tiny_coco, [(300, 100)] if dynamic else [(64, 80)]))
    assert report.ok, report.line()
    assert report.max_box_diff < 1e-3 and report.max_score_diff < 1e-3


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
    for _, img in demo_images(tiny_coco, [(64, 100)]):
        x, _ = preprocess(img, meta)
        with torch.no_grad():
            cls, reg = model.bbox_head(model.extract_feat(torch.from_numpy(x)))
        got = runtime.session.run(None, {'image': x})
        assert max(float(np.abs(g - t.numpy()).max()) for g, t in zip(got, (*cls, *reg))) < 1e-4
