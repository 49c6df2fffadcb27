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
from mmext.errors import ConfigError, DatasetError


@pytest.fixture
def known(tiny_coco, tmp_path):
    """The val split's ground truth as predictions (score 0.9), except: on the first image one object is
    missed and one gets another class; one false positive far from everything on the second image."""
    gt = json.load(open(tiny_coco['val']))
    cats = sorted(c['id'] for c in gt['categories'])
    first, second = gt['images'][0]['id'], gt['images'][1]['id']
    results, dropped, relabelled = [], 0, 0
    for ann in gt['annotations']:
        if ann['image_id'] == first and not dropped:
            dropped = 1
            continue
        cat = ann['category_id']
        if ann['image_id'] == first and not relabelled:
            relabelled, cat = 1, cats[(cats.index(cat) + 1) % len(cats)]
        results.append(dict(image_id=ann['image_id'], category_id=cat, bbox=ann['bbox'], score=0.9))
    results.append(dict(image_id=second, category_id=cats[0], bbox=[0, 0, 3, 3], score=0.8))
    results.append(dict(image_id=second, category_id=cats[0], bbox=[0, 0, 3, 3], score=0.1))  # below score_thr
    path = tmp_path / 'results.json'
    path.write_text(json.dumps(results))
    return dict(gt=gt, results=results, path=str(path), cats=cats, n=len(gt['annotations']))


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


def test_infer_style_json_matches_by_file_name_and_class_name(known, tiny_coco, tmp_path):
    """tools/infer.py's json has its own image and category ids: matched by file name and class name."""
    gt = known['gt']
    images = [dict(id=1000 + i, file_name='/elsewhere/' + img['file_name'], width=img['width'],
                   height=img['height']) for i, img in enumerate(gt['images'])]
    new_id = {img['id']: 1000 + i for i, img in enumerate(gt['images'])}
    cats = [dict(id=50 + i, name=c['name']) for i, c in enumerate(sorted(gt['categories'], key=lambda c: c['id']))]
    new_cat = {c['id']: 50 + i for i, c in enumerate(sorted(gt['categories'], key=lambda c: c['id']))}
    anns = [dict(r, image_id=new_id[r['image_id']], category_id=new_cat[r['category_id']]) for r in known['results']]
    path = tmp_path / 'infer.json'
    path.write_text(json.dumps(dict(images=images, annotations=anns, categories=cats)))
    plain = analyze(known['path'], tiny_coco['val'], str(tmp_path / 'a'))
    other = analyze(str(path), tiny_coco['val'], str(tmp_path / 'b'))
    assert other.counts == plain.counts
    assert json.dumps(other.metrics) == json.dumps(plain.metrics)  # NaN == NaN (no large objects)
    assert open(tmp_path / 'a' / 'confusion_matrix.csv').read() == open(tmp_path / 'b' / 'confusion_matrix.csv').read()


def test_thresholds_change_the_counts(known, tiny_coco, tmp_path):
    low = analyze(known['path'], tiny_coco['val'], str(tmp_path / 'low'), score_thr=0.05)
    assert low.counts['false_positives'] == 2  # the 0.1 detection now counts
    strict = analyze(known['path'], tiny_coco['val'], str(tmp_path / 'strict'), score_thr=0.85)
    assert strict.counts['false_positives'] == 0


def test_bad_input_is_one_clear_line(known, tiny_coco, tmp_path):
    out = str(tmp_path / 'x')
    with pytest.raises(DatasetError, match='does not exist'):
        analyze(str(tmp_path / 'missing.json'), tiny_coco['val'], out)
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps([dict(image_id=987654, category_id=known['cats'][0], bbox=[0, 0, 1, 1], score=1)]))
    with pytest.raises(DatasetError, match=r'image ids \[987654\].*not in the ground truth'):
        analyze(str(bad), tiny_coco['val'], out)
    bad.write_text(json.dumps(dict(images=[], categories=[dict(id=1, name='zebra')], annotations=[])))
    with pytest.raises(DatasetError, match=r"classes \['zebra'\] are not in the ground truth"):
        analyze(str(bad), tiny_coco['val'], out)
    bad.write_text(json.dumps([dict(image_id=1, bbox=[0, 0, 1, 1])]))
    with pytest.raises(DatasetError, match='has no category_id, score'):
        analyze(str(bad), tiny_coco['val'], out)
    no_anns = tmp_path / 'no_anns.json'
    no_anns.write_text(json.dumps(dict(known['gt'], annotations=[])))
    with pytest.raises(DatasetError, match='has no annotations'):
        analyze(known['path'], str(no_anns), out)
    with pytest.raises(ConfigError, match='IoU threshold'):
        analyze(known['path'], tiny_coco['val'], out, iou_thr=1.5)


def test_missing_images_are_drawn_grey_and_named(known, tiny_coco, tmp_path):
    gt = dict(known['gt'], images=[dict(i, file_name='nowhere/' + i['file_name']) for i in known['gt']['images']])
    moved = tmp_path / 'gt.json'
    moved.write_text(json.dumps(gt))
    report = analyze(known['path'], str(moved), str(tmp_path / 'out'))
    assert report.unreadable and 'pass the image folder' in report.summary()
    assert cv2.imread(str(tmp_path / 'out' / 'worst_images.png')) is not None
