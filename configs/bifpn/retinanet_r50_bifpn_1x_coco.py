# mmdet's RetinaNet-R50 on COCO with BiFPN in place of FPN. BiFPN takes FPN's arguments, so the type is the
# whole change: C3-C5 (start_level=1) -> P3-P7 at 256 channels, 3 BiFPN repeats with fast normalised fusion.
# For multi-GPU training use synchronised BN in the neck, as EfficientDet does:
#   --cfg-options model.neck.norm_cfg.type=SyncBN
_base_ = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmext'], allow_failed_imports=False)
runner_type = 'MMExtRunner'

model = dict(neck=dict(type='BiFPN'))
