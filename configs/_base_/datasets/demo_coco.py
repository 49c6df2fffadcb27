# The built-in synthetic dataset (python tools/make_demo_data.py --out-dir data/demo): COCO format,
# 160x128 images of circles, squares and triangles. No class list: CustomCocoDataset reads it from the json.
# It is the custom_coco base with the paths and the image size filled in, as yours would be.
_base_ = './custom_coco.py'
data_root = 'data/demo/'
image_scale = (160, 128)

# the base's pipelines, resized to this dataset's image size
train_pipeline = [dict(step, scale=image_scale) if step['type'] == 'Resize' else step
                  for step in _base_.train_pipeline]
test_pipeline = [dict(step, scale=image_scale) if step['type'] == 'Resize' else step
                 for step in _base_.test_pipeline]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(data_root=data_root, ann_file='annotations/train.json', data_prefix=dict(img='images/'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(data_root=data_root, ann_file='annotations/val.json', data_prefix=dict(img='images/'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = val_evaluator
