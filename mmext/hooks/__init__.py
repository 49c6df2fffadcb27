"""Hooks, one a file, registered into mmdet's HOOKS."""
from mmext.hooks.prediction_grid_hook import PredictionGridHook

__all__ = ['PredictionGridHook']
