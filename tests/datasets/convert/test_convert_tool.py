"""tools/convert_dataset.py and tools/merge_datasets.py: what a user sees, exit codes, one-line errors."""
import json

from tests.datasets.coco_builder import load_tool
from tests.datasets.convert.formats import to_labelme, to_yolo

CONVERT = load_tool('convert_dataset')
MERGE = load_tool('merge_datasets')


def test_convert_prints_each_skip_the_counts_and_the_checks(coco, tmp_path, capsys):
    data, img_dir = coco
    src = to_labelme(data, img_dir, tmp_path / 'labelme')
    shapes = json.loads((src / 'b.json').read_text())
    shapes['shapes'].append(dict(label='cat', points=[[1, 1], [4, 4]], shape_type='circle'))
    (src / 'b.json').write_text(json.dumps(shapes))
    out = tmp_path / 'ann.json'
    assert CONVERT.main(['--from', 'labelme', str(src), '--out', str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"skipped annotation: {src / 'b.json'}: shape 4 ('cat', circle): a circle is not a rectangle or polygon; "
        'skipped (redraw it as one to keep it)',
        'converted 4 label files: 4 images, 7 annotations (3 with polygons), 3 categories',
        'skipped: 1 annotation (1 shape not a rectangle or polygon)',
        'checks (as tools/check_dataset.py): clean',
        f"wrote {out}; file names are relative to {src}/ (data_prefix=dict(img='{src}/'))"]


def test_convert_error_is_one_line_and_exit_1(coco, tmp_path, capsys):
    data, img_dir = coco
    src = to_yolo(data, img_dir, tmp_path / 'yolo')
    assert CONVERT.main(['--from', 'voc', str(src), '--out', str(tmp_path / 'ann.json')]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and '\n' not in err and 'use --from yolo' in err
    assert not (tmp_path / 'ann.json').exists()


def test_merge_prints_the_category_table(coco, tmp_path, capsys):
    data, img_dir = coco
    for name in ('a', 'b'):
        (tmp_path / f'{name}.json').write_text(json.dumps(data))
    args = [str(tmp_path / 'a.json'), str(tmp_path / 'b.json'), '--out', str(tmp_path / 'm.json'),
            '--map', 'traffic light=light']
    assert MERGE.main(args + ['--same-images']) == 0
    out = capsys.readouterr().out
    assert ("    3  light       2       2       4  'traffic light' (a.json, --map), 'traffic light' (b.json, "
            '--map)') in out
    assert '4 images named by more than one input' in out
    assert MERGE.main(args) == 1
    assert "are both 'a.jpg'" in capsys.readouterr().err
    assert MERGE.main(args[:4] + ['--root', str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip() == 'error: --root needs --img-dir (one image folder per input)'
