"""Looking at a dataset as pictures: ground truth drawn on images (after the train pipeline), and a bar chart of
annotations per class. The logic of ``tools/browse_dataset.py``."""
from __future__ import annotations

import os
import os.path as osp
from typing import Any

import cv2
import numpy as np

from mmext.visualization.bar_charts import bar_chart
from mmext.visualization.draw import class_palette, draw_boxes, make_grid

# What an annotation file is browsed with: load, boxes, pack (no augmentation).
PLAIN_PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                  dict(type='PackDetInputs')]


def dataset_from_config(cfg, split: str = 'train') -> Any:
    """Build ``{split}_dataloader.dataset`` of a config, with its own pipeline."""
    from mmdet.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    return DATASETS.build(cfg[f'{split}_dataloader']['dataset'])


def dataset_from_annotations(ann_file: str, img_dir: str) -> Any:
    """A :class:`~mmext.datasets.custom_coco.CustomCocoDataset` over an annotation file, without augmentation."""
    from mmengine.registry import init_default_scope

    from mmext.datasets.custom_coco import CustomCocoDataset
    init_default_scope('mmdet')
    return CustomCocoDataset(ann_file=ann_file, data_prefix=dict(img=img_dir), pipeline=PLAIN_PIPELINE,
                             test_mode=True)


def draw_sample(sample: dict, classes, palette, scale: float = 1.0) -> tuple[np.ndarray, str]:
    """The packed image of one pipeline output with its ground-truth boxes, and a title."""
    img = sample['inputs'].permute(1, 2, 0).numpy().astype(np.uint8)  # CHW -> HWC, channels as loaded (BGR)
    meta = sample['data_samples']
    gt = meta.gt_instances
    boxes = gt.bboxes.tensor.numpy() if hasattr(gt.bboxes, 'tensor') else np.asarray(gt.bboxes)
    drawn = draw_boxes(np.ascontiguousarray(img), boxes, gt.labels.tolist(), classes, palette, scale=scale)
    return drawn, f'{osp.basename(meta.img_path)} ({len(boxes)})'


def write_grids(dataset, out_dir: str, num: int = 16, per_grid: int = 16, cols: int = 4, scale: float = 1.0,
                seed: int = 0) -> list[str]:
    """Draw ``num`` random samples (after the dataset's pipeline) into PNG grids of ``per_grid`` images.

    Returns:
        The PNG paths.
    """
    meta = dataset.metainfo
    classes = meta.get('classes', ())
    palette = meta.get('palette') or class_palette(len(classes))
    rng = np.random.default_rng(seed)
    indices = rng.permutation(len(dataset))[:num].tolist()
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for start in range(0, len(indices), per_grid):
        tiles, titles = zip(*(draw_sample(dataset[i], classes, palette, scale) for i in
                              indices[start:start + per_grid]))
        path = osp.join(out_dir, f'gt_grid_{start // per_grid:03d}.png')
        cv2.imwrite(path, make_grid(list(tiles), list(titles), cols=cols))
        paths.append(path)
    return paths


def repeat_factor_table(dataset, oversample_thr: float | None = None) -> str | None:
    """What repeat factor sampling does with the dataset: the table of
    :class:`~mmext.datasets.class_balance.RepeatFactors`, for a ``ClassBalancedDataset`` (its own threshold) or
    for ``oversample_thr`` when given (it wins); None when neither."""
    from mmext.datasets.class_balance import balanced_source, repeat_factors
    source, thr = balanced_source(dataset)
    if oversample_thr is not None:
        what = f'as ClassBalancedDataset would repeat {type(source).__name__}'
        return repeat_factors(source, oversample_thr).format(what)
    return None if thr is None else repeat_factors(source, thr).format('the config\'s ClassBalancedDataset')


def write_class_chart(dataset, path: str) -> str:
    """A PNG bar chart of the annotations per class in the dataset (after its filters)."""
    classes = dataset.metainfo.get('classes', ())
    counts = np.zeros(len(classes), np.int64)
    for i in range(len(dataset)):
        labels = dataset.get_cat_ids(i)
        counts += np.bincount(np.asarray(labels, np.int64), minlength=len(classes))[:len(classes)]
    title = f'annotations per class: {int(counts.sum())} in {len(dataset)} images'
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    cv2.imwrite(path, bar_chart(classes, counts.tolist(), title))
    return path
