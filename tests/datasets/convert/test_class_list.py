"""Class lists: YOLO's data.yaml (a list or an index -> name mapping) and one-name-a-line text files."""
import pytest

from mmext.datasets.convert.class_list import class_names, find_class_list, read_class_list
from mmext.errors import DatasetError


@pytest.mark.parametrize('name, text', [
    ('data.yaml', 'names: [cat, dog, traffic light]\n'),
    ('data.yaml', 'path: .\nnames:\n  0: cat\n  2: traffic light\n  1: dog\n'),
    ('obj.names', 'cat\ndog\n traffic light \n\n\n')])
def test_the_three_ways_of_naming_classes_give_the_same_list(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    assert read_class_list(str(tmp_path / name)) == {0: 'cat', 1: 'dog', 2: 'traffic light'}
    assert class_names(str(tmp_path / name)) == ['cat', 'dog', 'traffic light']


@pytest.mark.parametrize('name, text, message', [
    ('data.yaml', 'names: [cat, dog, cat]\n', "'cat' is class 0 and class 2; give every class its own name"),
    ('data.yaml', 'train: images\n', "has no 'names' list"),
    ('data.yaml', 'names: {a: cat}\n', 'names must map class indices'),
    ('data.yaml', 'names: [cat\n', 'is not valid YAML'),
    ('classes.txt', '\n\n', 'names no class'),
    ('classes.txt', 'cat\n\ndog\n', 'class 1 has an empty name')])
def test_a_bad_class_list_is_one_line_naming_the_file(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DatasetError, match=message) as err:
        read_class_list(str(path))
    assert str(path) in str(err.value) and '\n' not in str(err.value)
    with pytest.raises(DatasetError, match='does not exist'):
        read_class_list(str(tmp_path / 'missing.yaml'))


def test_find_class_list_looks_up_the_folders_most_specific_file_first(tmp_path):
    split = tmp_path / 'export' / 'labels' / 'train'
    split.mkdir(parents=True)
    assert find_class_list(str(split)) is None
    (tmp_path / 'export' / 'classes.txt').write_text('cat\n')
    assert find_class_list(str(split)) == str(tmp_path / 'export' / 'classes.txt')
    (tmp_path / 'export' / 'data.yaml').write_text('names: [cat]\n')
    assert find_class_list(str(split)) == str(tmp_path / 'export' / 'data.yaml')
    assert find_class_list(str(split), levels=1) is None  # two levels up is past the limit
