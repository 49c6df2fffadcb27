"""Finding what to predict on: image files, folders (recursive), globs, text files of paths, videos."""
from __future__ import annotations

import glob
import os
import os.path as osp
from dataclasses import dataclass, field

from mmext.errors import InputError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.jpe', '.jfif', '.ppm', '.pgm')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.m4v', '.mpg', '.mpeg', '.wmv')
LIST_EXTENSIONS = ('.txt', '.lst')


@dataclass(frozen=True)
class InputFile:
    """One image or video to predict on.

    Attributes:
        path: The file.
        name: Its path relative to the folder it was found in (or its own name), which the outputs keep:
            ``<out-dir>/<name>.png`` and the ``file_name`` in the results json.
    """
    path: str
    name: str


@dataclass
class Inputs:
    """What :func:`discover_inputs` found, in a stable order (as given; a folder's files sorted)."""
    images: list[InputFile] = field(default_factory=list)
    videos: list[InputFile] = field(default_factory=list)


def kind_of(path: str) -> str | None:
    """``'image'``, ``'video'`` or None, by the file's extension."""
    ext = osp.splitext(path)[1].lower()
    return 'image' if ext in IMAGE_EXTENSIONS else 'video' if ext in VIDEO_EXTENSIONS else None


def discover_inputs(specs: list[str]) -> Inputs:
    """Expand what the user gave into image and video files.

    Args:
        specs: Each an image or video file, a folder (searched recursively for both), a glob (``'a/*.jpg'``,
            ``'a/**/*.png'``) or a text file with one path a line (relative paths are taken from the text file's
            folder; ``#`` starts a comment).

    Returns:
        The files, each once (the first time it is named).

    Raises:
        InputError: A path that does not exist, a glob that matches nothing, a folder or list without any image
            or video, a file that is neither, or nothing at all to predict on.
    """
    found, seen = Inputs(), set()

    def add(path: str, name: str, where: str) -> None:
        kind = kind_of(path)
        if kind is None:
            raise InputError(f'{where}: {path} is not an image or a video (known: '
                             f'{" ".join(IMAGE_EXTENSIONS + VIDEO_EXTENSIONS)})')
        key = osp.realpath(path)
        if key not in seen:
            seen.add(key)
            (found.images if kind == 'image' else found.videos).append(InputFile(path, name))

    if not specs:
        raise InputError('no input given: pass images, folders, globs, text files of paths or videos')
    for spec in specs:
        if osp.isdir(spec):
            files = _folder_files(spec)
            if not files:
                raise InputError(f'folder {spec} holds no image or video (searched recursively for '
                                 f'{", ".join(IMAGE_EXTENSIONS[:5])}, ... and {", ".join(VIDEO_EXTENSIONS[:2])}, ...)')
            for path in files:
                add(path, osp.relpath(path, spec), spec)
        elif osp.isfile(spec) and osp.splitext(spec)[1].lower() in LIST_EXTENSIONS:
            for path in _listed(spec):
                add(path, osp.basename(path), f'list {spec}')
        elif osp.isfile(spec):
            add(spec, osp.basename(spec), spec)
        elif glob.has_magic(spec):
            files = sorted(p for p in glob.glob(spec, recursive=True) if osp.isfile(p) and kind_of(p))
            if not files:
                raise InputError(f'glob {spec!r} matches no image or video')
            root = _glob_root(spec)
            for path in files:
                add(path, osp.relpath(path, root), spec)
        else:
            raise InputError(f'input {spec} does not exist')
    _unique_names(found)
    return found


def _folder_files(folder: str) -> list[str]:
    files = []
    for root, dirs, names in os.walk(folder, followlinks=True):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        files += [osp.join(root, n) for n in sorted(names) if not n.startswith('.') and kind_of(n)]
    return files


def _listed(list_file: str) -> list[str]:
    base = osp.dirname(list_file)
    with open(list_file) as f:
        lines = [line.split('#', 1)[0].strip() for line in f]
    paths = [p if osp.isabs(p) else osp.join(base, p) for p in lines if p]
    if not paths:
        raise InputError(f'list {list_file} names no file')
    missing = [p for p in paths if not osp.isfile(p)]
    if missing:
        more = f' and {len(missing) - 3} more' if len(missing) > 3 else ''
        raise InputError(f'list {list_file} names {len(missing)} file(s) that do not exist: '
                         f'{", ".join(missing[:3])}{more}')
    return paths


def _glob_root(pattern: str) -> str:
    """The folder part of a glob before its first wildcard ('a/b' for 'a/b/**/*.jpg')."""
    parts = []
    for part in pattern.split(os.sep):
        if glob.has_magic(part):
            break
        parts.append(part)
    return os.sep.join(parts) or '.'


def _unique_names(found: Inputs) -> None:
    """Two inputs with the same output name (``a/1.jpg`` and ``b/1.jpg`` given as files) would overwrite each
    other's outputs: keep the name of the first, prefix the others with their folder."""
    used: set[str] = set()
    for files in (found.images, found.videos):
        for i, item in enumerate(files):
            name = item.name
            if osp.splitext(name)[0] in used:
                parent = osp.basename(osp.dirname(osp.abspath(item.path))) or 'input'
                name, n = osp.join(parent, item.name), 1
                while osp.splitext(name)[0] in used:
                    n += 1
                    name = osp.join(f'{parent}_{n}', item.name)
                files[i] = InputFile(item.path, name)
            used.add(osp.splitext(name)[0])
