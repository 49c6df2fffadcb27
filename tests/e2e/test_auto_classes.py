"""num_classes='auto' through every entry point a user of mmdet takes, on a Roboflow-style and a CVAT-style export.

The config is a plain mmdet project's: mmdet's own RetinaNet-R18 config, ``custom_imports`` of mmext, no
``runner_type``. Trained by mmdet's own ``tools/train.py`` (mmengine's plain Runner) and by mmext's
``tools/train.py`` (MMExtRunner); then evaluated by both ``tools/test.py``, built by ``init_detector`` and
``DetInferencer`` from the work dir's config, and printed by ``tools/print_config.py``.
"""
import json
import re
import shutil
from pathlib import Path

import mmdet
import pytest
import torch

from tests.conftest import ROOT, run_tool

pytestmark = pytest.mark.e2e
MMDET_TOOLS = Path(mmdet.__file__).parent / '.mim' / 'tools'
ENV = {'PYTHONPATH': str(ROOT)}  # mmdet's scripts import mmext from this checkout, not an installed copy

CONFIG = '''_base_ = 'mmdet::retinanet/retinanet_r18_fpn_1x_coco.py'
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)

data_root = '{root}/'
model = dict(
    backbone=dict(init_cfg=None, frozen_stages=-1, norm_eval=False),  # from scratch: nothing to download
    neck=dict(out_channels=32),
    bbox_head=dict(num_classes='auto', in_channels=32, feat_channels=32, stacked_convs=1),
    test_cfg=dict(score_thr=0.0))
train_pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                  dict(type='Resize', scale=(160, 128), keep_ratio=True), dict(type='PackDetInputs')]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(160, 128), keep_ratio=True),
                 dict(type='LoadAnnotations', with_bbox=True),
                 dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                                       'scale_factor'))]
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False, dataset=dict(
    type='CustomCocoDataset', data_root=data_root, ann_file='annotations/train.json',
    data_prefix=dict(img='images/'), pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False, dataset=dict(
    type='CustomCocoDataset', data_root=data_root, ann_file='annotations/val.json',
    data_prefix=dict(img='images/'), test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1))
'''

# the synthetic shapes' ids: circle 1, square 2, triangle 3
STYLES = {
    # Roboflow: an id-0 placeholder named after the project, the supercategory of every class, no annotations
    'roboflow': dict(ids={1: 1, 2: 2, 3: 3}, classes=('circle', 'square', 'triangle')),
    # CVAT: ids from 1 in the order the labels were made, empty segmentation, attributes; labels follow id order
    'cvat': dict(ids={3: 1, 1: 2, 2: 3}, classes=('triangle', 'circle', 'square')),
}


def _export(style: str, src: str, dst: Path) -> None:
    data = json.loads(Path(src).read_text())
    ids = STYLES[style]['ids']
    names = {c['id']: c['name'] for c in data['categories']}
    if style == 'roboflow':
        data['categories'] = [dict(id=0, name='shapes-x1yz', supercategory='none')] + [
            dict(id=ids[i], name=names[i], supercategory='shapes-x1yz') for i in sorted(names)]
    else:
        data['categories'] = sorted((dict(id=ids[i], name=names[i], supercategory='') for i in names),
                                    key=lambda c: c['id'])
        data['licenses'] = [dict(name='', id=0, url='')]
        data['info'] = dict(contributor='', date_created='', description='', url='', version='', year='')
        for image in data['images']:
            image.update(license=0, flickr_url='', coco_url='', date_captured=0)
    for ann in data['annotations']:
        ann['category_id'] = ids[ann['category_id']]
        if style == 'cvat':
            ann.update(segmentation=[], attributes=dict(occluded=False, rotation=0.0))
    dst.write_text(json.dumps(data))


@pytest.fixture(scope='module', params=sorted(STYLES))
def export(request, tiny_coco, tmp_path_factory):
    """A copy of the tiny synthetic data as the labelling tool exports it, and a plain mmdet config on it."""
    root = tmp_path_factory.mktemp(request.param)
    shutil.copytree(tiny_coco['img_dir'], root / 'images')
    (root / 'annotations').mkdir()
    for split in ('train', 'val'):
        _export(request.param, tiny_coco[split], root / 'annotations' / f'{split}.json')
    config = root / 'retinanet_r18_fpn_1x_mydata.py'
    config.write_text(CONFIG.format(root=root))
    return dict(style=request.param, root=root, config=config, classes=STYLES[request.param]['classes'])


