"""Input discovery: files, recursive folders, globs, list files, videos; one clear line for a bad input."""
import json
import re

import pytest

from mmext.errors import InputError
from mmext.inference.inputs import discover_inputs


@pytest.fixture
def tree(tmp_path):
    for rel in ('a/1.jpg', 'a/sub/2.png', 'b/1.jpg', 'b/clip.mp4', 'b/notes.txt', 'a/.hidden.jpg'):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b'x')
    return tmp_path


def test_a_folder_is_searched_recursively_and_sorted(tree):
    found = discover_inputs([str(tree / 'a')])
    assert [f.name for f in found.images] == ['1.jpg', 'sub/2.png'] and not found.videos


def test_globs_list_files_and_videos(tree):
    found = discover_inputs([str(tree / '**' / '*.jpg')])
    assert [f.name for f in found.images] == ['a/1.jpg', 'b/1.jpg']
    (tree / 'list.txt').write_text('# mine\na/sub/2.png\n\nb/clip.mp4  # the video\n')
    found = discover_inputs([str(tree / 'list.txt')])
    assert [f.path for f in found.images] == [str(tree / 'a/sub/2.png')]
    assert [f.name for f in found.videos] == ['clip.mp4']


def test_same_names_from_two_places_do_not_share_an_output(tree):
    found = discover_inputs([str(tree / 'a' / '1.jpg'), str(tree / 'b' / '1.jpg'), str(tree / 'a' / '1.jpg')])
    assert [f.name for f in found.images] == ['1.jpg', 'b/1.jpg']  # and the repeated file counted once


@pytest.mark.parametrize('spec, message', [
    ('missing.jpg', r'input .*missing.jpg does not exist'),
    ('empty', r'folder .*empty holds no image or video'),
    ('*.nothing', r"glob .* matches no image or video"),
    ('b/notes.txt', r'list .*notes.txt names 1 file\(s\) that do not exist'),
    ('doc.pdf', r'doc.pdf is not an image or a video'),
])
def test_bad_inputs_are_one_line(tree, spec, message):
    (tree / 'empty').mkdir()
    (tree / 'doc.pdf').write_bytes(b'%PDF')
    with pytest.raises(InputError, match=message):
        discover_inputs([str(tree / spec)])
    with pytest.raises(InputError, match='no input given'):
        discover_inputs([])


def _coco(path, names):
    path.write_text(json.dumps({'images': [{'id': k + 1, 'file_name': n, 'width': 8, 'height': 8}
                                           for k, n in enumerate(names)], 'annotations': [], 'categories': []}))
    return str(path)


def test_a_coco_json_lists_its_images_under_the_image_root(tree):
    (tree / 'ann').mkdir()
    listed = _coco(tree / 'ann' / 'val.json', ['a/1.jpg', 'a/sub/2.png', 'b/clip.mp4'])
    found = discover_inputs([listed], image_root=str(tree))
    assert [(f.path, f.name) for f in found.images] == [(str(tree / 'a/1.jpg'), 'a/1.jpg'),
                                                         (str(tree / 'a/sub/2.png'), 'a/sub/2.png')]
    assert [f.name for f in found.videos] == ['b/clip.mp4']
    beside = _coco(tree / 'a' / 'here.json', ['1.jpg'])  # default root: the json's own folder
    assert [f.path for f in discover_inputs([beside]).images] == [str(tree / 'a' / '1.jpg')]


def test_a_json_naming_files_outside_the_image_folder_is_refused(tree, tmp_path):
    """The image_path_outside rule of the datasets: a json from elsewhere must not make mmext read other files."""
    (tree / 'a' / 'up').symlink_to(tree / 'b')  # a folder link that leads out of a/
    for names, shown in [(['1.jpg', '../b/1.jpg'], "image id 2 '../b/1.jpg'"),
                         (['/etc/passwd'], "image id 1 '/etc/passwd'"),
                         (['up/1.jpg', '1.jpg'], "image id 1 'up/1.jpg'")]:
        bad = _coco(tree / 'bad.json', names)
        with pytest.raises(InputError, match=rf'bad.json: 1 image\(s\) name a file outside the image folder '
                                             rf'.*a \(image_path_outside: {re.escape(shown)}\).*--image-root'):
            discover_inputs([bad], image_root=str(tree / 'a'))


@pytest.mark.parametrize('content, message', [
    ('{"images": [', r'cannot be read as JSON'),
    ('{"annotations": []}', r'has no "images" list'),
    ('{"images": [{"id": 1}]}', r'images\[0\] has no file_name'),
    ('{"images": [{"id": 1, "file_name": "nope.jpg"}]}', r'names 1 image\(s\) that do not exist under .*nope.jpg'),
])
def test_bad_json_inputs_are_one_line(tree, content, message):
    (tree / 'x.json').write_text(content)
    with pytest.raises(InputError, match=message):
        discover_inputs([str(tree / 'x.json')])
