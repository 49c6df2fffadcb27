"""YOLO labels into COCO: the round trip (boxes and polygons), and every kind of bad input named and counted."""
import json
import shutil

import pytest

from mmext.datasets.convert import convert_dataset
from mmext.datasets.convert.yolo import label_path
from mmext.errors import DatasetError
from tests.datasets.convert.formats import assert_same_objects, to_voc, to_yolo

# YOLO stores coordinates divided by the image size, here with 6 decimals: 0.5e-6 of 80 pixels, each way
ROUNDING = 1e-4


def _convert(src, tmp_path, **kw):
    return convert_dataset('yolo', str(src), str(tmp_path / 'out.json'), **kw)


def test_round_trip_gives_back_the_boxes_polygons_and_classes(coco, tmp_path):
    data, img_dir = coco
    src = to_yolo(data, img_dir, tmp_path / 'yolo')
    result = _convert(src, tmp_path, img_dir=str(src / 'images' / 'train'))
    got = json.loads((tmp_path / 'out.json').read_text())
    assert [c['name'] for c in got['categories']] == ['cat', 'dog', 'traffic light']  # data.yaml's order
    worst = assert_same_objects(got, data, ROUNDING)
    assert worst > 0  # the normalised floats really were rounded
    assert result.converted.report.entries == [] and result.checked.report.clean
    assert {(i['file_name'], i['width'], i['height']) for i in got['images']} == {
        (i['file_name'], i['width'], i['height']) for i in data['images']}  # sizes from the image headers


def test_file_names_are_relative_to_the_dataset_folder_by_default(coco, tmp_path):
    data, img_dir = coco
    src = to_yolo(data, img_dir, tmp_path / 'yolo')
    _convert(src, tmp_path)
    got = json.loads((tmp_path / 'out.json').read_text())
    assert sorted(i['file_name'] for i in got['images'])[0] == 'images/train/a.jpg'


def test_class_index_beyond_the_list_is_named_and_the_rest_converted(coco, tmp_path):
    data, img_dir = coco
    src = to_yolo(data, img_dir, tmp_path / 'yolo')
    label = src / 'labels' / 'train' / 'b.txt'
    lines = label.read_text().splitlines()
    lines[1] = '7' + lines[1][1:]
    label.write_text('\n'.join(lines) + '\n')
    result = _convert(src, tmp_path)
    report = result.converted.report
    assert report.skipped('annotation') == 1
    (entry,) = report.entries
    assert entry.source == str(label) and entry.where == 'line 2'
    assert 'class index 7 is not in the class list' in entry.what and 'data.yaml has 3 classes, 0..2' in entry.what
    assert 'skipped: 1 annotation (1 class index out of range)' in report.summary()
    assert len(json.loads((tmp_path / 'out.json').read_text())['annotations']) == len(data['annotations']) - 1


def test_bad_lines_are_named(coco, tmp_path):
    data, img_dir = coco
    src = to_yolo(data, img_dir, tmp_path / 'yolo')
    label = src / 'labels' / 'train' / 'a.txt'
    label.write_text(label.read_text() + '0 0.5 0.5 0.1\n1 120 80 30 40\nx y z w h\n')
    report = _convert(src, tmp_path).converted.report
    assert [(e.where, e.reason) for e in report.entries] == [
        ('line 3', 'wrong number of values'), ('line 4', 'not normalised'), ('line 5', 'unreadable line')]


def test_labels_without_images_and_images_without_labels_are_said(coco, tmp_path):
    data, img_dir = coco
    src = to_yolo(data, img_dir, tmp_path / 'yolo')
    (src / 'labels' / 'train' / 'd.txt').unlink()  # d.jpg has no objects: now no label file at all
    shutil.copy(src / 'labels' / 'train' / 'a.txt', src / 'labels' / 'train' / 'gone.txt')
    report = _convert(src, tmp_path).converted.report
    assert [(e.unit, e.reason, e.source.rsplit('/', 1)[-1]) for e in report.entries] == [
        ('note', 'no label file', 'd.jpg'), ('file', 'label file without an image', 'gone.txt')]


def test_a_folder_of_another_format_is_an_error_that_names_it(coco, tmp_path):
    data, img_dir = coco
    src = to_voc(data, img_dir, tmp_path / 'voc')
    with pytest.raises(DatasetError, match=r'no class list .* It looks like Pascal VOC xml \(4 files\): use --from '
                                           'voc'):
        _convert(src, tmp_path)
    (src / 'classes.txt').write_text('cat\ndog\n')
    with pytest.raises(DatasetError, match='no YOLO label file found for any of its 4 images.*use --from voc'):
        _convert(src, tmp_path)
    assert not (tmp_path / 'out.json').exists()


def test_label_path_follows_yolo(tmp_path):
    assert label_path('/d/images/train/x.jpg') == '/d/labels/train/x.txt'
    assert label_path('/images/d/images/x.png') == '/images/d/labels/x.txt'  # the last images folder
    assert label_path('/d/x.jpg') == '/d/x.txt'
