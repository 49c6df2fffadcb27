"""The repeat factors of mmengine's ``ClassBalancedDataset`` (repeat factor sampling) for a dataset, as a table."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmext.errors import DatasetError


@dataclass
class RepeatFactors:
    """What ``ClassBalancedDataset(dataset, oversample_thr)`` does with a dataset (LVIS's repeat factor sampling).

    The fraction of images containing class c is f(c); its repeat factor r(c) = max(1, sqrt(oversample_thr / f(c)));
    an image's factor r(I) is the largest r(c) of its classes (1 without annotations), and the image appears
    ceil(r(I)) times per epoch.

    Attributes:
        oversample_thr: The threshold.
        classes: Class names; the label is the index.
        images_per_class: How many images contain each label.
        class_factors: r(c) per label (NaN for a class in no image: it is never sampled).
        image_factors: r(I) per image, in dataset order (mmengine's own numbers).
    """
    oversample_thr: float
    classes: tuple[str, ...]
    images_per_class: np.ndarray
    class_factors: np.ndarray
    image_factors: np.ndarray

    @property
    def repeats(self) -> np.ndarray:
        """How many times each image appears per epoch (mmengine rounds r(I) up)."""
        return np.ceil(self.image_factors).astype(np.int64)

    def format(self, source: str = 'ClassBalancedDataset') -> str:
        """The table ``tools/browse_dataset.py`` prints: per class, then the spread over images."""
        num = len(self.image_factors)
        width = max([5] + [len(n) for n in self.classes])
        lines = [f'repeat factors ({source}, oversample_thr={self.oversample_thr:g}): {num} images -> '
                 f'{int(self.repeats.sum())} samples per epoch',
                 f'  {"label":>5}  {"class":<{width}}  {"images":>6}  {"fraction":>8}  {"repeat factor":>13}']
        for label, name in enumerate(self.classes):
            count, factor = int(self.images_per_class[label]), self.class_factors[label]
            shown = f'{factor:.3f}' if np.isfinite(factor) else '- (no image)'
            lines.append(f'  {label:>5}  {name:<{width}}  {count:>6}  {count / max(num, 1):>8.3f}  {shown:>13}')
        if num:
            f = self.image_factors
            times, counts = np.unique(self.repeats, return_counts=True)
            spread = ', '.join(f'{t}x {c}' for t, c in zip(times.tolist(), counts.tolist()))
            lines.append(f'  per image: min {f.min():.3f}, median {np.median(f):.3f}, mean {f.mean():.3f}, max '
                         f'{f.max():.3f}; images shown per epoch: {spread}')
        return '\n'.join(lines)


def repeat_factors(dataset: Any, oversample_thr: float) -> RepeatFactors:
    """Compute what ``ClassBalancedDataset`` would repeat, from the dataset's ``get_cat_ids`` as mmengine does.

    Args:
        dataset: A dataset with ``get_cat_ids(i)`` and ``metainfo['classes']`` (e.g. ``CustomCocoDataset``).
        oversample_thr: The frequency below which a class's images are repeated.

    Returns:
        The factors; ``image_factors`` equal mmengine's, number for number.

    Raises:
        DatasetError: ``oversample_thr`` is not a positive number.
    """
    if not isinstance(oversample_thr, (int, float)) or not oversample_thr > 0:
        raise DatasetError(f'oversample_thr={oversample_thr!r}: must be a positive fraction of the images, '
                           'e.g. 0.001 (LVIS) or 0.1')
    classes = tuple(dataset.metainfo.get('classes', ()))
    labels = [set(dataset.get_cat_ids(i)) for i in range(len(dataset))]
    num = len(labels)
    images = np.zeros(max(len(classes), 1 + max((max(s) for s in labels if s), default=-1)), np.int64)
    for found in labels:
        images[list(found)] += 1
    # mmengine's formula, in Python floats as mmengine computes it, so the numbers are the same
    factors = [max(1.0, math.sqrt(oversample_thr / (int(n) / num))) if n else math.nan for n in images]
    per_image = [max(factors[c] for c in found) if found else 1.0 for found in labels]
    return RepeatFactors(float(oversample_thr), classes, images, np.array(factors), np.array(per_image))


def balanced_source(dataset: Any) -> tuple[Any, float | None]:
    """The dataset a ``ClassBalancedDataset`` wraps and its threshold; any other dataset and None."""
    from mmengine.dataset import ClassBalancedDataset
    if isinstance(dataset, ClassBalancedDataset):
        return dataset.dataset, dataset.oversample_thr
    return dataset, None
