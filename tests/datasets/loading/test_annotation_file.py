"""Reading an annotation file once (load_checked, load_columns), the strict/warn policy, and the corrected copy."""
import json
import math

import pytest

from mmext.datasets.checks.file_rules import check_coco
from mmext.datasets.loading.annotation_file import (apply_policy, load_checked, load_columns, parse_json,
                                                    write_fixed)
from mmext.errors import DatasetError
from tests.datasets.coco_builder import annotation, base_coco, write_coco


@pytest.mark.parametrize('content, kind', [
    ('{"images": [', 'invalid_json'),
    ('', 'invalid_json'),
    ('[1, 2]', 'not_coco'),
    ('{"images": [], "annotations": []}', 'missing_section'),
    ('{"images": {}, "annotations": [], "categories": []}', 'not_coco'),
    ('{"images": [], "annotations": [], "categories": []}', 'no_categories'),
])
def test_files_that_cannot_be_used_are_fatal_under_any_policy(tmp_path, content, kind):
    path = tmp_path / 'ann.json'
    path.write_text(content)
    checked = load_checked(str(path))
    assert checked.report.fatal.kind == kind
    with pytest.raises(DatasetError, match=rf'{path}: .*\[{kind}\]'):
        apply_policy(checked, 'warn')


def test_strict_names_file_ids_and_fix(tmp_path):
    data = base_coco()
    annotation(data, 4)['bbox'][2] = -1
    checked = check_coco(data, str(tmp_path / 'a.json'))
    with pytest.raises(DatasetError) as info:
        apply_policy(checked, 'strict')
    msg = str(info.value)
    assert msg.startswith(f'{tmp_path / "a.json"}: annotation id 4, image id 2 (img2.jpg): bbox [25.0, 10.0, -1')
    assert '[empty_bbox]. Fix: width and height must be > 0' in msg
    assert "policy='warn' (annotation dropped)" in msg and 'tools/check_dataset.py' in msg


def test_warn_logs_one_summary_table(caplog_mm):
    data = base_coco()
    for a in (1, 2):
        annotation(data, a)['bbox'][3] = 0
    annotation(data, 3)['category_id'] = 42
    data['categories'].insert(0, dict(id=0, name='animal', supercategory='none'))
    checked = check_coco(data, 'x.json')
    apply_policy(checked, 'warn')
    summaries = [m for m in caplog_mm if 'annotation problems' in m]
    assert len(summaries) == 1
    table = summaries[0]
    assert '3 annotation problems' in table
    assert 'empty_bbox' in table and 'ann 1, ann 2' in table and 'unknown_category' in table
    assert 'crowd' not in table  # notes are not problems
    assert sum("category id 0 dropped: 'animal' has no annotations" in m for m in caplog_mm) == 1


def test_unknown_policy_is_refused():
    with pytest.raises(DatasetError, match="policy='lenient' is not known"):
        apply_policy(check_coco(base_coco(), 'x'), 'lenient')


@pytest.mark.parametrize('raw, why', [
    (b'\xff\xfe\x00', 'not UTF-8/16/32 text'),
    (b'[' * 100_000, 'nested too deeply'),
    (b'1' * 5000, 'digits'),  # more digits than Python turns into an int
    (b'{"images": [1,\n  ]}', 'at line 2, column 3'),
])
def test_json_that_cannot_be_read_is_one_problem_saying_why(raw, why):
    data, report = parse_json(raw, 'x.json')
    assert data is None and [p.kind for p in report.problems] == ['invalid_json']
    assert why in report.problems[0].detail and report.source == 'x.json'


def test_a_file_only_json_reads_gives_the_columns_of_the_same_verdicts(tmp_path):
    """NaN in a box: msgspec refuses the file, the rules of load_checked read it, and the columns say the same."""
    data = base_coco()
    annotation(data, 2)['bbox'][0] = math.nan
    files = write_coco(tmp_path, data, images=False)
    checked, columns = load_checked(files['ann']), load_columns(files['ann'])
    assert [(p.kind, p.ann_id) for p in columns.report.problems] == \
        [(p.kind, p.ann_id) for p in checked.report.problems]
    assert ('nonfinite_bbox', 2) in [(p.kind, p.ann_id) for p in columns.report.problems]
    assert len(columns.anns.bbox) == len(checked.annotations) == 6
    assert columns.report.source == checked.report.source == files['ann']


@pytest.mark.parametrize('load', [load_checked, load_columns])
def test_a_missing_file_is_named_with_the_fix(tmp_path, load):
    with pytest.raises(DatasetError, match=r'annotation file .*none\.json cannot be read \(No such file.*'
                                           r'relative to data_root'):
        load(str(tmp_path / 'none.json'))


def test_the_corrected_copy_lists_what_changed_but_not_the_notes(tmp_path):
    data = base_coco()
    annotation(data, 1)['bbox'][2] = 0
    files = write_coco(tmp_path, data, images=False)
    out = tmp_path / 'new' / 'folder' / 'fixed.json'
    summary = write_fixed(load_checked(files['ann']), str(out), files['ann'])
    assert summary.splitlines()[0] == f'wrote {out}: 4 of 4 images, 6 of 7 annotations, 3 categories'
    assert summary.splitlines()[1:] == ['       1 x empty_bbox: annotation dropped']  # no crowd, no unannotated image
    assert load_checked(str(out)).report.clean
    assert len(json.loads(out.read_text())['annotations']) == 6
