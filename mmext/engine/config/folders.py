"""Personal config folders: ``configs/<name>/`` with its own ``_base_/`` and experiments that inherit from it.

:func:`create_config_folder` (``tools/new_config_folder.py``) copies the template folder ``configs/template``
and, given annotation files, writes the folder's dataset base for them.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import re
import shutil

from mmext.compat.config_paths import MMEXT_CONFIGS
from mmext.errors import ConfigError, DatasetError

TEMPLATE = osp.join(MMEXT_CONFIGS, 'template')
DATASET_BASE = osp.join('_base_', 'datasets', 'coco_detection.py')
RESERVED = ('_base_', 'demo', 'template')
MAX_SCALE = (1333, 800)  # mmdet's COCO scale: the largest a dataset base asks for

# The lines of the template's dataset base that tools/new_config_folder.py rewrites for your files.
_FILLED = ('train_ann', 'val_ann', 'img_dir', 'image_scale')


def render_dataset_base(train_ann: str, val_ann: str, img_dir: str, image_scale: tuple[int, int]) -> str:
    """The template's ``_base_/datasets/coco_detection.py`` with its paths and scale replaced (the classes come
    from the annotation files when the dataset loads)."""
    with open(osp.join(TEMPLATE, DATASET_BASE)) as f:
        text = f.read()
    values = dict(train_ann=repr(train_ann), val_ann=repr(val_ann), img_dir=repr(img_dir),
                  image_scale=repr(tuple(image_scale)))
    for key in _FILLED:
        text, count = re.subn(rf'^{key} = .*$', lambda _: f'{key} = {values[key]}', text, count=1, flags=re.M)
        if count != 1:  # the template was edited: better to stop than to write a half-filled base
            raise ConfigError(f'{osp.join(TEMPLATE, DATASET_BASE)} has no line "{key} = ..." to fill')
    return text


def read_annotation_facts(ann_file: str) -> tuple[tuple[str, ...], tuple[int, int]]:
    """Class names (in category order) and the largest image size (capped at 1333x800) of a COCO json.

    Raises:
        DatasetError: The file is missing, not json, or has no categories.
    """
    if not osp.isfile(ann_file):
        raise DatasetError(f'annotation file {ann_file} does not exist')
    try:
        with open(ann_file) as f:
            coco = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DatasetError(f'annotation file {ann_file} is not valid json: {err}') from None
    categories = coco.get('categories') if isinstance(coco, dict) else None
    if not categories:
        raise DatasetError(f"annotation file {ann_file} has no 'categories': a COCO file lists its classes as "
                           '"categories": [{"id": 1, "name": "cat"}, ...]')
    classes = tuple(str(c['name']) for c in categories)
    images = coco.get('images') or []
    width = max((int(i.get('width', 0)) for i in images), default=0) or MAX_SCALE[0]
    height = max((int(i.get('height', 0)) for i in images), default=0) or MAX_SCALE[1]
    ratio = min(1.0, MAX_SCALE[0] / max(width, height), MAX_SCALE[1] / min(width, height))
    return classes, (round(width * ratio), round(height * ratio))


def create_config_folder(name: str, configs_dir: str = 'configs', ann: str | None = None,
                         val_ann: str | None = None, img_dir: str | None = None) -> list[str]:
    """Create ``<configs_dir>/<name>/`` from the template; with ``ann``, its dataset base points at your data.

    Args:
        name: The folder's name (letters, digits, ``_``, ``-``), e.g. your own name.
        configs_dir: Where the folder goes. Defaults to ``configs``.
        ann: The training annotation file (COCO json). Without it the folder trains on the demo data.
        val_ann: The validation annotation file. Defaults to ``ann`` (then the scores are on training data).
        img_dir: The folder with the images both files name. Needed with ``ann``.

    Returns:
        The files written.

    Raises:
        ConfigError: A bad name, an existing folder, or a missing argument or path.
        DatasetError: An annotation file is missing or has no categories.
    """
    if not re.fullmatch(r'[A-Za-z0-9][A-Za-z0-9_-]*', name) or name in RESERVED:
        raise ConfigError(f"config folder name '{name}': use letters, digits, '_' and '-', not one of "
                          f'{", ".join(RESERVED)}')
    target = osp.join(configs_dir, name)
    if osp.exists(target):
        raise ConfigError(f'{target} already exists; choose another name or remove it first')
    if ann is None and (val_ann or img_dir):
        raise ConfigError('--val-ann and --img-dir go with --ann (the training annotation file)')
    text = None
    if ann is not None:
        if img_dir is None:
            raise ConfigError('--ann needs --img-dir: the folder with the images the annotation files name')
        if not osp.isdir(img_dir):
            raise ConfigError(f'--img-dir {img_dir} is not a folder')
        _, scale = read_annotation_facts(ann)
        if val_ann is not None:
            read_annotation_facts(val_ann)
        text = render_dataset_base(osp.normpath(ann), osp.normpath(val_ann or ann), osp.normpath(img_dir) + '/',
                                   scale)
    shutil.copytree(TEMPLATE, target, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    if text is not None:
        with open(osp.join(target, DATASET_BASE), 'w') as f:
            f.write(text)
    return sorted(osp.join(root, f) for root, _, files in os.walk(target) for f in files)
