"""Image files of a label file: found by name or stem, sized from the header (EXIF orientation applied)."""
import os

import cv2
import numpy as np
from PIL import Image

from mmext.datasets.convert.sizes import find_image, image_size, relative_name, walk_files


def test_image_size_reads_the_header_and_applies_the_exif_orientation(tmp_path):
    cv2.imwrite(str(tmp_path / 'plain.png'), np.zeros((30, 50, 3), np.uint8))
    assert image_size(str(tmp_path / 'plain.png')) == ((50, 30), '')
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees: a phone photo held upright
    Image.fromarray(np.zeros((30, 50, 3), np.uint8)).save(tmp_path / 'phone.jpg', exif=exif)
    assert image_size(str(tmp_path / 'phone.jpg')) == ((30, 50), '')  # the size mmcv loads it with
    (tmp_path / 'broken.jpg').write_bytes(b'not an image')
    size, why = image_size(str(tmp_path / 'broken.jpg'))
    assert size is None and 'broken.jpg' in why
    size, why = image_size(str(tmp_path / 'missing.jpg'))
    assert size is None and 'missing.jpg' in why


def test_find_image_by_name_or_by_stem(tmp_path):
    (tmp_path / 'a.jpg').write_bytes(b'x')
    (tmp_path / 'b.PNG').write_bytes(b'x')
    assert find_image(str(tmp_path), 'a.jpg') == str(tmp_path / 'a.jpg')
    assert find_image(str(tmp_path), 'a') == str(tmp_path / 'a.jpg')  # a VOC file naming the stem only
    assert find_image(str(tmp_path), 'b') == str(tmp_path / 'b.PNG')
    assert find_image(str(tmp_path), 'a.png') is None and find_image(str(tmp_path), 'c') is None


def test_walk_files_recursive_sorted_without_hidden_folders(tmp_path):
    for name in ('z.txt', 'sub/a.TXT', 'sub/deeper/b.txt', '.git/c.txt', 'd.json'):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text('')
    found = [os.path.relpath(p, tmp_path) for p in walk_files(str(tmp_path), ('.txt',))]
    assert found == ['sub/a.TXT', 'sub/deeper/b.txt', 'z.txt']


def test_relative_name_is_none_outside_the_image_folder(tmp_path):
    img_dir = tmp_path / 'images'
    assert relative_name(str(img_dir / 'sub' / 'a.jpg'), str(img_dir)) == 'sub/a.jpg'
    assert relative_name(str(tmp_path / 'a.jpg'), str(img_dir)) is None
    assert relative_name(str(tmp_path / 'images2' / 'a.jpg'), str(img_dir)) is None
