"""The example plugin package (examples/mmext-example-plugin), really installed, used end to end.

It is installed with pip into a temporary folder (``--target``, no dependencies), never into the shared
environment; the runs below put that folder on PYTHONPATH, where ``importlib.metadata`` finds its entry point.
"""
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, demo_data_options, quick_options, run_tool

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / 'examples' / 'mmext-example-plugin'
USER_CONFIG = "_base_ = 'example::demo/retinanet_r18_fpn_1e_demo_throughput.py'\n"


@pytest.fixture(scope='module')
def example_site(tmp_path_factory):
    """A folder holding the installed example plugin (built from a copy, so the checkout stays clean)."""
    tmp = tmp_path_factory.mktemp('example_plugin')
    shutil.copytree(EXAMPLE, tmp / 'src', ignore=shutil.ignore_patterns('build', '*.egg-info', '__pycache__'))
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps', '--no-build-isolation',
                    '--no-index', '--target', str(tmp / 'site'), str(tmp / 'src')], check=True, timeout=300)
    assert list((tmp / 'site').glob('mmext_example_plugin-0.1.0.dist-info/entry_points.txt'))
    return tmp / 'site'


def _env(site, **extra) -> dict:
    return dict(PYTHONPATH=f'{site}:{ROOT}', **extra)


def test_installed_plugin_is_listed(example_site):
    result = run_tool(['tools/list_modules.py', '--check'], env=_env(example_site), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert 'plugin example 0.1.0 (distribution mmext-example-plugin): example = mmext_example_plugin.plugin' \
        in result.stdout
    assert re.search(r'mmdet\.hook\s+ExampleThroughputHook\s+mmext_example_plugin\.hooks\.ExampleThroughputHook',
                     result.stdout)
    assert 'check: no name clashes, no broken plugins' in result.stdout


def test_config_from_the_plugin_trains_and_disabled_it_is_gone(example_site, tiny_coco, tmp_path):
    config = tmp_path / 'mine.py'
    config.write_text(USER_CONFIG)
    work = tmp_path / 'work'
    args = ['tools/train.py', str(config), '--work-dir', str(work), '--cfg-options',
            *demo_data_options(tiny_coco), *quick_options(work, epochs=1)]
    result = run_tool(args, env=_env(example_site), timeout=600)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert 'mmext plugins: example 0.1.0 (distribution mmext-example-plugin)' in out  # the training log
    assert re.search(r'example plugin: epoch 1: \d+ images in [\d.]+ s', out)  # the plugin's hook ran
    assert (work / 'epoch_1.pth').is_file()

    disabled = run_tool(args, env=_env(example_site, MMEXT_DISABLE_PLUGINS='example'), timeout=300)
    assert disabled.returncode == 1
    assert "no config folder is called 'example::'" in disabled.stderr
    assert 'Traceback' not in disabled.stderr
