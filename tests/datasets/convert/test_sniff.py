"""Telling labelling formats apart, and the hint when a folder is given as another format."""
import json

from mmext.datasets.convert.sniff import format_hint, json_kind, sniff, xml_root
from tests.datasets.convert.formats import to_cvat, to_labelme, to_voc, to_yolo


def test_each_export_is_told_apart(coco, tmp_path):
    content, img_dir = coco
    yolo = to_yolo(content, img_dir, tmp_path / 'yolo')
    voc = to_voc(content, img_dir, tmp_path / 'voc')
    labelme = to_labelme(content, img_dir, tmp_path / 'labelme')
    cvat = to_cvat(content, img_dir, tmp_path / 'cvat')
    (tmp_path / 'coco').mkdir()
    (tmp_path / 'coco' / 'instances.json').write_text(json.dumps(content))
    found = {name: dict(sniff(str(folder))) for name, folder in
             (('yolo', yolo), ('voc', voc), ('labelme', labelme), ('cvat', cvat), ('coco', tmp_path / 'coco'))}
    assert set(found['yolo']) == {'yolo'} and set(found['voc']) == {'voc'}
    assert set(found['labelme']) == {'labelme'} and found['cvat'] == {'cvat-xml': 1}
    assert found['coco'] == {'coco': 1}
    assert sniff(str(tmp_path / 'coco' / 'instances.json')) == {'coco': 1}  # one file


def test_the_hint_names_what_the_folder_holds(coco, tmp_path):
    content, img_dir = coco
    voc = to_voc(content, img_dir, tmp_path / 'voc')
    assert format_hint(str(voc), 'voc') == ''
    n = sniff(str(voc))['voc']
    assert format_hint(str(voc), 'yolo') == f' It looks like Pascal VOC xml ({n} files): use --from voc.'
    (tmp_path / 'coco.json').write_text(json.dumps(content))
    assert format_hint(str(tmp_path / 'coco.json'), 'labelme') == (
        ' It looks like COCO json (nothing to convert: check it with tools/check_dataset.py) (1 files).')
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'notes.txt').write_text('hello world\n')
    assert 'holds no file of a known labelling format' in format_hint(str(tmp_path / 'empty'), 'yolo')


def test_foreign_and_broken_files_are_no_format(tmp_path):
    (tmp_path / 'a.xml').write_text('<svg></svg>')
    (tmp_path / 'b.xml').write_text('<annotation><obj')
    (tmp_path / 'c.json').write_text('{"shapes": 1}')
    (tmp_path / 'd.json').write_text('{')
    (tmp_path / 'e.txt').write_text('0 0.5 0.5 0.2\n')  # 4 numbers: not a YOLO box
    assert xml_root(str(tmp_path / 'a.xml')) == 'svg' and xml_root(str(tmp_path / 'd.json')) is None
    assert json_kind(str(tmp_path / 'c.json')) is None and json_kind(str(tmp_path / 'd.json')) is None
    assert sniff(str(tmp_path)) == {'voc': 1}  # b.xml's root element is VOC's, cut short after it
