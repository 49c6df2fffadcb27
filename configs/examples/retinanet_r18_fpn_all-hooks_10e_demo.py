# Every mmext hook and the layer-decay constructor at once (what the end-to-end test trains): the non-finite loss
# guard skipping up to 2 bad iterations, a freeze schedule, class-wise metrics and the parameter-group summary.
_base_ = '../demo/retinanet_r18_fpn_10e_demo.py'

optim_wrapper = dict(
    constructor='LayerDecayOptimWrapperConstructor',
    # mmengine's custom_keys (backbone lr x 0.5) apply first, the layer decay multiplies on top
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.5)}, decay_rate=0.9, norm_decay_mult=0.0))

val_evaluator = dict(classwise=True)
test_evaluator = val_evaluator

custom_hooks = [
    dict(type='PredictionGridHook', num_images=8, score_thr=0.3),
    dict(type='NonFiniteLossGuardHook', max_skips=2),
    dict(type='ParamGroupSummaryHook'),
    dict(type='FreezeScheduleHook', patterns=['backbone.layer1'], until_iter=2),
    dict(type='ClasswiseMetricsHook'),
]
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
