# RetinaNet-R18 with a BiFPN neck at EfficientDet-D0's width and depth (64 channels, 3 repeats) instead of FPN.
_base_ = './retinanet_r18_fpn.py'

model = dict(
    neck=dict(_delete_=True, type='BiFPN', in_channels=[128, 256, 512], num_outs=5, preset='D0'))
