"""mmext.analysis.analyze on hand-made predictions whose every error is known, against pycocotools' numbers."""
import contextlib
import io
import json

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmext.analysis import analyze
from mmext.errors import ConfigError


def test_confusion_counts_pictures_and_map(known, tiny_coco, tmp_path):
    report = analyze(known['path'], tiny_coco['val'], str(tmp_path / 'out'), img_dirs=[tiny_coco['img_dir']])
    assert report.counts['correct'] == known['n'] - 2
    assert (report.counts['confused'], report.counts['false_positives'], report.counts['missed']) == (1, 1, 1)
    rows = list(open(tmp_path / 'out' / 'confusion_matrix.csv'))
    assert rows[0].rstrip().endswith('background') and rows[-1].startswith('background')
    matrix = np.array([[int(v) for v in r.strip().split(',')[1:]] for r in rows[1:]])
    assert matrix.sum() == known['n'] - 1 + 1 + 1  # matches + missed + the false positive
    for name in ('confusion_matrix', 'pr_curves', 'ap_by_class', 'ap_by_size', 'worst_images'):
        img = cv2.imread(str(tmp_path / 'out' / f'{name}.png'))
        assert img is not None and img.shape[0] > 100 and img.shape[1] > 100, name
    assert not report.unreadable
    assert report.worst[0][0] == known['gt']['images'][0]['file_name']  # 2 missed + 1 false positive
    coco = COCO(tiny_coco['val'])
    with contextlib.redirect_stdout(io.StringIO()):
        E = COCOeval(coco, coco.loadRes(known['results']), 'bbox')
        E.evaluate(), E.accumulate(), E.summarize()
    assert report.metrics['mAP'] == pytest.approx(E.stats[0], abs=1e-12)
    assert report.metrics['mAP_small'] == pytest.approx(E.stats[3], abs=1e-12)
    summary = json.load(open(tmp_path / 'out' / 'summary.json'))
    assert set(summary['per_class']) == {c['name'] for c in known['gt']['categories']}


def test_thresholds_change_the_counts(known, tiny_coco, tmp_path):
    low = analyze(known['path'], tiny_coco['val'], str(tmp_path / 'low'), score_thr=0.05)
    assert low.counts['false_positives'] == 2  # the 0.1 detection now counts
    strict = analyze(known['path'], tiny_coco['val'], str(tmp_path / 'strict'), score_thr=0.85)
    assert strict.counts['false_positives'] == 0


def test_a_threshold_out_of_range_is_one_clear_line(known, tiny_coco, tmp_path):
    out = str(tmp_path / 'x')
    with pytest.raises(ConfigError, match='IoU threshold'):
        analyze(known['path'], tiny_coco['val'], out, iou_thr=1.5)


def test_missing_images_are_drawn_grey_and_named(known, tiny_coco, tmp_path):
    gt = dict(known['gt'], images=[dict(i, file_name='nowhere/' + i['file_name']) for i in known['gt']['images']])
    moved = tmp_path / 'gt.json'
    moved.write_text(json.dumps(gt))
    report = analyze(known['path'], str(moved), str(tmp_path / 'out'))
    assert report.unreadable and 'pass the image folder' in report.summary()
    assert cv2.imread(str(tmp_path / 'out' / 'worst_images.png')) is not None
