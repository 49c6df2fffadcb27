"""Loading a trained detector: classes from the checkpoint, any of work dir / config / checkpoint, clear errors."""
import argparse
import shutil

import numpy as np
import pytest
import torch

from mmext.compat import safe_load_checkpoint
from mmext.errors import CheckpointError, ConfigError
from mmext.inference import Detector
from tests.conftest import DEMO_CONFIG

IMAGE_NAME = '000017.jpg'  # the first val image of tiny_coco


@pytest.fixture(scope='module')
def image(tiny_coco):
    return f"{tiny_coco['img_dir']}/{IMAGE_NAME}"


def test_a_work_dir_is_enough(detector, trained_work_dir):
    assert detector.classes == ('circle', 'square', 'triangle')
    assert detector.model.bbox_head.num_classes == 3
    assert detector.files.checkpoint == str(trained_work_dir / 'epoch_1.pth')
    assert detector.files.config == str(trained_work_dir / 'retinanet_r18_fpn_10e_demo.py')
    assert detector.model_classes.cat_ids == (1, 2, 3)


def test_auto_num_classes_comes_from_the_checkpoint_not_the_dataset(trained_work_dir, detector, image):
    # the source config says num_classes='auto' and its dataset files are gone: the checkpoint's classes decide
    options = {f'{s}_dataloader.dataset.data_root': '/gone/' for s in ('train', 'val', 'test')}
    options['model.test_cfg.score_thr'] = 0.0  # as the training of the fixture had it
    det = Detector(DEMO_CONFIG, str(trained_work_dir / 'epoch_1.pth'), cfg_options=options)
    assert det.model.bbox_head.num_classes == 3
    np.testing.assert_allclose(det.predict(image).boxes, detector.predict(image).boxes, atol=1e-4)


def test_a_checkpoint_alone_brings_its_own_config(trained_work_dir, tmp_path, detector, image):
    ckpt = tmp_path / 'model.pth'
    shutil.copy(trained_work_dir / 'epoch_1.pth', ckpt)
    det = Detector(str(ckpt))
    assert det.files.config is None and det.classes == detector.classes
    np.testing.assert_allclose(det.predict(image).boxes, detector.predict(image).boxes, atol=1e-4)


def _without_meta(trained_work_dir, tmp_path):
    state = safe_load_checkpoint(str(trained_work_dir / 'epoch_1.pth'))['state_dict']
    path = tmp_path / 'bare.pth'
    torch.save(dict(state_dict=state), path)
    return str(path)


def test_no_class_metadata_says_pass_classes(trained_work_dir, tmp_path, tiny_coco):
    bare, config = _without_meta(trained_work_dir, tmp_path), str(trained_work_dir / 'retinanet_r18_fpn_10e_demo.py')
    with pytest.raises(CheckpointError, match=r'has no class names .*pass --classes .* or the dataset json'):
        Detector(config, bare)
    assert Detector(config, bare, classes='a,b,c').classes == ('a', 'b', 'c')
    from_json = Detector(config, bare, classes=tiny_coco['train'])
    assert from_json.classes == ('circle', 'square', 'triangle') and from_json.model_classes.cat_ids == (1, 2, 3)
    with pytest.raises(ConfigError, match=r'num_classes=3 but checkpoint .* has 2 classes \(a, b\)'):
        Detector(config, bare, classes=['a', 'b'])


def test_a_config_that_does_not_fit_names_the_keys(trained_work_dir):
    with pytest.raises(CheckpointError, match=r'does not fit the model of .*shapes differ: neck\.lateral_convs'):
        Detector(str(trained_work_dir), cfg_options={'model.neck.out_channels': 32})
    with pytest.raises(CheckpointError, match=r'not in the model: .*bbox_head\.cls_convs\.1'):
        Detector(str(trained_work_dir), cfg_options={'model.bbox_head.stacked_convs': 1})
    with pytest.raises(ConfigError, match=r'model\.bbox_head\.num_classes=5 but checkpoint .* has 3 classes'):
        Detector(str(trained_work_dir), cfg_options={'model.bbox_head.num_classes': 5})


def test_an_unsafe_checkpoint_is_refused(tmp_path, trained_work_dir):
    evil = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, meta=dict(dataset_meta=dict(classes=('a',))), payload=argparse.Namespace(run="code")),
               evil)
    with pytest.raises(CheckpointError, match='refusing to load checkpoint'):
        Detector(str(trained_work_dir / 'retinanet_r18_fpn_10e_demo.py'), str(evil))


def test_mmdets_own_apis_load_the_work_dir_too(trained_work_dir, detector, image):
    from mmdet.apis import DetInferencer, inference_detector, init_detector
    config, ckpt = str(trained_work_dir / 'retinanet_r18_fpn_10e_demo.py'), str(trained_work_dir / 'epoch_1.pth')
    mine = detector.predict(image)
    model = init_detector(config, ckpt, device='cpu')
    assert model.dataset_meta['classes'] == detector.classes
    theirs = inference_detector(model, image).pred_instances
    np.testing.assert_allclose(theirs.bboxes.numpy(), mine.boxes, atol=1e-4)
    inferencer = DetInferencer(model=config, weights=ckpt, device='cpu', show_progress=False)
    out = inferencer(image, return_datasamples=True)['predictions'][0].pred_instances
    np.testing.assert_allclose(out.bboxes.numpy(), mine.boxes, atol=1e-4)
    np.testing.assert_allclose(out.scores.numpy(), mine.scores, atol=1e-5)
