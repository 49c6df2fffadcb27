# The main job (`make demo`): RetinaNet-R18 + FPN trained from scratch on the synthetic shapes, on a CPU.
_base_ = [
    '../_base_/models/retinanet_r18_fpn.py',
    '../_base_/datasets/demo_coco.py',
    '../_base_/schedules/adamw_cosine_10e.py',
    '../_base_/default_runtime.py',
]
