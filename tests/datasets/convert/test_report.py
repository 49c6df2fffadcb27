"""The conversion report: every skip and note kept in order, counted by reason, shown at most N per reason."""
import pytest

from mmext.datasets.convert.report import ConvertReport


def _report():
    report = ConvertReport('src')
    report.skip('annotation', 'a.txt', 'line 3', 'class index 7 is not in the class list', 'class index out of range')
    report.skip('annotation', 'b.txt', 'line 1', 'class index 9 is not in the class list', 'class index out of range')
    report.skip('annotation', 'b.txt', 'line 2', 'the box lies outside the image', 'bbox outside the image')
    report.skip('image', 'c.xml', '', 'its image c.jpg does not exist', 'image missing')
    report.note('d.xml', "object 1 ('dog')", 'box clipped to the image', 'box clipped')
    return report


def test_summary_counts_each_unit_by_reason_most_common_first():
    report = _report()
    assert report.skipped('annotation') == 3 and report.skipped('image') == 1 and report.skipped('file') == 0
    assert report.summary() == ('skipped: 1 image (1 image missing); 3 annotations (2 class index out of range, '
                                '1 bbox outside the image); 1 change (1 box clipped)')  # files, images, objects
    assert ConvertReport('src').summary() == 'nothing skipped'


def test_lines_name_the_file_and_place_and_are_capped_per_reason():
    report = _report()
    assert report.format_lines() == [
        'skipped annotation: a.txt: line 3: class index 7 is not in the class list',
        'skipped annotation: b.txt: line 1: class index 9 is not in the class list',
        'skipped annotation: b.txt: line 2: the box lies outside the image',
        'skipped image: c.xml: its image c.jpg does not exist',
        "note: d.xml: object 1 ('dog'): box clipped to the image"]
    lines = report.format_lines(max_per_reason=1)
    assert lines[:4] == [
        'skipped annotation: a.txt: line 3: class index 7 is not in the class list',
        'skipped annotation: b.txt: line 2: the box lies outside the image',
        'skipped image: c.xml: its image c.jpg does not exist',
        "note: d.xml: object 1 ('dog'): box clipped to the image"]
    assert lines[4:] == ['... and 1 more annotation entries: class index out of range']


def test_an_unknown_unit_is_a_programming_error():
    with pytest.raises(ValueError, match="unit must be one of"):
        ConvertReport('src').skip('object', 'a.txt', '', 'x', 'y')
