"""The callbacks before mmengine builds a runner (Runner.from_cfg) or a model (Registry.build_func)."""
import pytest
from mmengine.config import Config
from mmengine.registry import Registry
from mmengine.runner import Runner

import mmext  # noqa: F401  installs mmext's callbacks
from mmext.compat import build_steps
from mmext.engine.runner import MMExtRunner

MARK = '__mmext_original__'


@pytest.fixture
def own_from_cfg():
    """Record what Runner.from_cfg is given (and build nothing); mmext's callback is back after the test."""
    seen = []
    mine = Runner.from_cfg.__func__

    def prepare(cfg):
        seen.append(cfg)
        raise StopIteration  # stands for "built": the original from_cfg is not run

    build_steps._wrap_from_cfg(Runner, prepare)
    yield seen
    Runner.from_cfg = classmethod(mine)


def test_from_cfg_is_wrapped_once_and_subclasses_pass_through_it(own_from_cfg):
    with pytest.raises(StopIteration):
        Runner.from_cfg({'a': 1})
    with pytest.raises(StopIteration):
        MMExtRunner.from_cfg(Config(dict(b=2)))  # prepares the config, then mmengine's from_cfg: the callback
    assert [dict(cfg) for cfg in own_from_cfg] == [{'a': 1}, {'b': 2}]
    original = getattr(Runner.from_cfg.__func__, MARK)
    assert original.__func__.__module__ == 'mmengine.runner.runner' and not hasattr(original.__func__, MARK)
    assert Runner.from_cfg.__doc__ == original.__func__.__doc__


def test_check_runs_before_every_build_and_children_inherit_it():
    root = Registry('thing', scope='steps_root')
    seen = []
    build_steps.before_build([root], lambda cfg: seen.append(dict(cfg)))
    build_steps.before_build([root], lambda cfg: seen.append(('again', dict(cfg))))  # replaces, not stacks
    child = Registry('thing', parent=root, scope='steps_child')

    @child.register_module()
    class Thing:
        def __init__(self, size):
            self.size = size

    assert child.build(dict(type='Thing', size=3)).size == 3
    assert seen == [('again', {'type': 'Thing', 'size': 3})]
    assert not hasattr(getattr(root.build_func, MARK), MARK)


def test_unknown_mmengine_versions_get_no_wrap(monkeypatch):
    assert build_steps.supported('0.10.7') and not build_steps.supported('0.11.0')
    monkeypatch.setattr(build_steps, 'supported', lambda version=None: False)
    registry = Registry('thing', scope='steps_unsupported')
    before = registry.build_func
    build_steps.before_build([registry], lambda cfg: None)
    assert registry.build_func is before
