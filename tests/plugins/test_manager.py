"""Plugin discovery and loading, with fake distributions and entry points (no package installed)."""

import pytest
from mmdet.registry import HOOKS, MODELS
from mmengine.config import Config
from mmengine.hooks import Hook

import mmext  # noqa: F401
from mmext.compat.config_paths import CONFIG_FOLDERS
from mmext.errors import PluginError, RegistrationError
from mmext.plugins import hookimpl
from mmext.plugins.inventory import RegistrySnapshot
from mmext.plugins.manager import Plugins
from mmext.registry import register
from tests.conftest import ROOT, run_tool
from tests.plugins.fakes import FakeDist, FakeEntryPoint, install_fake_dists, write_installed_plugin


@pytest.fixture(autouse=True)
def clean_registries():
    """Whatever a fake plugin registers is gone after the test."""
    snapshot, folders = RegistrySnapshot(), dict(CONFIG_FOLDERS)
    yield
    snapshot.restore()
    CONFIG_FOLDERS.clear()
    CONFIG_FOLDERS.update(folders)


def hook_plugin(hook_name: str, calls: list | None = None):
    """A plugin that registers a Hook class called ``hook_name`` into mmdet's HOOKS."""
    class Plugin:
        @hookimpl
        def mmext_register_modules(self):
            register(HOOKS)(type(hook_name, (Hook,), {}))
            if calls is not None:
                calls.append(hook_name)
    return Plugin()


def test_one_plugin_is_loaded_with_what_it_registered(monkeypatch):
    install_fake_dists(monkeypatch, FakeDist('fake-a', '1.2', FakeEntryPoint('a', hook_plugin('FakeAHook'))))
    plugins = Plugins()
    loaded = plugins.load({})
    assert [r.name for r in loaded] == ['a']
    record = loaded[0]
    assert (record.distribution, record.version, record.entry_point) == ('fake-a', '1.2', 'a = fake_a_plugin')
    assert [(r.registry, r.name, r.source) for r in record.registered] == [('mmdet.hook', 'FakeAHook', 'a')]
    assert HOOKS.get('FakeAHook').__name__ == 'FakeAHook'
    assert plugins.summary() == 'mmext plugins: a 1.2 (distribution fake-a)'


def test_loading_again_loads_none(monkeypatch):
    ep = FakeEntryPoint('a', hook_plugin('FakeAHook'))
    install_fake_dists(monkeypatch, FakeDist('fake-a', '1.0', ep))
    plugins = Plugins()
    assert len(plugins.load({})) == 1
    assert plugins.load({}) == []
    assert ep.loads == 1


@pytest.mark.parametrize('env, expected', [
    ({}, ['a', 'b']),
    ({'MMEXT_DISABLE_PLUGIN_AUTOLOAD': '1'}, []),
    ({'MMEXT_DISABLE_PLUGIN_AUTOLOAD': '0'}, ['a', 'b']),
    ({'MMEXT_DISABLE_PLUGINS': 'a'}, ['b']),
    ({'MMEXT_DISABLE_PLUGINS': ' a , b '}, []),
    ({'MMEXT_PLUGINS': 'b'}, ['b']),
    ({'MMEXT_PLUGINS': 'b', 'MMEXT_DISABLE_PLUGIN_AUTOLOAD': '1'}, ['b']),
    ({'MMEXT_PLUGINS': 'a,b', 'MMEXT_DISABLE_PLUGINS': 'a'}, ['b']),
])
def test_environment_variables_choose_what_loads(monkeypatch, env, expected):
    eps = {n: FakeEntryPoint(n, hook_plugin(f'Fake{n.upper()}Hook')) for n in 'ab'}
    install_fake_dists(monkeypatch, FakeDist('fake-a', '1.0', eps['a']), FakeDist('fake-b', '1.0', eps['b']))
    plugins = Plugins()
    assert [r.name for r in plugins.load(env)] == expected
    assert {n for n, ep in eps.items() if ep.loads} == set(expected), 'a disabled plugin must not be imported'
    assert ('FakeAHook' in HOOKS) == ('a' in expected)


def test_mmext_plugins_naming_an_unknown_plugin_lists_the_installed_ones(monkeypatch):
    install_fake_dists(monkeypatch, FakeDist('fake-a', '1.0', FakeEntryPoint('a', hook_plugin('FakeAHook'))))
    with pytest.raises(PluginError, match=r'MMEXT_PLUGINS names aa, not installed; installed plugins: a'):
        Plugins().load({'MMEXT_PLUGINS': 'aa'})


