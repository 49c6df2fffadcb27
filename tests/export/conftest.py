"""A demo RetinaNet trained for one epoch on the tiny data (seconds), as tools/train.py leaves its work dir."""
import glob

import cv2
import pytest

from tests.conftest import DEMO_CONFIG, demo_data_options, quick_options, run_tool


@pytest.fixture(scope='session')
def demo_work_dir(tiny_coco, tmp_path_factory):
    work = tmp_path_factory.mktemp('export_work')
    result = run_tool(['tools/train.py', DEMO_CONFIG, '--work-dir', str(work), '--cfg-options',
                       *demo_data_options(tiny_coco), *quick_options(work, epochs=1)])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return work


@pytest.fixture(scope='session')
def bifpn_work_dir(tiny_coco, tmp_path_factory):
    """The same with mmext's BiFPN neck (configs/bifpn)."""
    work = tmp_path_factory.mktemp('export_bifpn')
    result = run_tool(['tools/train.py', 'configs/bifpn/retinanet_r18_bifpn_10e_demo.py', '--work-dir', str(work),
                       '--cfg-options', *demo_data_options(tiny_coco), *quick_options(work, epochs=1)])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return work


def demo_images(tiny_coco, extra_sizes=()):
    """The first 4 images of tiny_coco, plus the first resized to each of ``extra_sizes`` (h, w)."""
    paths = sorted(glob.glob(f"{tiny_coco['img_dir']}/*"))[:4]
    images = [(p, cv2.imread(p)) for p in paths]
    for h, w in extra_sizes:  # other shapes: other resize factors and padding
        images.append((f'{h}x{w}', cv2.resize(images[0][1], (w, h))))
    return images
