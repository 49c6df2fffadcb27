"""The callback after a registry's first lookup (the version-guarded wrap of Registry.import_from_location)."""
import sys

import pytest
from mmengine.registry import Registry

import mmext  # noqa: F401  installs the wrap
from mmext import registry
from mmext.compat import lazy_registry


@pytest.fixture
def own_callback():
    """Install a recording callback instead of mmext's; mmext's is back after the test."""
    seen = []
    lazy_registry.install(lambda reg: seen.append((reg.scope, lazy_registry.located(reg),
                                                    'lazytree_location' in sys.modules)))
    yield seen
    lazy_registry.install(registry._after_lookup)


def test_callback_runs_after_mmengines_own_import_at_every_lookup(lazy_tree, own_callback):
    assert not lazy_registry.located(lazy_tree.CHILD)
    assert lazy_tree.CHILD.get('Known').__name__ == 'Known'
    lazy_tree.CHILD.get('Known')
    assert own_callback == [('lazytree', True, True)] * 2


def test_installing_again_wraps_mmengines_method_once_and_uninstall_puts_it_back(own_callback):
    wrapped = Registry.import_from_location
    original = wrapped.__mmext_wrapped__
    assert lazy_registry.installed() and original.__module__ == 'mmengine.registry.registry'
    assert not hasattr(original, '__mmext_wrapped__')
    lazy_registry.uninstall()
    assert Registry.import_from_location is original and not lazy_registry.installed()


def test_unknown_mmengine_version_registers_at_once(lazy_tree, monkeypatch):
    assert lazy_registry.supported('0.10.7') and not lazy_registry.supported('0.11.0')
    assert not lazy_registry.supported('1.0.0')
    monkeypatch.setattr(lazy_registry, 'installed', lambda: False)
    registry.register_lazily({'lazytree_registries.CHILD': {'Announced': 'lazytree_announced.Announced'}})
    assert lazy_tree.CHILD.module_dict['Announced'].__module__ == 'lazytree_announced'
    assert 'Known' in lazy_tree.CHILD.module_dict  # imported by the clash check, before registering
