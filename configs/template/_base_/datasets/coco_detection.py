# This folder's dataset: COCO-format annotation files and one image folder, used as they are written here
# (relative paths start where you run tools/train.py). Written by tools/new_config_folder.py.
# mmext's CustomCocoDataset reads the class names from the annotation file (no class list to copy here), checks
# the annotations when it loads them, and the model's num_classes='auto' follows.
# The image scale is the largest image of that file (at most 1333x800), so no image is enlarged.
_base_ = 'mmdet::_base_/datasets/coco_detection.py'

data_root = ''
train_ann = 'data/demo/annotations/train.json'
val_ann = 'data/demo/annotations/val.json'
img_dir = 'data/demo/images/'
image_scale = (160, 128)

# mmdet's pipelines (from the _base_ above), resized to this dataset's image size
train_pipeline = [dict(step, scale=image_scale) if step['type'] == 'Resize' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, scale=image_scale) if step['type'] == 'Resize' else step
                 for step in _base_.test_pipeline]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        data_root=data_root,
        type='CustomCocoDataset',
        ann_file=train_ann,
        data_prefix=dict(img=img_dir),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(
        data_root=data_root,
        type='CustomCocoDataset',
        ann_file=val_ann,
        data_prefix=dict(img=img_dir),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(ann_file=val_ann)
test_evaluator = val_evaluator
