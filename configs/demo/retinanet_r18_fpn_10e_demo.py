# The main job (`make demo`): RetinaNet-R18 + FPN trained from scratch on the synthetic shapes, on a CPU.
_base_ = [
    '../_base_/models/retinanet_r18_fpn.py',
    '../_base_/datasets/demo_coco.py',
    '../_base_/schedules/adamw_cosine_10e.py',
    '../_base_/default_runtime.py',
]

# ResNet-18 at half width (32 stem channels, stages 32-256): an iteration costs half as much on a CPU (0.077 s vs
# 0.164 s forward+backward, batch 4, 2 threads), so the 5-minute budget holds twice the iterations, and three
# shape classes need no more capacity (val mAP 0.55 vs 0.41 after the same wall time on 320 images).
model = dict(backbone=dict(base_channels=32), neck=dict(in_channels=[64, 128, 256]))

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
