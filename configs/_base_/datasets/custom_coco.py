# Your own COCO-format dataset. Copy this file next to your config, fill in the three paths, done:
# the class names come from the json (CustomCocoDataset) and the model's num_classes='auto' follows them.
# Check the files first: python tools/check_dataset.py TRAIN_JSON --img-dir IMAGE_DIR
train_ann_file = 'data/mine/annotations/train.json'
val_ann_file = 'data/mine/annotations/val.json'
image_dir = 'data/mine/images/'

dataset_type = 'CustomCocoDataset'
backend_args = None
image_scale = (1333, 800)

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=image_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        ann_file=train_ann_file,
        data_prefix=dict(img=image_dir),
        filter_cfg=dict(filter_empty_gt=True, min_size=4),
        # 'warn': drop what is broken and log one summary table; 'strict': stop at the first problem
        policy='warn',
        # an image that cannot be read during training: 'error', or 'skip' (at most max_broken_fraction)
        broken_images='error',
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=val_ann_file,
        data_prefix=dict(img=image_dir),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader

# mmdet's CocoMetric with mmext's evaluation backend: pycocotools' numbers bit for bit, many times faster on large
# validation sets (benchmarks/RESULTS.md); backend='pycocotools' gives the reference implementation itself.
val_evaluator = dict(
    type='FastCocoMetric',
    ann_file=val_ann_file,
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
test_evaluator = val_evaluator
