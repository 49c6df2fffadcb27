"""A demo RetinaNet trained for one epoch on the tiny data (seconds), as tools/train.py leaves its work dir."""
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
