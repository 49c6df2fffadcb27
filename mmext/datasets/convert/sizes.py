"""Finding the image files a label file points at, and their sizes from the file headers (no decoding)."""
from __future__ import annotations

import os
import os.path as osp

from mmext.datasets.checks.image_files import probe_image

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.jpe', '.jfif', '.gif')


def image_size(path: str) -> tuple[tuple[int, int] | None, str]:
    """The size an image will load with, read from its header.

    mmext's own header reader (PIL's lazy open) serves here, as it serves the annotation checks: it applies the
    EXIF orientation as mmcv's loader does, so a rotated phone photo gets the size that training sees, and the
    converted file passes the checks that follow.

    Args:
        path: The image file.

    Returns:
        ``((width, height), '')``, or ``(None, why)`` when the file is missing or not a readable image.
    """
    probe = probe_image(path, 'header')
    if probe.kind is not None and probe.kind != 'image_wrong_extension':
        return None, probe.detail
    return probe.size, ''


def find_image(folder: str, name: str) -> str | None:
    """``folder/name``, or, when ``name`` has no image extension (some VOC files), the image with that stem."""
    path = osp.join(folder, name)
    if osp.isfile(path):
        return path
    if osp.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
        for ext in IMAGE_EXTENSIONS:
            for candidate in (path + ext, path + ext.upper()):
                if osp.isfile(candidate):
                    return candidate
    return None


def walk_files(root: str, extensions: tuple[str, ...]) -> list[str]:
    """Every file under ``root`` (recursively, hidden folders left out) with one of the extensions, sorted."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        found += [osp.join(folder, f) for f in files if osp.splitext(f)[1].lower() in extensions]
    return sorted(found)


def relative_name(path: str, img_dir: str) -> str | None:
    """``path`` relative to the image folder (with ``/``), or None when it lies outside it."""
    rel = osp.relpath(osp.abspath(path), osp.abspath(img_dir))
    if rel == '..' or rel.startswith('..' + os.sep):
        return None
    return rel.replace(os.sep, '/')
