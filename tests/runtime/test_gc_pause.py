"""paused_gc: the cyclic collector is off inside the block and back as it was after it, also on error."""
import gc

import pytest

from mmext.runtime.gc_pause import paused_gc


@pytest.fixture
def gc_state():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_is_paused_then_enabled_again(gc_state):
    gc.enable()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError):
        with paused_gc():
            raise KeyError('x')
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(gc_state):
    gc.disable()
    with paused_gc():
        with paused_gc():  # nested: the inner block must not turn it on
            pass
        assert not gc.isenabled()
    assert not gc.isenabled()
