"""A personal config folder made by tools/new_config_folder.py, trained for real on the tiny dataset."""
import importlib.util
import math
import re

import pytest

from tests.conftest import ROOT, quick_options, run_tool

pytestmark = pytest.mark.e2e


def test_folder_made_by_the_tool_trains(tiny_coco, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('new_config_folder', ROOT / 'tools' / 'new_config_folder.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    main = tool.main
    assert main(['carol', '--configs-dir', str(tmp_path / 'configs'), '--ann', tiny_coco['train'],
                 '--val-ann', tiny_coco['val'], '--img-dir', tiny_coco['img_dir']]) == 0
    config = tmp_path / 'configs' / 'carol' / 'retinanet_r18_fpn_10e_mydata.py'
    assert f'train with: python tools/train.py {config}' in capsys.readouterr().out
    work = tmp_path / 'work'
    result = run_tool(['tools/train.py', str(config), '--work-dir', str(work), '--cfg-options',
                       *quick_options(work, epochs=1)])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'mmext: training finished' in result.stdout
    losses = [float(v) for v in re.findall(r'\bloss: (\S+)', result.stdout)]
    assert len(losses) == 4 and all(math.isfinite(v) for v in losses)  # 16 images, batch 4
    assert (work / 'epoch_1.pth').is_file()
    assert main(['carol', '--configs-dir', str(tmp_path / 'configs')]) == 1
    assert 'already exists' in capsys.readouterr().err
