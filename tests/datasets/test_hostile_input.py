"""Hostile annotation files: image paths out of the image folder, and files past the read limits (size, values,
entries, problems, polygon points, nesting), in both readers and in CustomCocoDataset."""
from __future__ import annotations

import json

import pytest
from mmengine.registry import init_default_scope

from mmext.datasets.checks.limits import ReadLimitError
from mmext.datasets.custom_coco import CustomCocoDataset
from mmext.datasets.loading.annotation_file import load_checked, load_columns, parse_json, write_fixed
from mmext.errors import DatasetError
from tests.datasets.coco_builder import base_coco, load_tool
from tests.datasets.fuzz.seeds import image_folder

READERS = (load_checked, load_columns)


@pytest.fixture
def folder(tmp_path):
    """base_coco's images in ``images/``, with a symlink to a file outside, one to a folder outside, one inside."""
    return image_folder(tmp_path)


def _write(tmp_path, data, name='ann.json') -> str:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return str(path)


def _kinds(report, kind):
    return [(p.image_id, p.dropped_with) for p in report.problems if p.kind == kind]


@pytest.mark.parametrize('name', ['../../../../etc/passwd', '/etc/passwd', 'link_out.png', 'link_dir/evil.png',
                                  'sub/../../outside/evil.png', 'link_dir/../img1.png'])
@pytest.mark.parametrize('level', ['none', 'header'])
def test_an_image_outside_the_folder_is_dropped_with_its_annotations_by_both_readers(tmp_path, folder, name, level):
    data = base_coco()
    data['images'][0]['file_name'] = name  # image 1: 3 annotations
    ann = _write(tmp_path, data)
    for read in READERS:
        report = read(ann, folder['img_dir'], level).report
        assert _kinds(report, 'image_path_outside') == [(1, 3)], report.format_text()
        detail = next(p.detail for p in report.problems if p.kind == 'image_path_outside')
        assert name in detail and ('absolute' in detail or 'resolves to' in detail)
        assert not any(p.kind.startswith('image_') and p.kind != 'image_path_outside' and p.image_id == 1
                       for p in report.problems)  # never opened


def test_names_that_stay_inside_are_kept(tmp_path, folder):
    data = base_coco()
    data['images'][0]['file_name'] = 'link_in.png'  # a symlink to img1.png
    data['images'][1]['file_name'] = 'sub/../img2.jpg'
    ann = _write(tmp_path, data)
    for read in READERS:
        assert not _kinds(read(ann, folder['img_dir'], 'header').report, 'image_path_outside')


def test_without_an_image_folder_only_absolute_and_climbing_names_are_outside(tmp_path):
    data = base_coco()
    data['images'][0]['file_name'] = '../x.png'
    data['images'][1]['file_name'] = 'link_out.png'
    ann = _write(tmp_path, data)
    for read in READERS:
        assert _kinds(read(ann).report, 'image_path_outside') == [(1, 3)]


def test_the_dataset_drops_it_under_warn_and_stops_under_strict(tmp_path, folder):
    init_default_scope('mmdet')
    data = base_coco()
    data['images'][1]['file_name'] = '../../../../etc/passwd'
    ann = _write(tmp_path, data)
    cfg = dict(ann_file=ann, data_prefix=dict(img=folder['img_dir']), pipeline=[], filter_cfg=None)
    ds = CustomCocoDataset(**cfg)
    assert sorted(ds.get_data_info(i)['img_id'] for i in range(len(ds))) == [1, 3, 4]
    assert _kinds(ds.report, 'image_path_outside') == [(2, 2)]
    with pytest.raises(DatasetError, match=r"image id 2 .*/etc/passwd.*\[image_path_outside\]"):
        CustomCocoDataset(policy='strict', **cfg)


def test_check_dataset_reports_it(tmp_path, folder, capsys):
    data = base_coco()
    data['images'][2]['file_name'] = 'link_out.png'
    assert load_tool('check_dataset').main([_write(tmp_path, data), '--img-dir', folder['img_dir']]) == 1
    assert 'image_path_outside' in capsys.readouterr().out


# --- read limits ---------------------------------------------------------------------------------------------------

def _refused(ann, match, **limits):
    for read in READERS:
        with pytest.raises(ReadLimitError, match=match):
            read(ann, limits=limits)


def test_a_file_past_max_file_bytes_is_refused_before_it_is_read(tmp_path, monkeypatch):
    ann = _write(tmp_path, base_coco())
    _refused(ann, r'ann.json: the file is \d[\d,]* bytes \(read limit max_file_bytes=1,000\).*'
                  r'MMEXT_READ_MAX_FILE_BYTES=', max_file_bytes=1000)
    monkeypatch.setenv('MMEXT_READ_MAX_FILE_BYTES', '1e3')
    _refused(ann, 'max_file_bytes=1,000')
    init_default_scope('mmdet')
    with pytest.raises(ReadLimitError, match='max_file_bytes=1,000'):
        CustomCocoDataset(ann_file=ann, data_prefix=dict(img='images/'), pipeline=[])
    load_columns(ann, limits=dict(max_file_bytes=0))  # 0: no limit; the dataset's argument wins over the variable


