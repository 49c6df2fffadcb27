"""Dataset classes, annotation checks and split logic.

Importing this registers ``CustomCocoDataset`` into mmdet's DATASETS.
"""
from mmext.datasets.checks.file_rules import CheckedCoco, check_coco
from mmext.datasets.loading.annotation_file import apply_policy, load_checked
from mmext.datasets.custom_coco import CustomCocoDataset
from mmext.datasets.checks.problems import KINDS, Problem, Report

__all__ = ['CheckedCoco', 'check_coco', 'apply_policy', 'load_checked', 'CustomCocoDataset', 'KINDS', 'Problem',
           'Report']
