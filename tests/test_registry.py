import sys

import pytest
from mmdet.registry import HOOKS, MODELS
from mmengine.hooks import Hook

import mmext  # noqa: F401
from mmext.errors import RegistrationError
from mmext.plugins.inventory import all_registries, inventory, mmext_registrations
from mmext.plugins.manager import Plugins
from mmext.registry import MANIFEST, find_registered, register, register_lazily, resolve


def test_clash_with_an_mmdet_module_raises_naming_both(clashes):
    class FPN(Hook):  # same name as mmdet's neck
        pass

    with pytest.raises(RegistrationError, match=r"'FPN'.*mmdet\.models\.necks\.fpn\.FPN"):
        register(MODELS)(FPN)  # raises here if MODELS has looked a name up before (in another test)
        MODELS.get('FPN')  # else at its first lookup, before it returns anything
    assert find_registered(MODELS, 'FPN').__module__ == 'mmdet.models.necks.fpn'


def test_clash_with_a_parent_registry_name_raises():
    """mmengine only refuses names in the same registry; a name from mmengine's root HOOKS must clash too."""
    class CheckpointHook(Hook):
        pass

    with pytest.raises(RegistrationError, match='mmengine.hooks.checkpoint_hook.CheckpointHook'):
        register(HOOKS)(CheckpointHook)


def test_registering_the_same_class_again_is_not_a_clash():
    from mmext.hooks.prediction_grid_hook import PredictionGridHook
    assert register(HOOKS)(PredictionGridHook) is PredictionGridHook
    assert HOOKS.get('PredictionGridHook') is PredictionGridHook


def test_new_name_is_registered_in_mmdet_scope():
    class MmextTestOnlyHook(Hook):
        pass

    register(HOOKS)(MmextTestOnlyHook)
    try:
        assert HOOKS.build(dict(type='MmextTestOnlyHook')).__class__ is MmextTestOnlyHook
    finally:
        HOOKS.module_dict.pop('MmextTestOnlyHook')


def test_manifest_names_exactly_what_the_modules_register():
    """A module missing from the manifest would never be imported by its registry."""
    for registry in all_registries():
        registry.import_from_location()
    registered = {(row.registry, row.name, row.target) for row in mmext_registrations()}
    announced = {(f'{resolve(path).scope}.{resolve(path).name}', name, target)
                 for path, names in MANIFEST.items() for name, target in names.items()}
    assert registered == announced


def test_a_class_waits_for_the_first_lookup_and_a_clash_with_a_lazy_name_raises_there(lazy_tree, clashes):
    new, other = type('New', (), {}), type('Known', (), {})
    register(lazy_tree.CHILD)(new)
    register(lazy_tree.CHILD)(other)  # the location that registers Known is not imported yet: no way to know
    assert lazy_tree.CHILD.module_dict == {} and 'lazytree_location' not in sys.modules
    with pytest.raises(RegistrationError, match=r"'Known' in the 'thing' registry \(scope 'lazytree'\): that name "
                                                r'is already taken by lazytree_location\.Known'):
        lazy_tree.CHILD.get('New')
    assert lazy_tree.CHILD.get('New') is new and lazy_tree.CHILD.get('Known').__module__ == 'lazytree_location'
    assert len(clashes) == 1 and 'lazytree_location.Known' in clashes[0]
    assert clashes[0] in inventory(Plugins())[1]  # what tools/list_modules.py --check reports


def test_announced_and_waiting_names_clash_at_once_and_announced_modules_load_at_the_first_lookup(lazy_tree):
    register_lazily({'lazytree_registries.CHILD': {'Announced': 'lazytree_announced.Announced'}})
    register(lazy_tree.ROOT)(type('Early', (), {}))
    with pytest.raises(RegistrationError, match=r"'Announced'.*already taken by lazytree_announced\.Announced"):
        register(lazy_tree.CHILD)(type('Announced', (), {}))
    with pytest.raises(RegistrationError, match=r"'Early'.*already taken by tests\.test_registry\.Early"):
        register(lazy_tree.CHILD)(type('Early', (), {'__module__': 'elsewhere'}))
    assert 'lazytree_announced' not in sys.modules
    assert lazy_tree.CHILD.get('Announced').__module__ == 'lazytree_announced'
    assert lazy_tree.CHILD.get('Early').__module__ == 'tests.test_registry'  # the root's, through the child


def test_a_parent_registration_is_found_through_a_child_even_one_made_later(lazy_tree):
    early = type('Early', (), {})
    register(lazy_tree.ROOT)(early)
    from mmengine.registry import Registry
    later = Registry('thing', parent=lazy_tree.ROOT, scope='lazytree_later')
    assert later.get('Early') is early
