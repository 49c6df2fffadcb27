"""Input discovery: files, recursive folders, globs, list files, videos; one clear line for a bad input."""
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
