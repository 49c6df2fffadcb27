"""tools/browse_dataset.py and the pictures behind it: ground-truth grids after the pipeline, class bar chart."""
import cv2
import numpy as np

from mmext.visualization.bar_charts import bar_chart
from tests.conftest import DEMO_CONFIG, demo_data_options
from tests.datasets.coco_builder import load_tool, write_coco


def test_bar_lengths_follow_the_counts():
    img = bar_chart(['a', 'bb', 'c'], [10, 5, 0], bar_width=400, row_height=18)
    coloured = (img.max(axis=2).astype(int) - img.min(axis=2)) > 60  # bars are saturated, text is grey
    lengths = [int(coloured[8 + i * 18 + 9].sum()) for i in range(3)]
    assert abs(lengths[0] - 400) <= 2 and abs(lengths[1] - 200) <= 2 and lengths[2] == 0


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
