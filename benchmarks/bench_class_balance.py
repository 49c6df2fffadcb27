"""Repeat factor sampling: mmengine's ``ClassBalancedDataset`` around ``CustomCocoDataset`` vs mmdet's ``CocoDataset``.

The wrapper calls the dataset's ``get_cat_ids(i)`` twice per image to compute the repeat factors (at every
build, in every process). Both datasets are built once from the same COCO-train-shaped file
(:mod:`benchmarks.coco_synth`; 118,287 images, quick: 2,000), not timed; then
``ClassBalancedDataset(dataset, oversample_thr=0.1)`` is built around each, alternating, and timed. The
repeated indices of the two must be identical.
"""
from __future__ import annotations

import time

from benchmarks.common import Row, interleaved, load_average, speedup_row
from benchmarks.coco_synth import COCO_TRAIN_IMAGES, coco_class_names, coco_like_file

SPEEDUP_GOAL = 2.0
THRESHOLD = 0.1  # the synthetic classes are each in about 9% of the images: most get repeated


def rows(quick: bool = False) -> list[Row]:
    """Full: 118,287 images, 5 alternating builds of each wrapper; quick: 2,000 images, 2."""
    from mmdet.datasets import CocoDataset
    from mmengine.dataset import ClassBalancedDataset
    from mmengine.registry import init_default_scope

    import mmext  # noqa: F401
    from mmext.datasets import CustomCocoDataset
    num_images, repeats = (2000, 2) if quick else (COCO_TRAIN_IMAGES, 5)
    ann_file = str(coco_like_file(num_images, seed=0))
    init_default_scope('mmdet')
    common = dict(ann_file=ann_file, data_prefix=dict(img='images/'), pipeline=[],
                  filter_cfg=dict(filter_empty_gt=True, min_size=32))
    datasets = {'anchor': CocoDataset(metainfo=dict(classes=coco_class_names()), **common),
                'mmext': CustomCocoDataset(**common)}
    for dataset in datasets.values():  # first touch of the arrays / records, outside the timing
        [dataset.get_cat_ids(i) for i in range(len(dataset))]
    built: dict[str, list[int]] = {}

    def case(name: str):
        def run() -> float:
            start = time.perf_counter()
            wrapper = ClassBalancedDataset(datasets[name], oversample_thr=THRESHOLD)
            seconds = time.perf_counter() - start
            built[name] = wrapper.repeat_indices
            return seconds
        return run

    times = interleaved({name: case(name) for name in datasets}, repeats)
    size = f'{num_images} img'
    same = built['mmext'] == built['anchor']
    return [
        speedup_row(f'ClassBalancedDataset build: time ({size})', times['mmext'], times['anchor'], SPEEDUP_GOAL,
                    f'around CustomCocoDataset vs around CocoDataset, oversample_thr={THRESHOLD}; '
                    f'{load_average()}'),
        Row(f'ClassBalancedDataset build: identical repeats ({size})', f'{len(built["mmext"])} samples',
            f'{len(built["anchor"])} samples', None, 'identical', same,
            'repeat_indices ' + ('equal' if same else 'DIFFERENT')),
    ]
