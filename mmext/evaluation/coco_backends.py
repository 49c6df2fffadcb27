"""The COCO evaluation backends :class:`~mmext.evaluation.coco_metric.FastCocoMetric` can use.

- ``'mmext'`` (the default): :class:`~mmext.evaluation.array_cocoeval.ArrayCOCOeval`, pycocotools' algorithm on
  numpy arrays. Bit-identical to pycocotools (every precision, recall and score value, hence the 12 summary
  numbers and the per-class APs; ``tests/evaluation/test_array_cocoeval.py`` compares with ``==``) and faster
  than faster-coco-eval end to end (``benchmarks/RESULTS.md``). Input it cannot represent (non-integer ids,
  non-finite boxes or scores, duplicate annotation ids) is evaluated with pycocotools, with a warning.
- ``'pycocotools'``: the reference implementation (what mmdet's ``CocoMetric`` uses).
- ``'faster-coco-eval'``: the ``faster-coco-eval`` package (C++ matching and accumulation, same API). Not
  bit-identical: on the benchmark cases (``benchmarks/bench_eval.py``) its precision values, per-class APs and
  summary numbers differ from pycocotools' by up to about 2e-16 (a unit or two in the last place of a double);
  the 3-decimal metrics mmdet reports were the same in every case tried.
"""
from __future__ import annotations

import importlib.util
from typing import Any

from mmext.errors import ConfigError

BACKENDS = ('mmext', 'pycocotools', 'faster-coco-eval')
_MODULES = {'mmext': 'pycocotools', 'pycocotools': 'pycocotools', 'faster-coco-eval': 'faster_coco_eval'}


def check_backend(backend: Any) -> str:
    """Return ``backend`` when it is a known backend that is installed.

    Raises:
        ConfigError: The name is not a backend, or its package is not installed.
    """
    if backend not in BACKENDS:
        raise ConfigError(f'FastCocoMetric: backend={backend!r} is not a COCO evaluation backend; use one of '
                          f'{", ".join(repr(b) for b in BACKENDS)}.')
    if importlib.util.find_spec(_MODULES[backend]) is None:
        raise ConfigError(f"FastCocoMetric: backend='{backend}' needs the '{backend}' package, which is not "
                          f"installed: pip install {backend} (or use the default, backend='mmext').")
    return backend


def ground_truth(backend: str, reference: Any) -> Any:
    """The ground-truth COCO object of ``backend``, made from the content of mmdet's (pycocotools) object.

    Args:
        backend: A name from :data:`BACKENDS`.
        reference: The ``mmdet.datasets.api_wrappers.COCO`` object the metric already holds.

    Returns:
        ``reference`` itself for pycocotools; for mmext its annotations as arrays
        (:func:`mmext.evaluation.coco_arrays.ground_truth`); a ``faster_coco_eval.COCO`` indexing the same content
        for faster-coco-eval (no second read of the annotation file).

    Raises:
        mmext.evaluation.coco_arrays.Unsupported: (mmext) annotations only pycocotools evaluates as they are.
    """
    if backend == 'pycocotools':
        return reference
    if backend == 'mmext':
        from mmext.evaluation.coco_arrays import ground_truth as arrays
        return arrays(reference)
    from faster_coco_eval import COCO
    return COCO(reference.dataset)


def evaluator(backend: str, coco_gt: Any, coco_dt: Any, iou_type: str, use_mp: bool = False) -> Any:
    """A COCOeval object of ``backend`` (same attributes as pycocotools': ``params``, ``eval``, ``stats``)."""
    if backend == 'pycocotools':
        from mmdet.datasets.api_wrappers import COCOeval, COCOevalMP
        return (COCOevalMP if use_mp else COCOeval)(coco_gt, coco_dt, iou_type)
    from faster_coco_eval import COCOeval_faster
    # print, as pycocotools prints its summary; faster-coco-eval would log at INFO through its own logger
    return COCOeval_faster(coco_gt, coco_dt, iou_type, print_function=print)
