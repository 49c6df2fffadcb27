# This folder's model: mmext's RetinaNet-R18 + FPN. Change what differs here (or in an experiment).
_base_ = 'mmext::_base_/models/retinanet_r18_fpn.py'
