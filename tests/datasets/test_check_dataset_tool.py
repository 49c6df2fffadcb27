"""tools/check_dataset.py: the report, exit codes, --format json, --fix."""
import json

from mmext.datasets.loading.annotation_file import load_checked
from tests.datasets.coco_builder import base_coco, load_tool, write_coco

TOOL = load_tool('check_dataset')


def test_clean_file_exits_0(tmp_path, capsys):
    files = write_coco(tmp_path)
    assert TOOL.main([files['ann'], '--img-dir', files['img_dir']]) == 0
    assert capsys.readouterr().out.rstrip().endswith('clean')


def test_problems_exit_1_and_fix_writes_a_clean_copy(tmp_path, capsys):
    data = base_coco()
    data['annotations'][0]['bbox'] = [1, 2, 0, 4]
    data['annotations'][1]['category_id'] = 9
    data['images'][2]['width'] = 0
    files = write_coco(tmp_path, data)
    (tmp_path / 'images' / 'img2.jpg').write_bytes(b'')
    before = open(files['ann']).read()
    out_file = tmp_path / 'fixed' / 'ann.json'
    assert TOOL.main([files['ann'], '--img-dir', files['img_dir'], '--fix', str(out_file)]) == 1
    out = capsys.readouterr().out
    for kind in ('empty_bbox', 'unknown_category', 'image_empty', 'size_from_header'):
        assert kind in out
    assert f'wrote {out_file}: 3 of 4 images, 3 of 7 annotations, 3 categories' in out
    assert '2 annotations dropped with it' in out  # the annotations of the empty image file
    assert open(files['ann']).read() == before  # the input is never changed
    assert TOOL.main([str(out_file), '--img-dir', files['img_dir']]) == 0
    fixed = json.loads(out_file.read_text())
    assert next(i for i in fixed['images'] if i['id'] == 3)['width'] == 40


def test_json_format_and_refusals(tmp_path, capsys):
    files = write_coco(tmp_path)
    (tmp_path / 'bad.json').write_text('{"images": [')
    assert TOOL.main([str(tmp_path / 'bad.json'), '--format', 'json']) == 1
    report = json.loads(capsys.readouterr().out)
    assert report['kinds']['invalid_json']['count'] == 1 and report['counts']['fatal'] == 1
    assert TOOL.main([files['ann'], '--fix', files['ann']]) == 1
    assert 'is the input file' in capsys.readouterr().err
    assert TOOL.main([str(tmp_path / 'bad.json'), '--fix', str(tmp_path / 'o.json')]) == 1
    assert 'nothing written' in capsys.readouterr().err and not (tmp_path / 'o.json').exists()
    assert TOOL.main([str(tmp_path / 'none.json')]) == 1
    assert 'cannot be read' in capsys.readouterr().err
    assert load_checked(files['ann']).report.clean
