"""The writer: an empty conversion is an error (never an empty file), and the result passes the dataset checks."""
import json

import pytest

from mmext.datasets.convert import convert_dataset
from mmext.datasets.convert.report import ConvertReport
from mmext.datasets.convert.writer import CocoWriter, norm_name, write_checked
from mmext.errors import DatasetError
from tests.datasets.convert.formats import to_yolo


def test_everything_skipped_is_an_error_and_writes_nothing(coco, tmp_path):
    data, img_dir = coco
    src = to_yolo(data, img_dir, tmp_path / 'yolo')
    (src / 'data.yaml').write_text('names: [only]\n')  # every class index but 0 is now out of range
    for label in (src / 'labels' / 'train').rglob('*.txt'):
        label.write_text(''.join('5' + line[1:] + '\n' for line in label.read_text().splitlines()))
    with pytest.raises(DatasetError, match=r'nothing written to .*out.json: 4 images and 0 annotations converted '
                                           r'from 4 files \(skipped: 7 annotations \(7 class index out of range\)'):
        convert_dataset('yolo', str(src), str(tmp_path / 'out.json'))
    assert not (tmp_path / 'out.json').exists()


def test_objects_go_through_the_annotation_rules(coco, tmp_path):
    _, img_dir = coco
    report = ConvertReport('src')
    writer = CocoWriter(report)
    img = writer.image(str(img_dir / 'a.jpg'), str(img_dir), 'a.txt')
    cat = writer.category('cat', 'a.txt', 'line 1')
    assert writer.add(img, cat, [60, 40, 10, 10], 'a.txt', 'line 1')  # 64x48: clipped
    assert not writer.add(img, cat, [3, 3, 0, 5], 'a.txt', 'line 2')
    assert writer.add(img, cat, [3, 3, 5, 5], 'a.txt', 'line 3', segmentation=[[1, 2]])  # box kept
    assert [(e.unit, e.where, e.reason) for e in report.entries] == [
        ('note', 'line 1', 'bbox partly outside'), ('annotation', 'line 2', 'empty bbox'),
        ('note', 'line 3', 'bad segmentation')]
    checked = write_checked(writer.to_coco('test'), str(tmp_path / 'out.json'), str(img_dir), report)
    assert checked.report.clean
    anns = json.loads((tmp_path / 'out.json').read_text())['annotations']
    assert anns[0]['bbox'] == [60.0, 40.0, 4.0, 8.0] and anns[0]['area'] == 32.0
    assert anns[1]['segmentation'] == []


def test_an_image_is_taken_once(coco):
    _, img_dir = coco
    report = ConvertReport('src')
    writer = CocoWriter(report)
    assert writer.image(str(img_dir / 'a.jpg'), str(img_dir), 'one.json')
    assert writer.image(str(img_dir / 'a.jpg'), str(img_dir), 'two.json', objects=2) is None
    assert writer.image(str(img_dir / 'a.jpg'), str(img_dir / 'sub'), 'three.json') is None
    assert [e.what for e in report.entries] == [
        'a.jpg is already annotated by one.json; its 2 objects skipped with it',
        f'{img_dir / "a.jpg"} is outside the image folder {img_dir / "sub"} (pass --img-dir a folder that holds '
        'every image)']


def test_names_match_without_case_spaces_underscores_or_dashes():
    assert norm_name(' Traffic_Light ') == norm_name('traffic  light') == norm_name('TRAFFIC-LIGHT')
    assert norm_name('trafficlight') != norm_name('traffic light')
