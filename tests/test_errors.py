"""mmext's error classes: the tools print any MmextError as one line, so every user-facing error must be one."""
import importlib
import inspect
import pkgutil

import mmext
from mmext import errors


def _package_exceptions():
    """Every exception class defined in an mmext module that imports without optional extras."""
    found = {}
    for info in pkgutil.walk_packages(mmext.__path__, 'mmext.'):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # a module of an optional extra (onnxruntime, wandb, ...) not installed here
            continue
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == info.name:
                found[f'{info.name}.{name}'] = value
    return found


def test_every_error_of_mmext_errors_is_an_mmext_error():
    classes = [v for v in vars(errors).values() if inspect.isclass(v) and issubclass(v, Exception)]
    assert len(classes) >= 14
    assert all(issubclass(c, errors.MmextError) for c in classes)
    # tools that catch the broader class catch the narrower one too
    assert issubclass(errors.DiskFullError, errors.CheckpointError)


def test_only_errors_every_rank_raises_together_say_so():
    together = {c.__name__ for c in vars(errors).values()
                if inspect.isclass(c) and issubclass(c, errors.MmextError) and c.on_every_rank}
    assert together == {'NonFiniteLossError'}


# Signals caught inside mmext to fall back to a slower path; they never reach a user.
INTERNAL = {'mmext.datasets.loading.annotation_spans.CutFailed', 'mmext.evaluation.coco_arrays.Unsupported'}


def test_errors_defined_elsewhere_in_the_package_derive_from_mmext_error_too():
    found = _package_exceptions()
    assert 'mmext.datasets.checks.limits.ReadLimitError' in found and INTERNAL <= set(found)
    outside = sorted(name for name, cls in found.items() if not issubclass(cls, errors.MmextError))
    assert outside == sorted(INTERNAL), 'an error a user can see must derive from MmextError'
