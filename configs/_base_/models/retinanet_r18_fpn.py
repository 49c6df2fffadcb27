# RetinaNet with a ResNet-18 backbone and a narrow (64-channel) FPN: small enough to train on a CPU.
# Inherits mmdet's RetinaNet and changes only what differs.
_base_ = 'mmdet::_base_/models/retinanet_r50_fpn.py'

model = dict(
    backbone=dict(depth=18, out_indices=(1, 2, 3), init_cfg=None),  # no pretrained download
    neck=dict(in_channels=[128, 256, 512], out_channels=64, start_level=0),
    bbox_head=dict(
        num_classes='auto',  # the number of classes of the training dataset
        in_channels=64,
        feat_channels=64,
        stacked_convs=2,
        # smaller anchors than COCO's: objects here are 16-56 px
        anchor_generator=dict(octave_base_scale=2)))
