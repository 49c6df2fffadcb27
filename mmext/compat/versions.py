"""Which mmengine versions a compat patch knows: one check for every version-guarded patch in compat/."""
from __future__ import annotations


def mmengine_in(supported: tuple[tuple[int, int], tuple[int, int]], version: str | None = None) -> bool:
    """Whether mmengine's ``major.minor`` (``version``, default the installed one) is in ``[low, high)``.

    Args:
        supported: ``(low, high)``, e.g. ``((0, 10), (0, 11))`` for 0.10.x.
        version: A version string to check instead of the installed mmengine's.
    """
    import mmengine
    from mmengine.utils import digit_version
    low, high = supported
    return low <= tuple(digit_version(version or mmengine.__version__)[:2]) < high
