"""``num_classes='auto'``: the model's class count from the training dataset, and a check of explicit counts.

Any ``num_classes`` key anywhere under ``model`` (RetinaNet's head, Faster R-CNN's ``roi_head.bbox_head``,
Cascade's list of heads, Mask R-CNN's ``mask_head``, ...) may be ``'auto'``; :func:`fill_num_classes` replaces it
with the number of classes of the training dataset before the model is built. An explicit number that disagrees
with the dataset is an error naming both numbers, so a head trained for 80 COCO classes on a 3-class dataset is
caught before training, not after.
"""
from __future__ import annotations

import copy
import os.path as osp
from typing import Any, Iterator

from mmengine.config import Config

from mmext.datasets.paths import dataset_leaves
from mmext.engine.config.dataset_paths import check_dataset_paths
from mmext.errors import ConfigError, MmextError

AUTO = 'auto'
# Subtrees whose num_classes does not count the dataset's object classes.
_EXEMPT = ('rpn_head', 'semantic_head')
_DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _num_classes_entries(node: Any, path: str = 'model') -> Iterator[tuple[dict, str]]:
    """(the dict holding a num_classes key, its dotted path) for every num_classes under ``node``."""
    if isinstance(node, dict):
        if 'num_classes' in node:
            yield node, f'{path}.num_classes'
        for key, value in node.items():
            if key not in _EXEMPT:
                yield from _num_classes_entries(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _num_classes_entries(value, f'{path}[{i}]')


def fill_num_classes(cfg: Config, reads: AnnotationReads | None = None) -> None:
    """Replace ``num_classes='auto'`` under ``cfg.model`` and check the explicit ones against the dataset.

    Args:
        cfg: The config; changed in place.
        reads: Where to keep the annotation files read on the way, for the datasets built next (see
            :class:`AnnotationReads`). Defaults to None (not kept).

    Raises:
        ConfigError: 'auto' is used but the dataset's classes cannot be known, a value is neither an integer
            nor 'auto', or an explicit number disagrees with the dataset.
    """
    entries = list(_num_classes_entries(cfg.get('model')))
    for holder, path in entries:
        value = holder['num_classes']
        if value != AUTO and (type(value) is not int or value < 1):
            raise ConfigError(f"{path}={value!r}: num_classes must be a positive integer or 'auto' (the number "
                              'of classes of the training dataset)')
    if not entries:
        return
    wants_auto = any(holder['num_classes'] == AUTO for holder, _ in entries)
    found = dataset_classes(cfg, required=wants_auto, reads=reads)
    if found is None:
        if wants_auto:
            raise ConfigError("num_classes='auto' needs a train_dataloader.dataset whose classes can be known: "
                              "type='CustomCocoDataset', or metainfo=dict(classes=(...)). Or write the number.")
        return
    classes, where = found
    set_num_classes(cfg, classes, f'the dataset ({where})')


def set_num_classes(cfg: Config, classes: tuple[str, ...], source: str) -> None:
    """Replace ``num_classes='auto'`` under ``cfg.model`` with ``len(classes)`` and check the explicit ones.

    Also for a trained model, whose classes come from its checkpoint rather than a dataset the user may no
    longer have (``mmext.inference``).

    Args:
        cfg: The config; changed in place.
        classes: The class names.
        source: Where they come from, for the message (``"the dataset (train_dataloader.dataset, x.json)"``).

    Raises:
        ConfigError: An explicit number disagrees with ``classes``.
    """
    for holder, path in _num_classes_entries(cfg.get('model')):
        if holder['num_classes'] == AUTO:
            holder['num_classes'] = len(classes)
        elif holder['num_classes'] != len(classes):
            raise ConfigError(f"{path}={holder['num_classes']} but {source} has {len(classes)} "
                              f"classes {_names(classes)}. Set num_classes='auto' (or {len(classes)}).")


def fill_for_runner(cfg: Any) -> Any:
    """The config mmengine's plain ``Runner.from_cfg`` builds from: a copy with ``num_classes='auto'`` filled, or
    ``cfg`` itself when it has none (``MMExtRunner`` has filled it already). Installed by ``import mmext`` (see
    :mod:`mmext.compat.build_steps`), so that mmdet's own tools need no ``runner_type``; the config the runner
    dumps into the work dir then holds the number.

    Raises:
        ConfigError: As :func:`fill_num_classes`.
    """
    if not any(holder['num_classes'] == AUTO for holder, _ in _num_classes_entries(cfg.get('model'))):
        return cfg
    cfg = copy.deepcopy(cfg)
    fill_num_classes(cfg)
    return cfg


def refuse_unfilled(model_cfg: Any) -> None:
    """Stop a model config that still says ``num_classes='auto'`` before mmdet builds from it (checked before
    every model build, see :mod:`mmext.compat.build_steps`): it is only filled where the whole config is seen.

    Raises:
        ConfigError: Naming the key and what to do instead.
    """
    if not isinstance(model_cfg, dict):
        return
    for holder, path in _num_classes_entries(model_cfg, str(model_cfg.get('type', 'model'))):
        if holder['num_classes'] == AUTO:
            raise ConfigError(
                f"{path}='auto' is not filled in: it is filled from the training dataset when a runner is built "
                'from the whole config (Runner.from_cfg, mmdet\'s and mmext\'s tools), but this model is built '
                'from its own config alone (as mmdet.apis.init_detector and DetInferencer do). Use the config '
                'that training wrote into its work dir (it holds the number), or call '
                'mmext.engine.prepare_config(cfg) first, or write the number of classes.')


def dataset_classes(cfg: Config, required: bool = True, reads: AnnotationReads | None = None
                    ) -> tuple[tuple[str, ...], str] | None:
    """The class names of the first dataloader's dataset (training first) and a description of where they
    come from, or None when its type gives no way to know them.

    Args:
        cfg: The config.
        required: Whether a missing annotation file is an error now (for 'auto'); otherwise None is returned
            and the runner reports the path when it builds the dataloader, after the model.
        reads: Where to keep the annotation files read (see :func:`fill_num_classes`).
    """
    for name in _DATALOADERS:
        loader = cfg.get(name)
        if isinstance(loader, dict) and isinstance(loader.get('dataset'), dict):
            try:
                check_dataset_paths(loader['dataset'], f'{name}.dataset')
            except ConfigError:
                if required:
                    raise
                return None
            where = f'{name}.dataset'
            found = [(_leaf_classes(leaf, where, reads), leaf) for leaf in dataset_leaves(loader['dataset'])]
            if any(classes is None for classes, _ in found) or not found:
                return None
            first = found[0][0]
            for classes, leaf in found[1:]:
                if classes != first:
                    raise ConfigError(f'{where}: the concatenated datasets have different classes: '
                                      f'{_names(first)} and {_names(classes)} ({leaf.get("ann_file")})')
            return first, f"{where}, {found[0][1].get('ann_file') or found[0][1].get('type')}"
    return None


def _leaf_classes(leaf: dict, where: str, reads: AnnotationReads | None) -> tuple[str, ...] | None:
    from mmdet.registry import DATASETS

    from mmext.datasets.classes import check_given_classes
    dataset_type = leaf.get('type')
    cls = dataset_type if isinstance(dataset_type, type) else DATASETS.get(dataset_type or '')
    try:
        if hasattr(cls, 'read_annotations'):
            annotations = cls.read_annotations(leaf)
            if reads is not None:
                reads.keep(leaf, annotations)
            return cls.classes_from_cfg(leaf, annotations)
        given = (leaf.get('metainfo') or {}).get('classes')
        if isinstance(given, str) and osp.isfile(given):  # mmengine reads a class-names file
            with open(given) as f:
                return tuple(line.strip() for line in f if line.strip())
        if given is not None:
            return check_given_classes(given, where)
    except MmextError as err:
        raise ConfigError(f'{where}: {err}') from None
    classes = getattr(cls, 'METAINFO', {}).get('classes')
    return tuple(classes) if classes else None


class AnnotationReads:
    """Annotation files read for ``num_classes='auto'``, handed to the datasets built from the same configs so
    that a large file is read once (``MMExtRunner`` passes them as the dataset's ``annotations=`` argument).

    A read is matched to a dataset config by the fields that decide what is read; one is handed over once.
    """
    _FIELDS = ('type', 'data_root', 'ann_file', 'data_prefix', 'image_check', 'policy', 'backend_args')

    def __init__(self) -> None:
        self._reads: dict[str, Any] = {}

    def _key(self, leaf: dict) -> str:
        return repr([leaf.get(name) for name in self._FIELDS])

    def keep(self, leaf: dict, annotations: Any) -> None:
        """Keep what was read for the dataset config ``leaf``."""
        self._reads[self._key(leaf)] = annotations

    def hand_over(self, dataset_cfg: Any) -> Any:
        """A copy of ``dataset_cfg`` whose matching innermost datasets carry their read as ``annotations=``
        (taken out of this store); ``dataset_cfg`` itself when none matches."""
        if not self._reads or not isinstance(dataset_cfg, dict):
            return dataset_cfg
        cfg = dict(dataset_cfg)
        if isinstance(cfg.get('datasets'), (list, tuple)):
            cfg['datasets'] = [self.hand_over(inner) for inner in cfg['datasets']]
        elif isinstance(cfg.get('dataset'), dict):
            cfg['dataset'] = self.hand_over(cfg['dataset'])
        elif self._key(cfg) in self._reads:
            cfg['annotations'] = self._reads.pop(self._key(cfg))
        return cfg


def _names(classes: tuple[str, ...], limit: int = 10) -> str:
    shown = ', '.join(classes[:limit]) + (', ...' if len(classes) > limit else '')
    return f'({shown})'
