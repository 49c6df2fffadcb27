"""What tools/list_modules.py lists and checks (in process: mmext's modules plus a fake plugin)."""
import importlib.util

import pytest
from mmdet.registry import HOOKS, MODELS
from mmengine.hooks import Hook

import mmext  # noqa: F401
from mmext.plugins import hookimpl
from mmext.plugins.inventory import Registration, RegistrySnapshot, find_clashes, format_inventory, inventory
from mmext.plugins.manager import PluginRecord, Plugins
from mmext.registry import register
from tests.conftest import ROOT
from tests.plugins.fakes import FakeDist, FakeEntryPoint, install_fake_dists


@pytest.fixture
def plugins(monkeypatch):
    class P:
        @hookimpl
        def mmext_register_modules(self):
            register(HOOKS)(type('FakeListedHook', (Hook,), {}))

    install_fake_dists(monkeypatch, FakeDist('fake-listed', '3.1', FakeEntryPoint('listed', P())))
    snapshot = RegistrySnapshot()
    loaded = Plugins()
    loaded.load({})
    yield loaded
    snapshot.restore()


def test_listing_groups_by_source_and_registry(plugins):
    rows, problems = inventory(plugins)
    assert problems == []
    assert Registration('mmengine.runner', 'MMExtRunner', 'mmext.engine.runner.MMExtRunner', 'mmext') in rows
    text = format_inventory(rows, plugins, '0.1.0', '/x/mmext')
    assert text.startswith('mmext 0.1.0 (/x/mmext)\n')
    assert 'plugin listed 3.1 (distribution fake-listed): listed = fake_listed_plugin\n  mmdet.hook ' in text
    assert text.rstrip().endswith('FakeListedHook')


def test_check_finds_a_name_hiding_a_parent_module_and_a_skipped_plugin(plugins):
    rows = [Registration('mmdet.hook', 'CheckpointHook', 'x.CheckpointHook', 'listed')]
    assert find_clashes(rows) == ["'CheckpointHook' in 'mmdet.hook' (x.CheckpointHook, from listed) hides "
                                  'mmengine.hooks.checkpoint_hook.CheckpointHook of a parent registry']
    plugins.failed['broken'] = PluginRecord('broken', 'fake-broken', '1', 'b = b', error='it broke')
    assert inventory(plugins)[1] == ['it broke']


def test_list_modules_tool_check(capsys):
    spec = importlib.util.spec_from_file_location('list_modules', ROOT / 'tools' / 'list_modules.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(['--check']) == 0
    out = capsys.readouterr().out
    assert 'PredictionGridHook' in out and 'check: no name clashes, no broken plugins' in out
    register(MODELS)(type('FakeCheckedNeck', (Hook,), {}))
    MODELS.module_dict['FakeCheckedNeck'].__module__ = 'mmext.fake'
    try:
        MODELS.parent.register_module(name='FakeCheckedNeck', module=type('Other', (Hook,), {}))
        assert tool.main(['--check']) == 1
        assert "clash: 'FakeCheckedNeck' in 'mmdet.model'" in capsys.readouterr().out
    finally:
        MODELS.module_dict.pop('FakeCheckedNeck')
        MODELS.parent.module_dict.pop('FakeCheckedNeck', None)
