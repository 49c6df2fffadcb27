"""The problem kinds and the Report: grouping, the table and text of tools/check_dataset.py, its json, the errors."""
import json
import re

import pytest

from mmext.datasets.checks.file_rules import check_coco
from mmext.datasets.checks.problems import KINDS, SEVERITIES, Problem, Report, short_repr
from mmext.errors import DatasetError
from tests.datasets.coco_builder import base_coco


def test_report_groups_by_kind_as_text_and_json():
    data = base_coco()
    for a in data['annotations'][:3]:
        a['bbox'][2] = 0
    report = check_coco(data, 'x.json').report
    text = report.format_text()
    assert 'x.json: 4 images, 7 annotations; 0 fatal, 3 error, 0 warning, 2 info' in text
    assert re.search(r'empty_bbox +error +3  annotation dropped +ann 1, ann 2, ann 3', text)
    assert 'NOT clean' in text
    as_json = json.loads(json.dumps(report.to_dict()))
    assert as_json['kinds']['empty_bbox']['count'] == 3 and as_json['clean'] is False
    assert [f['ann_id'] for f in as_json['kinds']['empty_bbox']['first']] == [1, 2, 3]
    assert check_coco(base_coco(), 'x.json').report.clean  # notes (crowd, unannotated image) only


def test_every_kind_has_a_severity_an_action_and_a_fix():
    for kind, spec in KINDS.items():
        assert spec.severity in SEVERITIES and spec.action and spec.fix, kind


def test_kinds_are_listed_worst_first_then_by_name():
    report = Report('x.json')
    for kind in ('crowd', 'bad_area', 'empty_bbox', 'bad_bbox', 'not_coco'):
        report.add(kind, '...')
    assert list(report.by_kind()) == ['not_coco', 'bad_bbox', 'empty_bbox', 'bad_area', 'crowd']
    assert (report.count('error'), report.count('info')) == (2, 1) and not report.clean
    assert report.fatal.kind == 'not_coco'


def test_where_names_the_ids_a_person_searches_the_json_for():
    assert Problem('bad_bbox', '', image_id=3, ann_id=7, file_name='a.jpg').where() == \
        'annotation id 7, image id 3 (a.jpg)'
    assert Problem('bad_category', '', category_id='x').where() == "category id 'x'"
    assert Problem('not_coco', '').where() == '' and Problem('not_coco', '').first_id() == '-'


def test_errors_say_file_ids_problem_and_fix_and_offer_warn_unless_fatal():
    report = Report('data/ann.json')
    bad = report.add('empty_bbox', 'bbox [1, 2, 0, 4] has width or height <= 0', image_id=2, ann_id=9)
    err = report.error_for(bad)
    assert isinstance(err, DatasetError)
    assert str(err) == ('data/ann.json: annotation id 9, image id 2: bbox [1, 2, 0, 4] has width or height <= 0 '
                        '[empty_bbox]. Fix: width and height must be > 0 (bbox is [x, y, width, height]). '
                        "Or load with policy='warn' (annotation dropped). See every problem: "
                        'python tools/check_dataset.py data/ann.json')
    assert 'policy' not in str(report.error_for(bad, policy_hint=False))
    report.raise_if_fatal()  # an error is not fatal
    report.add('not_coco', 'the file holds a list')
    with pytest.raises(DatasetError, match=r"^data/ann.json: the file holds a list \[not_coco\]\. Fix: export in "
                                           r'COCO format[^.]*\.$'):
        report.raise_if_fatal()


def test_table_shows_the_first_ids_and_can_leave_out_the_notes():
    report = Report('x.json')
    for i in range(7):
        report.add('empty_bbox', '...', ann_id=i)
    report.add('crowd', '...', ann_id=99)
    table = report.format_table(max_ids=3)
    assert re.search(r'empty_bbox +error +7  annotation dropped +ann 0, ann 1, ann 2, \.\.\.$', table, re.M)
    assert 'crowd' in table and 'crowd' not in report.format_table(include_info=False)
    assert Report('x.json').format_table() == '  (no problems)'


def test_short_repr_cuts_long_values():
    assert short_repr([1, 2]) == '[1, 2]'
    cut = short_repr('x' * 100, limit=20)
    assert len(cut) == 20 and cut.endswith('...') and cut.startswith("'xxx")
