import pytest
from mmdet.registry import HOOKS, MODELS
from mmengine.hooks import Hook

import mmext  # noqa: F401
from mmext.errors import RegistrationError
from mmext.registry import find_registered, register


def test_clash_with_an_mmdet_module_raises_naming_both():
    class FPN(Hook):  # same name as mmdet's neck
        pass

    with pytest.raises(RegistrationError, match=r"'FPN'.*mmdet\.models\.necks\.fpn\.FPN"):
        register(MODELS)(FPN)
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
