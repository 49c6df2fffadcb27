# An experiment: RetinaNet-R18 + FPN, 10 epochs, on this folder's dataset. For the next experiment copy this
# file, name it {model}_{backbone}_{neck}_{schedule}_{dataset}.py, and change only what differs.
# Run it with mmext's tools/train.py: the '_base_' files reach mmext's configs through 'mmext::', which
# resolves once mmext is imported.
_base_ = [
    './_base_/models/retinanet_r18_fpn.py',
    './_base_/datasets/coco_detection.py',
    './_base_/schedules/adamw_cosine_10e.py',
    './_base_/default_runtime.py',
]
