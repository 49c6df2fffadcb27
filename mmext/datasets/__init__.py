"""Dataset classes, annotation checks and split logic.

Importing this registers ``CustomCocoDataset`` into mmdet's DATASETS.
"""
from mmext.datasets.checks import KINDS, CheckedCoco, Problem, Report, check_coco
from mmext.datasets.custom_coco import CustomCocoDataset
from mmext.datasets.loading.annotation_file import apply_policy, load_checked

__all__ = ['CheckedCoco', 'check_coco', 'apply_policy', 'load_checked', 'CustomCocoDataset', 'KINDS', 'Problem',
           'Report']
