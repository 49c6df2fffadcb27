"""tools/export.py end to end: export, the parity check and latency lines; each error one line, exit 1."""
import pytest

from mmext.errors import ConfigError
from mmext.export import load_detector
from mmext.export.tool import sample_images
from tests.conftest import run_tool


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


def test_sample_images_come_from_the_test_split(demo_work_dir, tiny_coco):
    model = load_detector(str(demo_work_dir))
    images = sample_images(model, 3)
    assert len(images) == 3 and images == sorted(images)
    assert all(p.startswith(tiny_coco['img_dir'].rstrip('/') + '/') for p in images)
    model.cfg.test_dataloader.dataset.data_root = '/nowhere/'
    with pytest.raises(ConfigError, match=r"no sample images .* pass --images IMG \.\.\. \(or --no-check\)"):
        sample_images(model, 3)