def test_broken_import_names_plugin_distribution_version_and_takes_everything_back(monkeypatch):
    install_fake_dists(monkeypatch,
                       FakeDist('fake-a', '1.0', FakeEntryPoint('a', hook_plugin('FakeAHook'))),
                       FakeDist('fake-broken', '0.3', FakeEntryPoint('broken', error=ImportError('no module x'))))
    plugins = Plugins()
    with pytest.raises(PluginError) as info:
        plugins.load({'MMEXT_DISABLE_PLUGINS': 'other'})
    message = str(info.value)
    assert "mmext plugin 'broken' from fake-broken 0.3 (broken = fake_broken_plugin)" in message
    assert 'ImportError: no module x' in message
    assert 'MMEXT_DISABLE_PLUGINS=broken,other' in message and 'MMEXT_PLUGIN_ERRORS=warn' in message
    # stop by default, and nothing of this load stays: 'a' loaded fine but is taken back too
    assert 'FakeAHook' not in HOOKS
    assert plugins.records == {} and plugins.pm.get_plugins() == set()


def test_broken_plugin_is_skipped_with_a_warning_when_asked(monkeypatch):
    install_fake_dists(monkeypatch,
                       FakeDist('fake-a', '1.0', FakeEntryPoint('a', hook_plugin('FakeAHook'))),
                       FakeDist('fake-broken', '0.3', FakeEntryPoint('broken', error=ImportError('no module x'))))
    plugins = Plugins()
    with pytest.warns(UserWarning, match="mmext plugin 'broken' from fake-broken 0.3"):
        loaded = plugins.load({'MMEXT_PLUGIN_ERRORS': 'warn'})
    assert [r.name for r in loaded] == ['a'] and list(plugins.failed) == ['broken']
    assert 'FakeAHook' in HOOKS
    with pytest.raises(PluginError, match="MMEXT_PLUGIN_ERRORS='skip': expected 'raise'"):
        Plugins().load({'MMEXT_PLUGIN_ERRORS': 'skip'})


class ExtraArgument:
    @hookimpl
    def mmext_adjust_config(self, cfg, work_dir):
        pass


class MisspeltHook:
    @hookimpl
    def mmext_register_module(self):
        pass


@pytest.mark.parametrize('plugin, expected', [
    (ExtraArgument(), r"mmext_adjust_config.*Argument\(s\) \{'work_dir'\} are declared in the hookimpl but can "
                      'not be found in the hookspec'),
    (MisspeltHook(), r'implements mmext_register_module, which is not an mmext hook \(did you mean '
                     r'mmext_register_modules\?\)'),
])
def test_bad_hookimpl_is_refused_naming_the_plugin(monkeypatch, plugin, expected):
    install_fake_dists(monkeypatch, FakeDist('fake-bad', '2.0', FakeEntryPoint('bad', plugin)))
    plugins = Plugins()
    with pytest.raises(PluginError, match=r"mmext plugin 'bad' from fake-bad 2.0 .*" + expected):
        plugins.load({})
    assert not plugins.pm.is_registered(plugin)


def test_name_clash_with_mmdet_is_refused_and_partial_registrations_taken_back(monkeypatch):
    """MODELS has imported mmdet's modules (it has looked a name up): the clash is refused at load."""
    assert MODELS.get('FPN') is not None

    class Clashing:
        @hookimpl
        def mmext_register_modules(self):
            register(HOOKS)(type('FakePartialHook', (Hook,), {}))
            register(MODELS)(type('FPN', (Hook,), {}))  # mmdet's FPN neck

    install_fake_dists(monkeypatch, FakeDist('fake-clash', '1.0', FakeEntryPoint('clash', Clashing())))
    with pytest.raises(PluginError, match=r"'clash' .*'FPN'.*already taken by mmdet\.models\.necks\.fpn\.FPN"):
        Plugins().load({})
    assert 'FakePartialHook' not in HOOKS


def test_clash_with_a_name_a_registry_imports_at_its_first_lookup_raises_there_naming_the_plugin(
        monkeypatch, lazy_tree, clashes):
    class Clashing:
        @hookimpl
        def mmext_register_modules(self):
            register(lazy_tree.CHILD)(type('Known', (), {}))  # lazy_tree's location registers 'Known'

    install_fake_dists(monkeypatch, FakeDist('fake-late', '1.0', FakeEntryPoint('late', Clashing())))
    assert [r.name for r in Plugins().load({})] == ['late']
    with pytest.raises(RegistrationError, match=r"'Known'.*already taken by lazytree_location\.Known.*registered "
                                                r"by mmext plugin 'late' from fake-late 1\.0; to run without it: "
                                                'MMEXT_DISABLE_PLUGINS=late'):
        lazy_tree.CHILD.get('Known')


