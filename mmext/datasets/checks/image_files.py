"""Looking at image files without decoding them: size from the header, EXIF rotation, cut-short files.

Reading a header costs tens of microseconds where a full decode costs milliseconds, so the annotation rules can
look at every image of a large dataset. The size returned is the size mmcv's ``LoadImageFromFile`` will produce
(its default ``color_type='color'`` applies the EXIF orientation, which swaps width and height for a rotated
photo), so it can be compared with the json.
"""
from __future__ import annotations

import os
import os.path as osp
from dataclasses import dataclass

LEVELS = ('none', 'exists', 'header', 'decode')

# PIL format name -> file extensions that may carry it.
_EXTENSIONS = {
    'JPEG': ('.jpg', '.jpeg', '.jpe', '.jfif'), 'PNG': ('.png',), 'BMP': ('.bmp',), 'GIF': ('.gif',),
    'TIFF': ('.tif', '.tiff'), 'WEBP': ('.webp',), 'PPM': ('.ppm', '.pgm', '.pbm', '.pnm'),
}
_ROTATED = (5, 6, 7, 8)  # EXIF orientations that turn the picture by 90 degrees
_TAIL = 4096


@dataclass
class ImageProbe:
    """What a look at an image file found.

    Attributes:
        size: (width, height) as the image will be loaded, or None when unknown.
        kind: The problem kind (see :data:`mmext.datasets.checks.problems.KINDS`), or None when the file is fine.
        detail: What exactly is wrong, for the message.
    """
    size: tuple[int, int] | None = None
    kind: str | None = None
    detail: str = ''


def probe_image(path: str, level: str = 'header') -> ImageProbe:
    """Look at one image file as deeply as ``level`` says.

    Args:
        path: The image file.
        level: ``'exists'`` (present and not empty), ``'header'`` (also: format, size and EXIF orientation from
            the header, a JPEG/PNG that is cut short, an extension that does not match the format) or
            ``'decode'`` (also: decode the pixels with OpenCV, as training will).

    Returns:
        The size and the first problem found.
    """
    if level == 'none':
        return ImageProbe()
    try:
        nbytes = os.stat(path).st_size
    except OSError as err:
        return ImageProbe(kind='image_missing', detail=f'image file {path} cannot be read ({err.strerror})')
    except ValueError as err:  # a NUL character, or one the file system's encoding cannot hold
        return ImageProbe(kind='image_missing', detail=f'image file {path!r} cannot be named on this system ({err})')
    if not osp.isfile(path):
        return ImageProbe(kind='image_missing', detail=f'{path} is not a file')
    if nbytes == 0:
        return ImageProbe(kind='image_empty', detail=f'image file {path} has zero bytes')
    if level == 'exists':
        return ImageProbe()
    probe = _read_header(path, nbytes)
    if probe.kind in (None, 'image_wrong_extension') and level == 'decode':
        probe = _decode(path, probe)
    return probe


def _read_header(path: str, nbytes: int) -> ImageProbe:
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as img:  # lazy: reads the header only
            fmt, (width, height) = img.format, img.size
            orientation = _orientation(img) if fmt in ('JPEG', 'TIFF', 'WEBP', 'PNG') else 1
    except UnidentifiedImageError:
        return ImageProbe(kind='image_undecodable', detail=f'{path} is not an image file (unknown format)')
    except (OSError, ValueError, SyntaxError) as err:  # PIL raises these for a broken header
        return ImageProbe(kind='image_undecodable', detail=f'{path}: broken image header ({err})')
    if orientation in _ROTATED:
        width, height = height, width
    size = (width, height)
    cut = _cut_short(path, fmt, nbytes)
    if cut:
        return ImageProbe(size, 'image_truncated', f'{path} is cut short ({cut}; {nbytes} bytes)')
    ext = osp.splitext(path)[1].lower()
    allowed = _EXTENSIONS.get(fmt or '')
    if allowed is not None and ext not in allowed:
        return ImageProbe(size, 'image_wrong_extension', f'{path} holds a {fmt} image but is named {ext or "(none)"}')
    return ImageProbe(size)


def _orientation(img) -> int:
    try:
        return int(img.getexif().get(0x0112, 1) or 1)
    except Exception:  # noqa: BLE001  a broken EXIF block is not a broken image; mmcv ignores it too
        return 1


def _cut_short(path: str, fmt: str | None, nbytes: int) -> str:
    """A JPEG must end with its EOI marker, a PNG with its IEND chunk (both may be followed by padding)."""
    if fmt not in ('JPEG', 'PNG'):
        return ''
    with open(path, 'rb') as f:
        f.seek(max(0, nbytes - _TAIL))
        tail = f.read()
    if fmt == 'JPEG' and b'\xff\xd9' not in tail:
        return 'no JPEG end marker'
    if fmt == 'PNG' and b'IEND' not in tail:
        return 'no PNG IEND chunk'
    return ''


def _decode(path: str, probe: ImageProbe) -> ImageProbe:
    import cv2
    import numpy as np
    data = np.fromfile(path, dtype=np.uint8)
    try:
        img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    except cv2.error as err:
        img, why = None, str(err).strip().splitlines()[-1]
    else:
        why = 'OpenCV returned no image'
    if img is None:
        return ImageProbe(probe.size, 'image_undecodable', f'{path} cannot be decoded ({why})')
    return ImageProbe((img.shape[1], img.shape[0]), probe.kind, probe.detail)
