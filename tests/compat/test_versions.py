"""mmengine_in: the one version check behind every version-guarded compat patch."""
import mmengine

from mmext.compat.versions import mmengine_in

ZERO_TEN = ((0, 10), (0, 11))


def test_the_range_holds_its_low_end_and_not_its_high_end():
    assert mmengine_in(ZERO_TEN, '0.10.0') and mmengine_in(ZERO_TEN, '0.10.7')
    assert not mmengine_in(ZERO_TEN, '0.11.0') and not mmengine_in(ZERO_TEN, '0.9.9')
    assert mmengine_in(((0, 9), (1, 0)), '0.10.7') and not mmengine_in(((0, 9), (1, 0)), '1.0.0')


def test_only_major_and_minor_count():
    """Patch releases and pre-releases of a known minor version keep the patch (its code did not change)."""
    assert mmengine_in(ZERO_TEN, '0.10.99') and mmengine_in(ZERO_TEN, '0.10.8rc1')


def test_without_a_version_the_installed_mmengine_is_checked(monkeypatch):
    major, minor = (int(p) for p in mmengine.__version__.split('.')[:2])
    assert mmengine_in(((major, minor), (major, minor + 1)))
    monkeypatch.setattr(mmengine, '__version__', '0.11.0')
    assert not mmengine_in(ZERO_TEN)
