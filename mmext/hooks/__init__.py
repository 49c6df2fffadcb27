"""Hooks, one a file, registered into mmdet's HOOKS."""
from mmext.hooks.prediction_grid_hook import PredictionGridHook
from mmext.hooks.save_predictions_hook import SavePredictionsHook

__all__ = ['PredictionGridHook', 'SavePredictionsHook']
