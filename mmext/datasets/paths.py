"""Where a dataset's files are: its innermost datasets, their paths joined to ``data_root``, and the rule that
keeps an image's ``file_name`` inside the image folder."""
from __future__ import annotations

import os
import os.path as osp
from collections import defaultdict
from typing import Any, Iterator, Sequence

REMOTE_PREFIXES = ('http://', 'https://', 's3://')


def join_root(root: str | None, path: str | None) -> str | None:
    """``path`` under ``root`` as mmengine's ``BaseDataset`` joins a ``data_prefix`` entry: an absolute path or
    a URL stays as it is, and so does any path when there is no root.

    Args:
        root: The dataset's ``data_root`` (may be empty or None).
        path: A ``data_prefix`` entry or a non-empty ``ann_file`` (None stays None).

    Returns:
        The joined path, or ``path`` itself.
    """
    if path is None or not root or osp.isabs(path) or path.startswith(REMOTE_PREFIXES):
        return path
    return osp.join(root, path)


def dataset_leaves(dataset_cfg: Any) -> Iterator[dict]:
    """The innermost dataset configs of a (possibly wrapped: Repeat/Concat/ClassBalanced) dataset config."""
    if not isinstance(dataset_cfg, dict):
        return
    if 'datasets' in dataset_cfg:
        for inner in dataset_cfg['datasets']:
            yield from dataset_leaves(inner)
    elif 'dataset' in dataset_cfg:
        yield from dataset_leaves(dataset_cfg['dataset'])
    else:
        yield dataset_cfg


def leaf_files(leaf: dict) -> tuple[str | None, str | None]:
    """The annotation file and the image folder of one dataset config, joined to its ``data_root`` (an empty
    ``ann_file`` stays empty, as mmengine leaves it)."""
    root = leaf.get('data_root') or ''
    ann = leaf.get('ann_file')
    prefix = leaf.get('data_prefix') or {}
    img = prefix.get('img') if isinstance(prefix, dict) else None
    return (join_root(root, ann) if ann else ann), join_root(root, img)


def image_path_inside(img_dir: str | None, file_name: str) -> bool:
    """Whether ``file_name``, joined to the image folder as the loaders join it, names a file inside the folder.

    An absolute ``file_name`` is outside. With a local folder, the joined path is resolved as the file system
    resolves it (``..``, symlinks of folders and of the file itself): it must end inside the folder, resolved
    the same way. Without one (None, or a URL), the name must not climb out (``..`` after normalising). A name the
    file system cannot hold (a NUL character) names no file at all: it counts as inside, and reading it fails.

    Args:
        img_dir: The image folder (``data_prefix.img``), or None.
        file_name: The image's ``file_name``.

    Returns:
        True when the file lies inside the folder.
    """
    local = _local(img_dir)
    return _inside(img_dir if local else None, _resolved(img_dir) if local else None, file_name)


def outside_images(img_dir: str | None, file_names: Sequence[str]) -> list[int]:
    """The positions of the names :func:`image_path_inside` finds outside ``img_dir``, for many names at once:
    each folder they name is resolved once and listed once for symlinks; only a name that may climb out, or
    whose last part is a symlink, is resolved on its own."""
    joined = '\0' + '\0'.join(file_names)  # (one search instead of one test per name, for the usual names)
    flat, plain = os.sep not in joined, '..' not in joined and '\0' + os.sep not in joined
    suspects = [] if plain else [k for k, name in enumerate(file_names) if name[:1] == os.sep or '..' in name]
    if not _local(img_dir):
        return [k for k in suspects if not _inside(None, None, file_names[k])]
    root = _resolved(img_dir)
    by_folder: dict[str, list[int]] = defaultdict(list)
    if flat and plain:  # every name is a file right in the folder
        by_folder[''] = list(range(len(file_names)))
    suspect = set(suspects)
    for k, name in enumerate(file_names if not (flat and plain) else ()):
        if k not in suspect:
            by_folder[osp.dirname(name) if os.sep in name else ''].append(k)
    for folder, members in by_folder.items():
        path = osp.join(img_dir, folder)
        if root is None or not _within(_resolved(path), root):
            suspects += members  # the folder itself lies outside (or cannot be resolved)
            continue
        links = _symlinks(path)
        if links is None or links:
            suspects += members if links is None else [k for k in members if osp.basename(file_names[k]) in links]
    return sorted(k for k in set(suspects) if not _inside(img_dir, root, file_names[k]))


def why_outside(img_dir: str | None, file_name: str) -> str:
    """How a name that :func:`image_path_inside` finds outside the folder gets there, for the message."""
    if osp.isabs(file_name):
        return 'is an absolute path'
    if not _local(img_dir):
        return 'climbs out of it (..)'
    return f'resolves to {_resolved(osp.join(img_dir, file_name))} (.. and symlinks followed)'


def _local(img_dir: str | None) -> bool:
    return bool(img_dir) and not img_dir.startswith(REMOTE_PREFIXES)


def _inside(img_dir: str | None, root: str | None, name: str) -> bool:
    """:func:`image_path_inside` for one name (``root``: the folder resolved, None when it is not local)."""
    if osp.isabs(name):
        return False
    if img_dir is None or root is None:
        return not (osp.normpath(name) == os.pardir or osp.normpath(name).startswith(os.pardir + os.sep))
    target = _resolved(osp.join(img_dir, name))
    return target is None or _within(target, root)


def _resolved(path: str) -> str | None:
    try:
        return osp.realpath(path)
    except (ValueError, OSError):  # a NUL character, or one the file system's encoding cannot hold
        return None


def _within(path: str | None, root: str) -> bool:
    return path is not None and (path == root or path.startswith(root.rstrip(os.sep) + os.sep))


def _symlinks(folder: str) -> set[str] | None:
    """The names of the symlinks in ``folder`` (none when it is missing or not a folder); None when it cannot be
    listed (then every name in it is resolved on its own)."""
    try:
        with os.scandir(folder) as entries:
            return {entry.name for entry in entries if entry.is_symlink()}
    except (FileNotFoundError, NotADirectoryError):
        return set()
    except (OSError, ValueError):
        return None
