"""tools/browse_dataset.py: ground-truth grids after the pipeline and the class bar chart, from a config or a file."""
import cv2
import numpy as np

from tests.conftest import DEMO_CONFIG, demo_data_options
from tests.datasets.coco_builder import load_tool, write_coco


def test_browse_a_config_after_its_train_pipeline(tiny_coco, tmp_path, capsys):
    out = tmp_path / 'browse'
    assert load_tool('browse_dataset').main([DEMO_CONFIG, '--out-dir', str(out), '--num', '6', '--per-grid', '4',
                                             '--cfg-options', *demo_data_options(tiny_coco)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ['class_counts.png', 'gt_grid_000.png', 'gt_grid_001.png']
    grid = cv2.imread(str(out / 'gt_grid_000.png'))
    assert grid.shape[0] > 128 and grid.shape[1] > 4 * 160  # one row of 4 images of 160x128 after Resize
    assert '16 images, 3 classes' in capsys.readouterr().out


def test_browse_an_annotation_file(tmp_path, capsys):
    files = write_coco(tmp_path)
    out = tmp_path / 'b'
    tool = load_tool('browse_dataset')
    assert tool.main([files['ann'], '--img-dir', files['img_dir'], '--out-dir', str(out), '--scale', '2']) == 0
    chart = cv2.imread(str(out / 'class_counts.png'))
    assert chart is not None and np.count_nonzero(chart != 255) > 0
    assert tool.main([files['ann'], '--out-dir', str(out)]) == 1
    assert 'needs --img-dir' in capsys.readouterr().err
