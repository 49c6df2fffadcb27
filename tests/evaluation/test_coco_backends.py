"""The COCO evaluation backends: which names exist, the ground truth each one evaluates against, its evaluator."""
import contextlib
import io

import pytest
from mmdet.datasets.api_wrappers import COCOeval, COCOevalMP

from mmext.errors import ConfigError
from mmext.evaluation.coco_arrays import Objects
from mmext.evaluation.coco_backends import BACKENDS, check_backend, evaluator, ground_truth
from tests.evaluation.test_array_cocoeval import _as_json, _coco, make_case


def test_every_backend_is_installed_here_and_accepted():
    assert [check_backend(b) for b in BACKENDS] == list(BACKENDS)
    with pytest.raises(ConfigError, match=r"backend='pycocotool' is not a COCO evaluation backend; use one of "
                                          r"'mmext', 'pycocotools', 'faster-coco-eval'\."):
        check_backend('pycocotool')
    with pytest.raises(ConfigError, match='not a COCO evaluation backend'):
        check_backend(None)


def test_each_backends_ground_truth_holds_the_same_annotations():
    dataset, _ = make_case(2, False)
    reference = _coco(dataset)  # made from memory: there is no file to read again
    assert ground_truth('pycocotools', reference) is reference
    arrays = ground_truth('mmext', reference)
    assert isinstance(arrays, Objects) and arrays.ids.tolist() == [a['id'] for a in dataset['annotations']]
    faster = ground_truth('faster-coco-eval', reference)
    assert type(faster).__module__.startswith('faster_coco_eval')
    assert sorted(faster.getAnnIds()) == sorted(reference.getAnnIds())
    assert faster.getImgIds() == reference.getImgIds() and faster.getCatIds() == reference.getCatIds()


@pytest.mark.parametrize('backend, use_mp, expected', [('pycocotools', False, COCOeval),
                                                       ('pycocotools', True, COCOevalMP)])
def test_pycocotools_evaluators_are_mmdets(backend, use_mp, expected):
    dataset, preds = make_case(2, False)
    gt = _coco(dataset)
    dt = gt.loadRes(_as_json(preds, [c['id'] for c in dataset['categories']], False))
    assert type(evaluator(backend, gt, dt, 'bbox', use_mp)) is expected


def test_faster_coco_eval_prints_its_summary_as_pycocotools_does():
    dataset, preds = make_case(6, False)  # a case with some AP
    gt = ground_truth('faster-coco-eval', _coco(dataset))
    dt = gt.loadRes(_as_json(preds, [c['id'] for c in dataset['categories']], False))
    evaluation = evaluator('faster-coco-eval', gt, dt, 'bbox')
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    assert 'Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]' in out.getvalue()
    assert len(evaluation.stats) >= 12 and 0 < evaluation.stats[0] <= 1