def test_a_plugin_registering_past_mmext_into_a_registry_not_looked_up_yet_waits_like_the_others(
        monkeypatch, lazy_tree, clashes):
    """mmengine's own register_module would make mmdet's own import fail at the first lookup; mmext keeps the
    class aside instead. (Through a fake mmdet-like registry: here, in-process, mmdet's may have looked up.)"""
    monkeypatch.setattr('mmext.plugins.inventory.all_registries', lambda: [lazy_tree.CHILD, lazy_tree.ROOT])

    class Direct:
        @hookimpl
        def mmext_register_modules(self):
            lazy_tree.CHILD.register_module(name='Known', module=type('Known', (), {}))

    install_fake_dists(monkeypatch, FakeDist('fake-direct', '1.0', FakeEntryPoint('direct', Direct())))
    assert [r.name for r in Plugins().load({})] == ['direct']
    assert lazy_tree.CHILD.module_dict == {}
    with pytest.raises(RegistrationError, match=r"'Known'.*lazytree_location\.Known.*plugin 'direct'"):
        lazy_tree.CHILD.get('Known')
    assert lazy_tree.CHILD.get('Known').__module__ == 'lazytree_location'  # mmdet's own import went through


def test_clash_through_mmengines_own_register_module_is_caught(monkeypatch):
    """A plugin that bypasses mmext.registry.register and hides mmengine's CheckpointHook is still refused."""
    class Shadowing:
        @hookimpl
        def mmext_register_modules(self):
            HOOKS.register_module(name='CheckpointHook', module=type('CheckpointHook', (Hook,), {}))

    install_fake_dists(monkeypatch, FakeDist('fake-shadow', '1.0', FakeEntryPoint('shadow', Shadowing())))
    with pytest.raises(PluginError, match=r"'CheckpointHook' in the 'mmdet.hook' registry .* already taken by "
                                          r'mmengine\.hooks\.checkpoint_hook\.CheckpointHook'):
        Plugins().load({})
    assert 'CheckpointHook' not in HOOKS.module_dict


def test_two_plugins_claiming_one_name_the_second_is_refused(monkeypatch):
    install_fake_dists(monkeypatch, FakeDist('fake-a', '1.0', FakeEntryPoint('a', hook_plugin('FakeSameHook'))),
                       FakeDist('fake-b', '1.0', FakeEntryPoint('b', hook_plugin('FakeSameHook'))))
    plugins = Plugins()
    with pytest.warns(UserWarning, match=r"plugin 'b' .*'FakeSameHook'.*already taken"):
        plugins.load({'MMEXT_PLUGIN_ERRORS': 'warn'})
    assert list(plugins.records) == ['a']


def test_order_loading_by_name_calling_last_loaded_first_unless_tryfirst(monkeypatch):
    calls, adjusted = [], []

    def plugin(name, **opts):
        class P:
            @hookimpl
            def mmext_register_modules(self):
                calls.append(name)

            @hookimpl(**opts)
            def mmext_adjust_config(self, cfg):
                adjusted.append(name)
        return P()

    install_fake_dists(monkeypatch, FakeDist('z', '1', FakeEntryPoint('c', plugin('c'))),
                       FakeDist('y', '1', FakeEntryPoint('a', plugin('a', tryfirst=True))),
                       FakeDist('x', '1', FakeEntryPoint('b', plugin('b'))))
    plugins = Plugins()
    plugins.load({})
    assert calls == ['a', 'b', 'c'] and list(plugins.records) == ['a', 'b', 'c']
    plugins.adjust_config(Config({}))
    assert adjusted == ['a', 'c', 'b']


def test_adjust_config_and_add_hooks_through_prepare_config(monkeypatch):
    class P:
        @hookimpl
        def mmext_adjust_config(self, cfg):
            cfg.train_cfg.max_epochs = 3

        @hookimpl
        def mmext_add_hooks(self, cfg):
            return [dict(type='CheckInvalidLossHook', interval=cfg.train_cfg.max_epochs)]

    install_fake_dists(monkeypatch, FakeDist('fake-p', '1.0', FakeEntryPoint('p', P())))
    plugins = Plugins()
    plugins.load({})
    monkeypatch.setattr('mmext.plugins.manager.PLUGINS', plugins)
    from mmext.engine.config.prepare import prepare_config
    cfg = Config(dict(train_cfg=dict(max_epochs=12), custom_hooks=[dict(type='PredictionGridHook')]))
    prepare_config(prepare_config(cfg))  # twice: the hook is added once
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.custom_hooks == [dict(type='PredictionGridHook'), dict(type='CheckInvalidLossHook', interval=3)]


