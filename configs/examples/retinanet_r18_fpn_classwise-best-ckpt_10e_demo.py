# Per-class AP/AP50 after every validation: scalars for every vis backend and classwise_ap.png in the work dir.
# Next to it, what mmengine already ships and mmext does not rewrite: the best checkpoint by bbox mAP, early
# stopping, an EMA of the weights, and the vis backends (TensorBoard/MLflow/W&B need their own pip package).
_base_ = '../demo/retinanet_r18_fpn_10e_demo.py'

val_evaluator = dict(classwise=True)
test_evaluator = val_evaluator

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2, save_best='coco/bbox_mAP', rule='greater'))
custom_hooks = [
    dict(type='PredictionGridHook', num_images=8, score_thr=0.3),
    dict(type='NonFiniteLossGuardHook', max_skips=0),
    dict(type='ParamGroupSummaryHook'),
    dict(type='ClasswiseMetricsHook'),
    dict(type='EarlyStoppingHook', monitor='coco/bbox_mAP', rule='greater', patience=3, min_delta=0.005),
    dict(type='EMAHook', ema_type='ExpMomentumEMA', momentum=0.0002, update_buffers=True, priority=49),
]

vis_backends = [
    dict(type='LocalVisBackend'),
    # dict(type='TensorboardVisBackend'),  # pip install tensorboard
    # dict(type='MLflowVisBackend'),       # pip install mlflow
    # dict(type='WandbVisBackend'),        # pip install wandb
]
visualizer = dict(type='DetLocalVisualizer', vis_backends=vis_backends, name='visualizer')
