"""Evaluation metrics, registered into mmdet's METRICS."""
from mmext.evaluation.coco_metric import FastCocoMetric

__all__ = ['FastCocoMetric']
