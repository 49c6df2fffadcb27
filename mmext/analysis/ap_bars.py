"""AP by class and by object size as bar charts (mmext's grouped bar chart)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from mmext.analysis.coco_eval import AREAS, mean_ap
from mmext.evaluation.coco_classwise import per_class_ap
from mmext.visualization.bar_charts import grouped_bar_chart


def ap_by_class_chart(precision: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """One group of bars per class: AP (0.5:0.95), AP50, AP75; "n/a" for a class without ground truth."""
    table = per_class_ap(precision)
    return grouped_bar_chart(list(classes), {'AP': table[:, 0], 'AP50': table[:, 1], 'AP75': table[:, 2]},
                             title='AP by class (bbox, 100 detections per image)')


def ap_by_size_chart(precision: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """One group of bars for all classes together, then one per class: AP of small (< 32^2 px), medium and large
    (> 96^2 px) objects, COCO's area ranges; "n/a" where there is no object of that size."""
    table = per_class_ap(precision)
    overall = [mean_ap(precision, area=a) for a in range(1, len(AREAS))]
    series = {name: np.concatenate([[overall[i]], table[:, 3 + i]]) for i, name in enumerate(AREAS[1:])}
    return grouped_bar_chart(['all classes'] + list(classes), series,
                             title='AP by object size (small < 32x32 px < medium < 96x96 px < large)')
