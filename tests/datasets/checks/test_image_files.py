"""Header-only image checks: size with EXIF rotation, and the broken-file kinds."""
import numpy as np
import pytest
from PIL import Image

from mmext.datasets.checks.image_files import probe_image
from tests.datasets.coco_builder import write_image


@pytest.fixture
def files(tmp_path):
    jpg = write_image(tmp_path / 'a.jpg')
    png = write_image(tmp_path / 'b.png')
    (tmp_path / 'empty.jpg').write_bytes(b'')
    (tmp_path / 'cut.jpg').write_bytes(jpg.read_bytes()[:len(jpg.read_bytes()) // 2])
    (tmp_path / 'cut.png').write_bytes(png.read_bytes()[:len(png.read_bytes()) // 2])
    (tmp_path / 'text.jpg').write_text('not an image at all')
    (tmp_path / 'png_named.jpg').write_bytes(png.read_bytes())
    return tmp_path


@pytest.mark.parametrize('name, kind', [
    ('missing.jpg', 'image_missing'), ('empty.jpg', 'image_empty'), ('cut.jpg', 'image_truncated'),
    ('cut.png', 'image_truncated'), ('text.jpg', 'image_undecodable'), ('png_named.jpg', 'image_wrong_extension'),
])
def test_broken_kinds_are_named_with_the_path(files, name, kind):
    probe = probe_image(str(files / name), 'header')
    assert probe.kind == kind
    assert str(files / name) in probe.detail


def test_levels(files):
    assert probe_image(str(files / 'a.jpg'), 'header').size == (40, 30)
    assert probe_image(str(files / 'b.png'), 'decode').size == (40, 30)
    assert probe_image(str(files / 'text.jpg'), 'exists').kind is None  # present and not empty is all it asks
    assert probe_image(str(files / 'missing.jpg'), 'none').kind is None
    assert probe_image(str(files / 'png_named.jpg'), 'decode').size == (40, 30)


def test_exif_rotation_swaps_the_size_as_loading_does(tmp_path):
    import mmcv
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees
    Image.fromarray(np.zeros((20, 50, 3), np.uint8)).save(tmp_path / 'r.jpg', exif=exif.tobytes())
    loaded = mmcv.imfrombytes((tmp_path / 'r.jpg').read_bytes())
    assert probe_image(str(tmp_path / 'r.jpg'), 'header').size == (loaded.shape[1], loaded.shape[0]) == (20, 50)
