"""The annotation file mapped and given back a part at a time (``mmext.datasets.loading.mapped_file``)."""
from __future__ import annotations

import json
import mmap

import pytest

from mmext.datasets.loading.annotation_file import load_checked, load_columns
from mmext.datasets.loading.fast_reader import check_columns
from mmext.datasets.loading.mapped_file import as_bytes, is_ascii, read_mapped, release


def _rss_mb() -> float:
    with open('/proc/self/status') as f:
        return next(int(line.split()[1]) for line in f if line.startswith('VmRSS')) / 1024


def test_an_empty_file_is_read_as_bytes(tmp_path):
    path = tmp_path / 'empty.json'
    path.write_bytes(b'')
    with open(path, 'rb') as f:
        assert read_mapped(f, 0) == b''
    release(b'abc')  # bytes: nothing to give back


@pytest.mark.skipif(not hasattr(mmap, 'MADV_DONTNEED'), reason='no madvise here')
def test_released_pages_leave_the_process_and_read_back_the_same(tmp_path):
    path = tmp_path / 'big.json'
    content = (b'[' + b'1234567,' * (8 << 20) + b'0]')  # 64 MB
    path.write_bytes(content)
    with open(path, 'rb') as f:
        buffer = read_mapped(f, len(content))
    assert isinstance(buffer, mmap.mmap) and is_ascii(buffer)
    release(buffer)  # what is_ascii faulted in
    before = _rss_mb()
    assert buffer[:].count(b',') == 8 << 20  # every page faulted in
    touched = _rss_mb()
    release(buffer, 1, len(buffer) - 1)  # (the partial first page stays; the last one goes with the end)
    assert touched - before > 50 and touched - _rss_mb() > 50
    assert as_bytes(buffer) == content  # read again from the page cache


def test_a_mapped_file_loads_as_its_bytes_check(tmp_path):
    data = dict(images=[dict(id=i, file_name=f'{i}.jpg', width=64, height=48) for i in range(1, 40)],
                annotations=[dict(id=k, image_id=k % 39 + 1, category_id=1, bbox=[1, 2, 10.5, 8], area=84,
                                  iscrowd=0, segmentation=[[1, 2, 11, 2, 11, 10]]) for k in range(1, 300)]
                + [dict(id=400, image_id=1, category_id=1, bbox=[1, 2, 500, 8], area=1, iscrowd=0)],
                categories=[dict(id=1, name='a')])
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(data))
    mapped, direct = load_columns(str(path)), check_columns(path.read_bytes(), str(path))
    assert mapped.report.problems == direct.report.problems == load_checked(str(path)).report.problems
    assert mapped.report.problems  # (the box past its image)
    assert [mapped.instances(r, mapped.labels({1: 0}), True) for r in range(len(mapped))] == \
        [direct.instances(r, direct.labels({1: 0}), True) for r in range(len(direct))]
