"""A trained model's class names: from the checkpoint's metadata, or from what the user passes."""
from __future__ import annotations

import json
import os.path as osp
from dataclasses import dataclass
from typing import Sequence

from mmext.errors import CheckpointError

ClassesArg = str | Sequence[str] | None


@dataclass(frozen=True)
class ModelClasses:
    """The class names of a model and where they came from.

    Attributes:
        names: One name per label (label = index).
        cat_ids: The training json's category id of each label (written to the COCO results json so that it
            matches the ground truth), or None when unknown (then ``label + 1``).
        source: Where the names came from, for messages.
    """
    names: tuple[str, ...]
    cat_ids: tuple[int, ...] | None
    source: str

    def category_ids(self) -> tuple[int, ...]:
        """The category id of each label (``label + 1`` when the training json's ids are unknown)."""
        return self.cat_ids or tuple(range(1, len(self.names) + 1))


def model_classes(meta: dict, checkpoint: str, given: ClassesArg = None) -> ModelClasses:
    """The class names to use for a checkpoint.

    Args:
        meta: The checkpoint's ``meta`` (mmengine writes the training dataset's ``metainfo`` to
            ``meta.dataset_meta``; mmdet 2.x wrote ``meta.CLASSES``).
        checkpoint: The checkpoint's path, for messages.
        given: Names given by the user: a sequence, a comma-separated string, a text file (one name a line) or
            the training COCO json (its categories, in id order, as ``CustomCocoDataset`` labels them). They
            win over the checkpoint's, which they must match in number.

    Returns:
        The names.

    Raises:
        CheckpointError: No names anywhere, or given names that do not match the checkpoint's in number.
    """
    dataset_meta = {str(k).lower(): v for k, v in (meta.get('dataset_meta') or {}).items()}
    stored = dataset_meta.get('classes') or meta.get('CLASSES')
    stored_ids = dataset_meta.get('cat_ids')
    if given is not None:
        found = classes_from_arg(given)
        if stored and len(stored) != len(found.names):
            raise CheckpointError(f'{len(found.names)} classes given ({found.source}) but checkpoint {checkpoint} '
                                  f'was trained on {len(stored)}: {_short(stored)}')
        return found
    if not stored:
        raise CheckpointError(f'checkpoint {checkpoint} has no class names in its metadata (meta.dataset_meta.'
                              'classes): pass --classes (names, comma-separated) or the dataset json')
    ids = tuple(int(i) for i in stored_ids) if stored_ids and len(stored_ids) == len(stored) else None
    return ModelClasses(tuple(str(n) for n in stored), ids, f'checkpoint {checkpoint}')


def classes_from_arg(given: str | Sequence[str]) -> ModelClasses:
    """Class names from a sequence, a comma-separated string, a text file or a COCO json (see
    :func:`model_classes`).

    Raises:
        CheckpointError: The file cannot be read, or no names are in it.
    """
    if not isinstance(given, str):
        return ModelClasses(tuple(str(n) for n in given), None, 'classes given')
    if given.endswith('.json'):
        return _classes_from_json(given)
    if osp.isfile(given):
        with open(given) as f:
            names = tuple(line.strip() for line in f if line.strip())
        source = f'classes file {given}'
    else:
        names = tuple(n.strip() for n in given.split(',') if n.strip())
        source = f'--classes {given}'
    if not names:
        raise CheckpointError(f'{source}: no class names in it')
    return ModelClasses(names, None, source)


def _classes_from_json(path: str) -> ModelClasses:
    from mmext.datasets import CustomCocoDataset  # the training labels, exactly: placeholder dropped, id order
    if not osp.isfile(path):
        raise CheckpointError(f'--classes {path}: the dataset json does not exist')
    names = CustomCocoDataset.classes_from_cfg(dict(ann_file=path))
    with open(path) as f:
        categories = json.load(f).get('categories') or []
    id_of = {c.get('name'): c.get('id') for c in categories}
    return ModelClasses(tuple(names), tuple(int(id_of[n]) for n in names), f'dataset json {path}')


def _short(names: Sequence[str], limit: int = 10) -> str:
    return ', '.join(map(str, names[:limit])) + (', ...' if len(names) > limit else '')
