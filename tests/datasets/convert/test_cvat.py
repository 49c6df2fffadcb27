"""CVAT for images 1.1 into COCO: the round trip (boxes and polygons), and bad input named and counted."""
import json
import xml.etree.ElementTree as ET

import pytest

from mmext.datasets.convert import convert_dataset
from mmext.errors import DatasetError
from tests.datasets.convert.formats import assert_same_objects, to_cvat, to_voc

ROUNDING = 0.005  # CVAT writes 2 decimals


def _convert(src, tmp_path, **kw):
    return convert_dataset('cvat-xml', str(src), str(tmp_path / 'out.json'), **kw)


def test_round_trip_gives_back_the_boxes_polygons_and_classes(coco, tmp_path):
    data, img_dir = coco
    data['categories'].append(dict(id=4, name='bird'))  # a label with no shape: CVAT keeps it, and so do we
    src = to_cvat(data, img_dir, tmp_path / 'cvat')
    result = _convert(src / 'annotations.xml', tmp_path)
    got = json.loads((tmp_path / 'out.json').read_text())
    assert_same_objects(got, data, ROUNDING)
    assert [c['name'] for c in got['categories']] == ['cat', 'dog', 'traffic light', 'bird']
    assert result.converted.img_dir == str(src / 'images') and result.converted.report.entries == []
    assert [p.kind for p in result.checked.report.problems if p.severity != 'info'] == ['unused_category']


def test_shapes_that_are_not_boxes_or_polygons_and_rotated_boxes_are_named(coco, tmp_path):
    data, img_dir = coco
    src = to_cvat(data, img_dir, tmp_path / 'cvat')
    tree = ET.parse(src / 'annotations.xml')
    image = tree.getroot().find('image')
    ET.SubElement(image, 'polyline', label='cat', points='1,1;5,5')
    ET.SubElement(image, 'box', label='dog', xtl='1', ytl='1', xbr='9', ybr='9', rotation='30')
    tree.write(src / 'annotations.xml')
    report = _convert(src, tmp_path).converted.report
    assert [(e.where, e.reason) for e in report.entries] == [
        ("image 'a.jpg' (id 0), polyline 3 ('cat')", 'shape not a box or polygon'),
        ("image 'a.jpg' (id 0), box 4 ('dog')", 'rotated box')]
    assert 'COCO boxes are axis-aligned' in report.entries[1].what


def test_video_export_and_other_xml_are_errors(coco, tmp_path):
    data, img_dir = coco
    video = tmp_path / 'video.xml'
    video.write_text('<annotations><version>1.1</version><track id="0" label="cat"/></annotations>')
    with pytest.raises(DatasetError, match='a CVAT for video export .* "CVAT for images 1.1"'):
        _convert(video, tmp_path)
    src = to_voc(data, img_dir, tmp_path / 'voc')
    with pytest.raises(DatasetError, match=r'root element <annotation>, not CVAT.*use --from voc'):
        _convert(src / 'Annotations' / 'a.xml', tmp_path)
    with pytest.raises(DatasetError, match='no CVAT export here'):
        _convert(tmp_path / 'nowhere', tmp_path)
