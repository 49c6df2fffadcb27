"""Read limits: defaults, environment variables and a dataset's argument, and the line a file past one gets."""
import pytest

from mmext.datasets.checks.limits import ReadLimitError, ReadLimits, json_values
from mmext.errors import DatasetError


def test_read_limits_are_checked(monkeypatch):
    with pytest.raises(DatasetError, match="'max_bytes' is not a read limit"):
        ReadLimits.get(dict(max_bytes=1))
    with pytest.raises(DatasetError, match='a read limit is a whole number'):
        ReadLimits.get(dict(max_entries=-1))
    monkeypatch.setenv('MMEXT_READ_MAX_ENTRIES', 'many')
    with pytest.raises(DatasetError, match='MMEXT_READ_MAX_ENTRIES=many'):
        ReadLimits.get()
    monkeypatch.setenv('MMEXT_READ_MAX_ENTRIES', '2e6')
    assert ReadLimits.get(dict(max_problems=7)) == ReadLimits(max_entries=2_000_000, max_problems=7)


def test_defaults_and_the_dataset_argument_wins_over_the_environment(monkeypatch):
    assert ReadLimits.get() == ReadLimits() and ReadLimits().max_file_bytes == 2 << 30
    monkeypatch.setenv('MMEXT_READ_MAX_FILE_BYTES', '4000')
    assert ReadLimits.get().max_file_bytes == 4000
    assert ReadLimits.get(dict(max_file_bytes=0)).max_file_bytes == 0
    given = ReadLimits(max_values=3)
    assert ReadLimits.get(given) is given  # limits as they are: the environment is not read again


def test_a_value_past_a_limit_is_refused_with_its_line_and_how_to_raise_it():
    limits = ReadLimits(max_entries=1000)
    limits.check('ann.json', 1000, 'max_entries', 'unused')  # at the limit: fine
    with pytest.raises(ReadLimitError) as err:
        limits.check('ann.json', 1001, 'max_entries', "the 'images' list holds more than 1,000 entries")
    assert isinstance(err.value, DatasetError)
    assert str(err.value) == (
        "ann.json: the 'images' list holds more than 1,000 entries (read limit max_entries=1,000); the file is "
        'refused before reading it could exhaust the memory. If it is what you mean to read, raise the limit: '
        "MMEXT_READ_MAX_ENTRIES=... in the environment, or the dataset's read_limits=dict(max_entries=...) "
        '(0: no limit)')
    ReadLimits(max_entries=0).check('ann.json', 10 ** 12, 'max_entries', 'unused')  # 0: no limit


def test_json_values_count_and_the_values_limit():
    assert json_values(b'[1, 2, 3]') == 4  # at most: 2 commas + 1 bracket + 1
    assert json_values(b'{"a": [{}, {}]}') == 6  # 1 comma, 1 bracket, 3 braces, + 1
    assert json_values(b'xx[1,2]', start=2, end=5) == 3
    text = b'[' + b'0,' * 50 + b'0]'
    ReadLimits(max_values=200).check_values('f.json', text)
    with pytest.raises(ReadLimitError, match=r'f.json: about 52 JSON values in the images would be built'):
        ReadLimits(max_values=20).check_values('f.json', text, ' in the images')
    ReadLimits(max_values=0).check_values('f.json', text)
