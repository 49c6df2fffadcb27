"""Hooks, one a file, registered into mmdet's HOOKS (the sweep's own ``OptunaTrialHook`` lives in :mod:`mmext.sweep`)."""
from mmext.hooks.atomic_checkpoint_hook import AtomicCheckpointHook
from mmext.hooks.classwise_metrics_hook import ClasswiseMetricsHook
from mmext.hooks.freeze_schedule_hook import FreezeScheduleHook
from mmext.hooks.nonfinite_loss_guard_hook import NonFiniteLossGuardHook
from mmext.hooks.param_group_summary_hook import ParamGroupSummaryHook
from mmext.hooks.prediction_grid_hook import PredictionGridHook
from mmext.hooks.preemption_hook import PreemptionHook
from mmext.hooks.run_params_hook import RunParamsHook
from mmext.hooks.save_predictions_hook import SavePredictionsHook

__all__ = ['AtomicCheckpointHook', 'ClasswiseMetricsHook', 'FreezeScheduleHook', 'NonFiniteLossGuardHook',
           'ParamGroupSummaryHook', 'PredictionGridHook', 'PreemptionHook', 'RunParamsHook',
           'SavePredictionsHook']
