"""A model's class names: from the checkpoint's metadata, else from --classes; without both, one clear line."""
import json

import pytest

from mmext.errors import CheckpointError
from mmext.inference.class_names import ModelClasses, classes_from_arg, model_classes


def test_names_and_category_ids_come_from_the_checkpoint_metadata():
    found = model_classes(dict(dataset_meta=dict(classes=('cat', 'dog'), cat_ids=[7, 9])), 'm.pth')
    assert found == ModelClasses(('cat', 'dog'), (7, 9), 'checkpoint m.pth')
    assert found.category_ids() == (7, 9)
    mmdet2 = model_classes(dict(CLASSES=['cat', 'dog']), 'old.pth')  # mmdet 2.x's key
    assert mmdet2.names == ('cat', 'dog') and mmdet2.cat_ids is None and mmdet2.category_ids() == (1, 2)
    upper = model_classes(dict(dataset_meta=dict(CLASSES=('a',), cat_ids=[1, 2])), 'm.pth')
    assert upper.names == ('a',) and upper.cat_ids is None  # ids that do not fit the names are dropped


def test_no_names_anywhere_is_one_line_that_says_pass_classes():
    for meta in ({}, dict(dataset_meta=None), dict(dataset_meta=dict(classes=()))):
        with pytest.raises(CheckpointError) as err:
            model_classes(meta, 'work/epoch_1.pth')
        assert str(err.value) == ('checkpoint work/epoch_1.pth has no class names in its metadata (meta.dataset_meta.'
                                  'classes): pass --classes (names, comma-separated) or the dataset json')


def test_given_names_win_but_must_match_the_checkpoint_in_number(tmp_path):
    meta = dict(dataset_meta=dict(classes=('cat', 'dog')))
    assert model_classes(meta, 'm.pth', 'kitten, puppy').names == ('kitten', 'puppy')
    with pytest.raises(CheckpointError, match=r'3 classes given \(--classes a,b,c\) but checkpoint m.pth was trained '
                                              r'on 2: cat, dog'):
        model_classes(meta, 'm.pth', 'a,b,c')
    assert model_classes({}, 'm.pth', ['x', 'y', 'z']).names == ('x', 'y', 'z')  # nothing stored: anything goes


def test_classes_from_a_text_file_a_string_or_the_training_json(tmp_path, tiny_coco):
    names = tmp_path / 'names.txt'
    names.write_text('cat\n\n dog \n')
    assert classes_from_arg(str(names)) == ModelClasses(('cat', 'dog'), None, f'classes file {names}')
    assert classes_from_arg('cat,,dog,').names == ('cat', 'dog')
    from_json = classes_from_arg(tiny_coco['train'])
    categories = sorted(json.load(open(tiny_coco['train']))['categories'], key=lambda c: c['id'])
    assert from_json.names == tuple(c['name'] for c in categories)
    assert from_json.cat_ids == tuple(c['id'] for c in categories)
    with pytest.raises(CheckpointError, match='no class names in it'):
        classes_from_arg(' , ')
    with pytest.raises(CheckpointError, match='the dataset json does not exist'):
        classes_from_arg(str(tmp_path / 'missing.json'))
