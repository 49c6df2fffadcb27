# Freeze the stem and the first two ResNet stages for the first 2 epochs, then train them too. Frozen
# parameters get no gradient and their BatchNorm layers stay in eval mode; --resume continues the schedule.
# Mostly useful with a pretrained backbone (the demo trains from scratch, so here it only shows the hook).
_base_ = '../demo/retinanet_r18_fpn_10e_demo.py'

custom_hooks = [
    dict(type='PredictionGridHook', num_images=8, score_thr=0.3),
    dict(type='NonFiniteLossGuardHook', max_skips=0),
    dict(type='ParamGroupSummaryHook'),
    dict(type='FreezeScheduleHook', patterns=['backbone.conv1', 'backbone.bn1', 'backbone.layer[12]'],
         until_epoch=2),
]
# With several processes, DDP must expect parameters without gradients while they are frozen:
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
