"""Pascal VOC xml into COCO: the round trip, difficult objects, and bad input named and counted."""
import json

import pytest

from mmext.datasets.convert import convert_dataset
from mmext.errors import DatasetError
from tests.datasets.convert.formats import assert_same_objects, to_labelme, to_voc


def _convert(src, tmp_path, **kw):
    return convert_dataset('voc', str(src), str(tmp_path / 'out.json'), **kw)


def test_round_trip_gives_back_the_boxes_and_classes(coco, tmp_path):
    data, img_dir = coco
    src = to_voc(data, img_dir, tmp_path / 'voc')
    result = _convert(src, tmp_path)
    got = json.loads((tmp_path / 'out.json').read_text())
    assert_same_objects(got, data, tol=0, polygons=False)  # integer corners: exact
    assert [c['name'] for c in got['categories']] == ['cat', 'dog', 'traffic light']
    assert result.converted.img_dir == str(src / 'JPEGImages') and result.checked.report.clean


def test_class_list_fixes_the_order(coco, tmp_path):
    data, img_dir = coco
    src = to_voc(data, img_dir, tmp_path / 'voc')
    (tmp_path / 'classes.txt').write_text('traffic light\ndog\n')
    result = _convert(src, tmp_path, classes=str(tmp_path / 'classes.txt'))
    got = json.loads((tmp_path / 'out.json').read_text())
    assert [c['name'] for c in got['categories']] == ['traffic light', 'dog']
    assert result.converted.report.skipped('annotation') == 3  # the cats: not in the list, each named
    assert all("class 'cat' is not in the class list" in e.what for e in result.converted.report.entries)


def test_difficult_objects_become_ignore_regions(coco, tmp_path):
    data, img_dir = coco
    data['annotations'][0]['iscrowd'] = 1
    src = to_voc(data, img_dir, tmp_path / 'voc')
    _convert(src, tmp_path)
    got = json.loads((tmp_path / 'out.json').read_text())
    assert sum(a['iscrowd'] for a in got['annotations']) == 1


def test_box_outside_the_image_is_named_and_the_rest_converted(coco, tmp_path):
    data, img_dir = coco
    data['annotations'][1]['bbox'] = [70.0, 50.0, 10.0, 10.0]  # a.jpg is 64x48
    data['annotations'][0]['bbox'] = [50.0, 40.0, 30.0, 20.0]  # sticks out: clipped
    src = to_voc(data, img_dir, tmp_path / 'voc')
    result = _convert(src, tmp_path)
    report = result.converted.report
    skipped = [e for e in report.entries if e.unit == 'annotation']
    assert len(skipped) == 1 and skipped[0].source == str(src / 'Annotations' / 'a.xml')
    assert skipped[0].where == "object 2 ('dog')" and 'lies outside the 64x48 image' in skipped[0].what
    (note,) = [e for e in report.entries if e.unit == 'note']
    assert note.where == "object 1 ('cat')" and 'clipped to [50.0, 40.0, 14.0, 8.0]' in note.what
    assert len(json.loads((tmp_path / 'out.json').read_text())['annotations']) == len(data['annotations']) - 1


def test_wrong_size_in_the_xml_is_noted_and_the_file_wins(coco, tmp_path):
    data, img_dir = coco
    src = to_voc(data, img_dir, tmp_path / 'voc')
    xml = src / 'Annotations' / 'd.xml'
    xml.write_text(xml.read_text().replace('<width>40</width>', '<width>400</width>'))
    report = _convert(src, tmp_path).converted.report
    (note,) = report.entries
    assert 'the label file says 400x30' in note.what and note.source == str(xml)


def test_missing_image_and_foreign_files_are_named(coco, tmp_path):
    data, img_dir = coco
    src = to_voc(data, img_dir, tmp_path / 'voc')
    (src / 'JPEGImages' / 'b.png').unlink()
    (src / 'Annotations' / 'notes.xml').write_text('<annotations><version>1.1</version></annotations>')
    (src / 'Annotations' / 'broken.xml').write_text('<annotation><object>')
    report = _convert(src, tmp_path).converted.report
    assert [(e.unit, e.reason) for e in report.entries] == [
        ('image', 'image missing or unreadable'), ('file', 'invalid xml'), ('file', 'not a VOC file')]
    assert 'its 3 objects skipped with it' in report.entries[0].what


def test_a_folder_of_another_format_is_an_error_that_names_it(coco, tmp_path):
    data, img_dir = coco
    src = to_labelme(data, img_dir, tmp_path / 'labelme')
    with pytest.raises(DatasetError, match=r'no Pascal VOC xml file .* among its 0 xml files\. It looks like '
                                           r'LabelMe json \(4 files\): use --from labelme'):
        _convert(src, tmp_path)
