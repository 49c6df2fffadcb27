"""LabelMe json into COCO: the round trip (rectangles and polygons), grouped shapes, and bad input named."""
import json

import pytest

from mmext.datasets.convert import convert_dataset
from mmext.errors import DatasetError
from tests.datasets.convert.formats import assert_same_objects, to_labelme, to_yolo


def _convert(src, tmp_path, **kw):
    return convert_dataset('labelme', str(src), str(tmp_path / 'out.json'), **kw)


def _edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_round_trip_gives_back_the_boxes_polygons_and_classes(coco, tmp_path):
    data, img_dir = coco
    src = to_labelme(data, img_dir, tmp_path / 'labelme')
    result = _convert(src, tmp_path)
    got = json.loads((tmp_path / 'out.json').read_text())
    assert_same_objects(got, data, tol=0)
    assert [c['name'] for c in got['categories']] == ['cat', 'dog', 'traffic light']
    assert result.converted.report.entries == [] and result.checked.report.clean


def test_shapes_that_are_not_rectangles_or_polygons_are_named(coco, tmp_path):
    data, img_dir = coco
    src = to_labelme(data, img_dir, tmp_path / 'labelme')
    extra = [dict(label='dog', points=[[10, 10], [14, 14]], shape_type='circle'),
             dict(label='cat', points=[[1, 1], [9, 9]], shape_type='line'),
             dict(label='cat', points=[[3, 3]], shape_type='point')]
    _edit(src / 'a.json', lambda d: d['shapes'].extend(extra))
    result = _convert(src, tmp_path)
    report = result.converted.report
    assert [(e.where, e.reason) for e in report.entries] == [
        ("shape 3 ('dog', circle)", 'shape not a rectangle or polygon'),
        ("shape 4 ('cat', line)", 'shape not a rectangle or polygon'),
        ("shape 5 ('cat', point)", 'shape not a rectangle or polygon')]
    assert all(e.source == str(src / 'a.json') for e in report.entries)
    assert 'skipped: 3 annotations (3 shape not a rectangle or polygon)' in report.summary()
    assert len(json.loads((tmp_path / 'out.json').read_text())['annotations']) == len(data['annotations'])


def test_shapes_of_one_group_are_one_object(coco, tmp_path):
    data, img_dir = coco
    src = to_labelme(data, img_dir, tmp_path / 'labelme')
    parts = [dict(label='dog', points=[[1, 1], [8, 1], [8, 6]], shape_type='polygon', group_id=3),
             dict(label='dog', points=[[20, 20], [30, 20], [30, 28]], shape_type='polygon', group_id=3)]
    _edit(src / 'd.json', lambda d: d['shapes'].extend(parts))
    _convert(src, tmp_path)
    got = json.loads((tmp_path / 'out.json').read_text())
    (ann,) = [a for a in got['annotations'] if a['image_id'] == [i for i in got['images']
                                                                   if i['file_name'] == 'd.jpg'][0]['id']]
    assert ann['bbox'] == [1.0, 1.0, 29.0, 27.0] and len(ann['segmentation']) == 2


def test_missing_image_and_foreign_json_are_named(coco, tmp_path):
    data, img_dir = coco
    src = to_labelme(data, img_dir, tmp_path / 'labelme')
    (src / 'b.png').unlink()
    (src / 'coco.json').write_text(json.dumps(dict(images=[], annotations=[], categories=[])))
    report = _convert(src, tmp_path).converted.report
    assert [(e.unit, e.reason, e.source.rsplit('/', 1)[-1]) for e in report.entries] == [
        ('image', 'image missing or unreadable', 'b.json'), ('file', 'not a LabelMe file', 'coco.json')]


def test_a_folder_of_another_format_is_an_error_that_names_it(coco, tmp_path):
    data, img_dir = coco
    src = to_yolo(data, img_dir, tmp_path / 'yolo')
    # 3 label files: the fourth (d.jpg, a background image) is empty and says nothing about its format
    with pytest.raises(DatasetError, match=r'no LabelMe file .* It looks like YOLO txt labels \(3 files\): use '
                                           '--from yolo'):
        _convert(src, tmp_path)
