"""Splitting a COCO annotation file into train/val/test, or into K folds; the images stay where they are.

Only the json is split: each output keeps every top-level key (``info``, ``licenses``, ``categories``), the
images of its part with their annotations, and ``file_name`` unchanged (still relative to the same image
folder). The same seed gives the same split.

Stratified splits order the images by their rarest class (the class with the fewest annotations in the whole
file among the image's classes), shuffle within each class, then deal the images out so that every split stays
at its ratio all along; so every class, rare ones first, is spread over the splits in the given proportions.
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from typing import Any, Sequence

from mmext.datasets.checks.file_rules import section_problems
from mmext.errors import DatasetError

SPLIT_NAMES = ('train', 'val', 'test')
_ID = (int, str)


def _require_coco(data: Any, source: str) -> None:
    problems = section_problems(data)
    if problems:
        raise DatasetError(f'{source}: {problems[0][1]}. Check it: python tools/check_dataset.py {source}')


def _ordered_images(data: dict, seed: int, stratify: bool) -> list[Any]:
    """Image ids in dealing order: shuffled, grouped by rarest class when stratifying."""
    rng = random.Random(seed)
    ids = [img['id'] for img in data['images'] if isinstance(img, dict) and isinstance(img.get('id'), _ID)]
    if not stratify:
        rng.shuffle(ids)
        return ids
    classes_of: dict[Any, set] = defaultdict(set)
    totals: Counter = Counter()
    for ann in data.get('annotations', []):
        iid, cid = _key(ann, 'image_id'), _key(ann, 'category_id')
        if iid is not None:
            classes_of[iid].add(cid)
            totals[cid] += 1
    groups: dict[Any, list] = defaultdict(list)
    for iid in ids:
        cats = classes_of.get(iid)
        key = min(cats, key=lambda c: (totals[c], str(c))) if cats else None
        groups[key].append(iid)
    ordered: list[Any] = []
    for key in sorted(groups, key=lambda k: (k is None, totals[k], str(k))):  # rare classes dealt first
        rng.shuffle(groups[key])
        ordered += groups[key]
    return ordered


def _deal(ordered: list, ratios: Sequence[float]) -> list[int]:
    """Split index per image: each image goes to the split furthest below its share so far."""
    counts = [0] * len(ratios)
    out = []
    for i in range(len(ordered)):
        deficits = [r * (i + 1) - c for r, c in zip(ratios, counts)]
        best = max(range(len(ratios)), key=lambda s: (deficits[s], -s))
        counts[best] += 1
        out.append(best)
    return out


def _subset(data: dict, image_ids: set) -> dict:
    part = dict(data, images=[img for img in data['images'] if _key(img, 'id') in image_ids])
    if 'annotations' in data:  # an image-info file (a test split) has none, and gets none
        part['annotations'] = [a for a in data['annotations'] if _key(a, 'image_id') in image_ids]
    return part


def _key(entry: Any, name: str) -> Any:
    value = entry.get(name) if isinstance(entry, dict) else None
    return value if isinstance(value, _ID) else None


def split_coco(data: dict, ratios: Sequence[float], seed: int = 0, stratify: bool = False,
               source: str = 'annotations') -> dict[str, dict]:
    """Split into parts named train, val (and test) by image.

    Args:
        data: The parsed annotation file.
        ratios: 2 or 3 non-negative fractions that add up to 1 (train, val[, test]).
        seed: The shuffle's seed.
        stratify: Keep each class's share of images close to the ratios.
        source: The file, for messages.

    Returns:
        Part name -> content, parts with ratio 0 left out.

    Raises:
        DatasetError: Not COCO, or bad ratios.
    """
    _require_coco(data, source)
    if len(ratios) not in (2, 3) or any(r < 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise DatasetError(f'ratios {list(ratios)}: give 2 or 3 non-negative fractions (train val [test]) that add '
                           'up to 1, e.g. 0.8 0.1 0.1')
    ordered = _ordered_images(data, seed, stratify)
    parts = _deal(ordered, ratios)
    return {SPLIT_NAMES[s]: _subset(data, {iid for iid, p in zip(ordered, parts) if p == s})
            for s in range(len(ratios)) if ratios[s] > 0}


def kfold_coco(data: dict, k: int, seed: int = 0, stratify: bool = True, source: str = 'annotations'
               ) -> dict[str, dict]:
    """K folds: ``train{i}`` / ``val{i}`` for i in 0..K-1; every image is in exactly one ``val{i}``.

    Raises:
        DatasetError: Not COCO, or K < 2 or more than the number of images.
    """
    _require_coco(data, source)
    ordered = _ordered_images(data, seed, stratify)
    if not 2 <= k <= len(ordered):
        raise DatasetError(f'--kfold {k}: K must be at least 2 and at most the number of images '
                           f'({len(ordered)})')
    fold_of = dict(zip(ordered, _deal(ordered, [1 / k] * k)))
    out = {}
    for i in range(k):
        val = {iid for iid, f in fold_of.items() if f == i}
        out[f'train{i}'] = _subset(data, set(fold_of) - val)
        out[f'val{i}'] = _subset(data, val)
    return out


def split_summary(parts: dict[str, dict], categories: list[dict]) -> str:
    """Images per part, then annotations per class and part (one row per class)."""
    names = {c.get('id'): str(c.get('name')) for c in categories if isinstance(c, dict)}
    counts = {p: Counter(_key(a, 'category_id') for a in d.get('annotations', [])) for p, d in parts.items()}
    width = max([5] + [len(n) for n in names.values()])
    cols = ''.join(f'{p:>9}' for p in parts)
    lines = [f'{"":<{width}}{cols}', f'{"images":<{width}}' + ''.join(f'{len(d["images"]):>9}' for d in
                                                                     parts.values())]
    for cid, name in names.items():
        lines.append(f'{name:<{width}}' + ''.join(f'{counts[p].get(cid, 0):>9}' for p in parts))
    return '\n'.join(lines)
