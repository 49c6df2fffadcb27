"""Classes from the json: contiguous labels in id order, given lists checked, placeholders, the table."""
import pytest

from mmext.datasets.classes import check_given_classes, resolve_classes
from mmext.errors import DatasetError

CATS = [dict(id=0, name='zero'), dict(id=3, name='three'), dict(id=10, name='ten')]
COUNTS = {0: 4, 3: 0, 10: 7}


def test_any_ids_become_contiguous_labels_in_id_order():
    cmap = resolve_classes(CATS, COUNTS, None, 'a.json')
    assert cmap.classes == ('zero', 'three', 'ten')
    assert cmap.cat2label == {0: 0, 3: 1, 10: 2}
    table = cmap.format_table('a.json')
    assert table.splitlines()[0] == '3 classes from a.json:'
    assert table.split()[-4:] == ['10', '2', 'ten', '7']


def test_given_classes_follow_the_given_order():
    cmap = resolve_classes(CATS, COUNTS, ('ten', 'zero'), 'a.json')  # 'three' has no annotations: may be left out
    assert cmap.classes == ('ten', 'zero') and cmap.cat_ids == [10, 0] and cmap.counts == [7, 4]


def test_given_classes_that_disagree_list_both_sets():
    with pytest.raises(DatasetError) as info:
        resolve_classes(CATS, COUNTS, ('zero', 'eleven'), 'a.json')
    msg = str(info.value)
    assert "['eleven'] given in metainfo classes are not categories of the file" in msg
    assert "['ten'] have annotations in the file but are not in metainfo classes" in msg
    assert "Config classes: ['zero', 'eleven']. File categories: ['ten', 'three', 'zero']" in msg


def test_a_bare_string_gets_the_trailing_comma_hint():
    with pytest.raises(DatasetError, match=r"the string 'cat', not a tuple.*classes=\('cat',\)"):
        check_given_classes(('cat'), 'train_dataloader.dataset')  # noqa: the point is the missing comma
    with pytest.raises(DatasetError, match='more than once'):
        check_given_classes(('a', 'b', 'a'), 'x')
