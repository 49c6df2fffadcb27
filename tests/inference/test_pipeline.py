"""The config's test pipeline fed with decoded images gives what the pipeline gives from the file."""
import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmext.errors import ConfigError
from mmext.inference.pipeline import ImageReader, build_array_pipeline, test_pipeline_cfg
from tests.conftest import DEMO_CONFIG

test_pipeline_cfg.__test__ = False  # a package function, not a test


def test_array_pipeline_gives_the_file_pipelines_input(tiny_coco):
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    cfg = Config.fromfile(DEMO_CONFIG)
    steps = test_pipeline_cfg(cfg)
    assert [s['type'] for s in steps][:2] == ['LoadImageFromFile', 'Resize']
    pipeline, reader = build_array_pipeline(cfg)
    path = f"{tiny_coco['img_dir']}/000017.jpg"
    from_file = Compose([s for s in steps if s['type'] != 'LoadAnnotations'])(dict(img_path=path, img_id=0))
    from_array = pipeline(dict(img=reader(path)))
    assert np.array_equal(from_array['inputs'].numpy(), from_file['inputs'].numpy())
    assert from_array['data_samples'].scale_factor == from_file['data_samples'].scale_factor
    assert 'img_id' not in from_array['data_samples'].metainfo  # no dataset ids here


def test_the_pipeline_is_found_through_dataset_wrappers_or_is_one_line():
    inner = [dict(type='LoadImageFromFile', color_type='grayscale'), dict(type='PackDetInputs')]
    cfg = Config(dict(test_dataloader=dict(dataset=dict(type='ClassBalancedDataset', dataset=dict(
        type='ConcatDataset', datasets=[dict(type='CocoDataset', pipeline=inner)])))))
    assert test_pipeline_cfg(cfg) == inner
    _, reader = build_array_pipeline(cfg)
    assert reader == ImageReader('grayscale', 'cv2', None)  # decodes as the config's loader did
    assert test_pipeline_cfg(Config(dict(test_pipeline=inner))) == inner
    with pytest.raises(ConfigError, match='the config has no test pipeline'):
        test_pipeline_cfg(Config(dict(test_dataloader=dict(dataset=dict(type='CocoDataset')))))


def test_the_reader_returns_none_for_what_is_not_an_image(tmp_path):
    cv2.imwrite(str(tmp_path / 'a.png'), np.full((4, 6, 3), 9, np.uint8))
    (tmp_path / 'b.png').write_bytes(b'\x89PNG\r\n')
    assert ImageReader()(str(tmp_path / 'a.png')).shape == (4, 6, 3)
    assert ImageReader('grayscale')(str(tmp_path / 'a.png')).shape == (4, 6)
    assert ImageReader()(str(tmp_path / 'b.png')) is None and ImageReader()(str(tmp_path / 'c.png')) is None