@pytest.mark.parametrize('text', [
    b'[' + b'0,' * 200_000 + b'0]',  # one huge array: the json module would build every number
    b'{"images": [' + b'{},' * 200_000 + b'{}], "annotations": [], "categories": []}',  # ... and so would msgspec
    b'{"images": [], "categories": [' + b'[],' * 200_000 + b'[]], "annotations": []}'])
def test_one_huge_array_is_refused_past_max_values_before_it_is_parsed(tmp_path, text):
    _refused(_write(tmp_path, text), r'about [\d,]+ JSON values.* would be built as Python objects \(read limit '
                                     r'max_values=100,000\)', max_values=100_000)


def test_lists_past_max_entries_are_refused(tmp_path):
    data = base_coco()
    _refused(_write(tmp_path, data), r"the 'annotations' list holds more than 5 entries", max_entries=5)
    data['images'] += [dict(id=10 + i, file_name='x.png', width=4, height=4) for i in range(10)]
    data['annotations'] *= 20
    _refused(_write(tmp_path, data), r"the 'images' list holds more than 6 entries", max_entries=6)


def test_a_file_past_max_problems_is_refused(tmp_path):
    data = base_coco()
    data['annotations'] += [{}] * 50
    _refused(_write(tmp_path, data), r'more than 10 problems were found \(the most: 10 bad_annotation',
             max_problems=10)


def test_a_polygon_past_max_polygon_points_loses_its_segmentation_in_both_readers(tmp_path):
    data = base_coco()
    data['annotations'][0]['segmentation'] = [[5.0, 6.0, 15.0, 6.0] * 5000]  # 10,000 points, inside the image
    ann = _write(tmp_path, data)
    for read in READERS:
        report = read(ann, limits=dict(max_polygon_points=5000)).report
        bad = [p for p in report.problems if p.kind == 'bad_segmentation']
        assert len(bad) == 1 and bad[0].ann_id == 1 and '10,000 points' in bad[0].detail
        assert 'max_polygon_points=5,000' in bad[0].detail
        assert not any(p.kind == 'bad_segmentation' for p in read(ann).report.problems)  # default: 1,000,000


# --- nesting -------------------------------------------------------------------------------------------------------

def _nested(depth: int, where: str) -> bytes:
    data = base_coco()
    if where == 'segmentation':
        data['annotations'][1]['segmentation'] = '@deep@'
    else:
        data['annotations'][1]['attributes'] = '@deep@'
    return json.dumps(data).replace('"@deep@"', '[' * depth + '1' + ']' * depth).encode()


@pytest.mark.parametrize('where', ['segmentation', 'attributes'])
def test_100_levels_of_nesting_get_a_verdict_and_100000_are_invalid_json(tmp_path, where):
    ann = _write(tmp_path, _nested(100, where))
    kinds = [sorted(p.kind for p in read(ann).report.problems) for read in READERS]
    assert kinds[0] == kinds[1] and ('bad_segmentation' in kinds[0]) == (where == 'segmentation')
    ann = _write(tmp_path, _nested(100_000, where))
    for read in READERS:
        problems = read(ann).report.problems
        assert [(p.kind, p.detail) for p in problems] == [('invalid_json', 'not valid JSON for this reader: nested '
                                                                            'too deeply')]


def test_the_nesting_limit_does_not_depend_on_where_the_file_is_read_from(tmp_path):
    def deepest(extra_frames: int) -> int:
        if extra_frames:
            return deepest(extra_frames - 1)
        low, high = 100, 5000  # the deepest file the json reader takes
        while low + 1 < high:
            mid = (low + high) // 2
            low, high = (mid, high) if parse_json(b'[' * mid + b']' * mid, 'x')[1] is None else (low, mid)
        return low
    assert deepest(0) == deepest(300) > 900
    depth = deepest(0)
    data = base_coco()
    data['info'] = 'deep'
    ann = _write(tmp_path, json.dumps(data).replace('"deep"', '[' * (depth - 2) + ']' * (depth - 2)).encode())
    checked = load_checked(ann)
    with pytest.raises(DatasetError, match='nested too deeply for the json module to write'):
        write_fixed(checked, str(tmp_path / 'fixed.json'), ann)


def test_split_coco_refuses_a_file_past_a_read_limit(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('MMEXT_READ_MAX_FILE_BYTES', '100')
    assert load_tool('split_coco').main([_write(tmp_path, base_coco()), '--out-dir', str(tmp_path / 'out')]) == 1
    assert 'read limit max_file_bytes=100' in capsys.readouterr().err