def test_add_hooks_returning_something_else_is_a_plugin_error(monkeypatch):
    class P:
        @hookimpl
        def mmext_add_hooks(self):
            return 'CheckInvalidLossHook'

    install_fake_dists(monkeypatch, FakeDist('fake-p', '1.0', FakeEntryPoint('p', P())))
    plugins = Plugins()
    plugins.load({})
    with pytest.raises(PluginError, match=r"returned 'CheckInvalidLossHook'; expected a list of hook configs"):
        plugins.adjust_config(Config({}))


def test_config_folder_resolves_under_the_plugin_name_and_is_refused_for_mmdet(monkeypatch, tmp_path):
    (tmp_path / 'folder' / 'sub').mkdir(parents=True)
    (tmp_path / 'folder' / 'sub' / 'base.py').write_text('answer = 42\n')

    def plugin(folder):
        class P:
            @hookimpl
            def mmext_config_folder(self):
                return folder
        return P()

    install_fake_dists(monkeypatch, FakeDist('fake-cf', '1.0', FakeEntryPoint('cf', plugin(tmp_path / 'folder'))),
                       FakeDist('fake-mmdet', '1.0', FakeEntryPoint('mmdet', plugin(tmp_path / 'folder'))))
    plugins = Plugins()
    with pytest.warns(UserWarning, match=r"plugin 'mmdet' .*'mmdet::' already means the configs of the 'mmdet'"):
        plugins.load({'MMEXT_PLUGIN_ERRORS': 'warn'})
    assert plugins.records['cf'].config_folder == str(tmp_path / 'folder')
    cfg_file = tmp_path / 'exp.py'
    cfg_file.write_text("_base_ = 'cf::sub/base.py'\n")
    assert Config.fromfile(str(cfg_file)).answer == 42


def test_broken_plugin_at_import_mmext_leaves_no_half_imported_mmext(tmp_path):
    """A fresh interpreter with two installed plugins, one broken after registering a module."""
    write_installed_plugin(tmp_path, 'good', '''
        from mmext.plugins import hookimpl

        @hookimpl
        def mmext_register_modules():
            from mmdet.registry import HOOKS
            from mmengine.hooks import Hook
            from mmext.registry import register
            register(HOOKS)(type('FakeGoodHook', (Hook,), {}))
        ''', version='1.0')
    write_installed_plugin(tmp_path, 'broken', '''
        from mmext.plugins import hookimpl

        @hookimpl
        def mmext_register_modules():
            from mmdet.registry import HOOKS
            from mmengine.hooks import Hook
            from mmext.registry import register
            register(HOOKS)(type('FakeBrokenHook', (Hook,), {}))
            raise RuntimeError('database not reachable')
        ''', version='0.9')
    script = '''
import os, sys
try:
    import mmext
except Exception as err:
    print('FIRST', type(err).__name__, err)
print('IN_SYS_MODULES', 'mmext' in sys.modules)
os.environ['MMEXT_DISABLE_PLUGINS'] = 'broken'
import mmext
from mmdet.registry import HOOKS
print('SECOND', mmext.plugins.PLUGINS.summary())
print('HOOKS', 'FakeGoodHook' in HOOKS, 'FakeBrokenHook' in HOOKS, 'PredictionGridHook' in HOOKS)
'''
    result = run_tool(['-c', script], env={'PYTHONPATH': f'{tmp_path}:{ROOT}'}, timeout=120)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-3000:]
    assert ("FIRST PluginError mmext plugin 'broken' from fake-broken 0.9 (broken = fake_broken_plugin) failed to "
            'load: RuntimeError: database not reachable. To run without it: MMEXT_DISABLE_PLUGINS=broken') in out
    assert 'IN_SYS_MODULES False' in out
    assert 'SECOND mmext plugins: good 1.0 (distribution fake-good)' in out
    assert 'HOOKS True False True' in out

    listed = run_tool(['tools/list_modules.py'], env={'PYTHONPATH': f'{tmp_path}:{ROOT}'}, timeout=120)
    assert listed.returncode == 1 and 'Traceback' not in listed.stderr
    assert "error: mmext plugin 'broken' from fake-broken 0.9" in listed.stderr
