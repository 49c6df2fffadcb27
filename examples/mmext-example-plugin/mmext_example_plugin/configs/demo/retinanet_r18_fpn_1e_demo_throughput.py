# mmext's demo for one epoch, with the plugin's ExampleThroughputHook logging images per second.
_base_ = 'mmext::demo/retinanet_r18_fpn_10e_demo.py'

train_cfg = dict(max_epochs=1, val_interval=1)
custom_hooks = [
    dict(type='PredictionGridHook', num_images=8, score_thr=0.3),
    dict(type='ExampleThroughputHook'),
]
