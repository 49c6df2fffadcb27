# The main job (`make demo`): RetinaNet-R18 + FPN trained from scratch on the synthetic shapes, on a CPU.
_base_ = [
    '../_base_/models/retinanet_r18_fpn.py',
    '../_base_/datasets/demo_coco.py',
    '../_base_/schedules/adamw_cosine_10e.py',
    '../_base_/default_runtime.py',
]

# A NaN/inf loss never reaches the weights: the wrapper withholds its optimizer step and training stops, naming the
# iteration, the loss terms and the last good checkpoint (the hook adds the per-term report and optional skipping).
optim_wrapper = dict(
    type='NonFiniteGuardOptimWrapper',
    # the backbone learns at half the lr of the neck and heads; ParamGroupSummaryHook's table shows it applied
    paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.5)}))
custom_hooks = [
    dict(type='PredictionGridHook', num_images=8, score_thr=0.3),  # as in _base_/default_runtime.py
    dict(type='NonFiniteLossGuardHook', max_skips=0),
    dict(type='ParamGroupSummaryHook'),
]
