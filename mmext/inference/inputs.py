"""Finding what to predict on: image files, folders (recursive), globs, text files of paths, COCO json files, videos."""
from __future__ import annotations

import glob
import json
import os
import os.path as osp
from dataclasses import dataclass, field

from mmext.errors import InputError, first_few

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.jpe', '.jfif', '.ppm', '.pgm')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.m4v', '.mpg', '.mpeg', '.wmv')
LIST_EXTENSIONS = ('.txt', '.lst')
JSON_EXTENSIONS = ('.json',)


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


def discover_inputs(specs: list[str], image_root: str | None = None) -> Inputs:
    """Expand what the user gave into image and video files.

    Args:
        specs: Each an image or video file, a folder (searched recursively for both), a glob (``'a/*.jpg'``,
            ``'a/**/*.png'``) or a text file with one path a line (relative paths are taken from the text file's
            folder; ``#`` starts a comment) or a COCO json file (an annotation file, or the results json of an
            earlier run): the images of its ``images`` list.
        image_root: The folder a json's ``file_name``s are in (default: the json's own folder). A name that is
            absolute or leads out of it (``..``, symlinks) is refused, by the rule the datasets apply
            (``image_path_outside``): a json from elsewhere must not make mmext read files outside the folder.

    Returns:
        The files, each once (the first time it is named).

    Raises:
        InputError: A path that does not exist, a glob that matches nothing, a folder or list without any image
            or video, a file that is neither, a json without an images list or naming files outside the image
            folder, or nothing at all to predict on.
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
        elif osp.isfile(spec) and osp.splitext(spec)[1].lower() in JSON_EXTENSIONS:
            for path, name in _json_images(spec, image_root):
                add(path, name, f'json {spec}')
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
        raise InputError(f'list {list_file} names {len(missing)} file(s) that do not exist: {first_few(missing)}')
    return paths


def _json_images(json_file: str, image_root: str | None) -> list[tuple[str, str]]:
    """The (path, output name) of each image a COCO json lists, inside ``image_root``."""
    from mmext.datasets.paths import outside_images
    root = image_root if image_root is not None else osp.dirname(json_file) or '.'
    try:
        with open(json_file, 'rb') as f:
            content = json.load(f)
    except (OSError, ValueError) as err:
        raise InputError(f'json {json_file} cannot be read as JSON: {" ".join(str(err).split())[:200]}') from None
    images = content.get('images') if isinstance(content, dict) else None
    if not isinstance(images, list) or not images:
        raise InputError(f'json {json_file} has no "images" list to predict on (a COCO annotation file or '
                         "an earlier run's results.json)")
    names = []
    for k, img in enumerate(images):
        name = img.get('file_name') if isinstance(img, dict) else None
        if not isinstance(name, str) or not name:
            raise InputError(f'json {json_file}: images[{k}] has no file_name')
        names.append(name)
    outside = outside_images(root, names)
    if outside:
        shown = first_few([f'image id {images[k].get("id")} {names[k]!r}' for k in outside])
        raise InputError(f'json {json_file}: {len(outside)} image(s) name a file outside the image folder {root} '
                         f'(image_path_outside: {shown}); fix their file_name, or pass --image-root with the '
                         'folder they are in')
    paths = [osp.join(root, name) for name in names]
    missing = [p for p in paths if not osp.isfile(p)]
    if missing:
        raise InputError(f'json {json_file} names {len(missing)} image(s) that do not exist under {root}: '
                         f'{first_few(missing)} (pass --image-root with the folder they are in)')
    return list(zip(paths, names))


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
