"""Reading a class list: YOLO's ``data.yaml`` (``names``: a list or an index -> name mapping) or a text file with
one name a line (``classes.txt``, darknet's ``obj.names``)."""
from __future__ import annotations

import os.path as osp

from mmext.errors import DatasetError

# Where a YOLO export keeps its class list, most specific first.
CLASS_FILES = ('data.yaml', 'dataset.yaml', 'data.yml', 'classes.txt', 'obj.names', 'classes.names')


def read_class_list(path: str) -> dict[int, str]:
    """Class index -> name from a class-list file.

    Args:
        path: A ``.yaml``/``.yml`` file with ``names`` (a list, or a mapping of index to name), or a text file
            with one name a line (blank lines at the end ignored).

    Returns:
        Index -> name, indices from 0.

    Raises:
        DatasetError: The file is missing, has no names, or names a class twice.
    """
    if not osp.isfile(path):
        raise DatasetError(f'class list {path} does not exist')
    if path.endswith(('.yaml', '.yml')):
        names = _yaml_names(path)
    else:
        with open(path, encoding='utf-8') as f:
            lines = [line.strip() for line in f.read().splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        names = dict(enumerate(lines))
    if not names:
        raise DatasetError(f'class list {path} names no class')
    seen: dict[str, int] = {}
    for index, name in sorted(names.items()):
        if not name:
            raise DatasetError(f'class list {path}: class {index} has an empty name')
        if name in seen:
            raise DatasetError(f"class list {path}: '{name}' is class {seen[name]} and class {index}; give every "
                               'class its own name')
        seen[name] = index
    return names


def class_names(path: str) -> list[str]:
    """The names of :func:`read_class_list` in index order (category ids 1, 2, ... follow it)."""
    names = read_class_list(path)
    return [names[i] for i in sorted(names)]


def _yaml_names(path: str) -> dict[int, str]:
    import yaml
    try:
        with open(path, encoding='utf-8') as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as err:
        raise DatasetError(f'class list {path} is not valid YAML: {" ".join(str(err).split())}') from None
    names = data.get('names') if isinstance(data, dict) else None
    if isinstance(names, list):
        return {i: str(n).strip() for i, n in enumerate(names)}
    if isinstance(names, dict):
        try:
            return {int(k): str(v).strip() for k, v in names.items()}
        except (TypeError, ValueError):
            raise DatasetError(f'class list {path}: names must map class indices (0, 1, ...) to names, got keys '
                               f'{list(names)[:5]}') from None
    raise DatasetError(f"class list {path} has no 'names' list (e.g. names: [cat, dog])")


def find_class_list(folder: str, levels: int = 3) -> str | None:
    """The first class-list file in ``folder`` or one of its ``levels`` parents (a split folder inside an export)."""
    folder = osp.abspath(folder)
    for _ in range(levels + 1):
        for name in CLASS_FILES:
            if osp.isfile(osp.join(folder, name)):
                return osp.join(folder, name)
        parent = osp.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return None
