"""Hooks, one a file, registered into mmdet's HOOKS."""
from mmext.hooks.optuna_trial_hook import OptunaTrialHook
from mmext.hooks.prediction_grid_hook import PredictionGridHook
from mmext.hooks.run_params_hook import RunParamsHook
from mmext.hooks.save_predictions_hook import SavePredictionsHook

__all__ = ['OptunaTrialHook', 'PredictionGridHook', 'RunParamsHook', 'SavePredictionsHook']