def _check_work_dir(work: Path, export: dict) -> Path:
    """The work dir's config holds the number and the checkpoint the classes; returns the dumped config."""
    dumped = work / export['config'].name
    assert re.search(r'num_classes=3\b', dumped.read_text()) and "'auto'" not in dumped.read_text()
    checkpoint = torch.load(work / 'epoch_1.pth', map_location='cpu', weights_only=False)
    assert checkpoint['meta']['dataset_meta']['classes'] == export['classes']
    assert checkpoint['state_dict']['bbox_head.retina_cls.weight'].shape[0] == 9 * 3  # 9 anchors x 3 classes
    return dumped


@pytest.fixture(scope='module')
def mmdet_trained(export, tmp_path_factory):
    """Trained by mmdet's own tools/train.py: mmengine's plain Runner (the config names no runner_type)."""
    work = tmp_path_factory.mktemp(f'{export["style"]}_mmdet_train')
    done = run_tool([str(MMDET_TOOLS / 'train.py'), str(export['config']), '--work-dir', str(work)], env=ENV)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = done.stdout + done.stderr
    assert 'MMExtRunner' not in log and 'Traceback' not in log
    assert re.search(r'Epoch\(train\) \[1\]\[4/4\]', log)  # 16 images, batch 4
    if export['style'] == 'roboflow':
        assert "category id 0 dropped: 'shapes-x1yz' has no annotations" in log
    return dict(work=work, dumped=_check_work_dir(work, export))


def test_mmdet_train_fills_auto_without_runner_type(mmdet_trained):
    assert mmdet_trained['dumped'].is_file()  # the checks are in the fixture, shared with the tests below


def test_mmext_train_fills_auto(export, tmp_path):
    work = tmp_path / 'work'
    done = run_tool(['tools/train.py', str(export['config']), '--work-dir', str(work)], env=ENV)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert 'checkpoint:' in done.stdout  # mmext's summary
    _check_work_dir(work, export)


def test_test_tools_on_the_work_dir_config_and_on_the_original(mmdet_trained, export, tmp_path):
    ckpt = str(mmdet_trained['work'] / 'epoch_1.pth')
    # mmdet's test.py on the work dir's config (the number is in it); mmext's on the original ('auto' filled)
    for script, config in [(str(MMDET_TOOLS / 'test.py'), mmdet_trained['dumped']),
                           ('tools/test.py', export['config'])]:
        done = run_tool([script, str(config), ckpt, '--work-dir', str(tmp_path / config.stem)], env=ENV)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert re.search(r'Epoch\(test\).*coco/bbox_mAP: \d\.\d+', done.stdout), done.stdout[-2000:]


def test_init_detector_and_det_inferencer_on_the_work_dir_config(mmdet_trained, export):
    from mmdet.apis import DetInferencer, inference_detector, init_detector

    import mmext  # noqa: F401  (what the config's custom_imports imports; here for the error class)
    from mmext.errors import ConfigError
    image = str(next((export['root'] / 'images').glob('*.jpg')))
    ckpt = str(mmdet_trained['work'] / 'epoch_1.pth')
    model = init_detector(str(mmdet_trained['dumped']), ckpt, device='cpu')
    assert model.dataset_meta['classes'] == export['classes'] and model.bbox_head.num_classes == 3
    result = inference_detector(model, image)
    assert len(result.pred_instances) > 0 and int(result.pred_instances.labels.max()) < 3
    inferencer = DetInferencer(model=str(mmdet_trained['dumped']), weights=ckpt, device='cpu', show_progress=False)
    out = inferencer(image, no_save_pred=True, return_datasamples=True)
    assert inferencer.model.dataset_meta['classes'] == export['classes']
    assert len(out['predictions'][0].pred_instances) > 0
    # the original config still says 'auto', and a model built from model= alone cannot know the classes
    with pytest.raises(ConfigError, match=r"^RetinaNet\.bbox_head\.num_classes='auto' is not filled in: .* Use the "
                                          r'config that training wrote into its work dir') as err:
        init_detector(str(export['config']), ckpt, device='cpu')
    assert '\n' not in str(err.value)


def test_print_config_shows_the_number(export):
    done = run_tool(['tools/print_config.py', str(export['config'])], env=ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r'num_classes=3\b', done.stdout)
    diff = run_tool(['tools/print_config.py', str(export['config']), '--diff'], env=ENV)
    assert "~ model.bbox_head.num_classes: 80 -> 'auto'" in diff.stdout  # the diff shows the file as written


def test_a_missing_annotation_file_is_one_line_from_mmdets_tool(tmp_path):
    config = tmp_path / 'missing.py'
    config.write_text(CONFIG.format(root=tmp_path))  # no annotations/train.json there
    done = run_tool([str(MMDET_TOOLS / 'train.py'), str(config), '--work-dir', str(tmp_path / 'w')], env=ENV)
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode != 0 and last.startswith('mmext.errors.ConfigError: train_dataloader.dataset.ann_file'), last
    assert 'annotations/train.json' in last and not (tmp_path / 'w' / 'epoch_1.pth').exists()
