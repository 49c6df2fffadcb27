"""FastCocoMetric: the same numbers and files as mmdet's CocoMetric, with either backend."""
from __future__ import annotations

import contextlib
import io
import json
import logging

import numpy as np
import pytest
import torch
from mmdet.evaluation.metrics import CocoMetric
from mmdet.registry import METRICS
from pycocotools import mask as mask_utils

import mmext  # noqa: F401  (registers FastCocoMetric)
from mmext.errors import ConfigError, DatasetError, MmextError
from mmext.evaluation import FastCocoMetric
from mmext.evaluation.array_cocoeval import ArrayCOCOeval
from mmext.evaluation.coco_classwise import per_class_ap

CLASSES = ('cat', 'dog', 'bird', 'fish')  # 'fish' has no ground truth at all


def _polygon(x, y, w, h):
    return [x, y, x + w, y, x + w * 0.8, y + h, x + w * 0.1, y + h * 0.9]


@pytest.fixture(scope='module')
def case(tmp_path_factory):
    """24 images (one without objects, one with a crowd region) and noisy predictions with masks."""
    rng = np.random.default_rng(0)
    images, anns, samples = [], [], []
    for i in range(24):
        w, h = 64 + 8 * (i % 3), 48
        images.append(dict(id=100 + i, file_name=f'{i}.jpg', width=w, height=h))
        boxes = []
        for _ in range(0 if i == 5 else int(rng.integers(1, 4))):
            bw, bh = rng.uniform(4, 30, 2)
            x, y = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
            label = int(rng.integers(0, 3))
            anns.append(dict(id=len(anns) + 1, image_id=100 + i, category_id=[3, 7, 9][label],
                             bbox=[x, y, bw, bh], area=bw * bh, iscrowd=int(i == 7 and not boxes),
                             segmentation=[_polygon(x, y, bw, bh)]))
            boxes.append([x, y, x + bw, y + bh, label])
        preds = [[x1 + rng.normal(0, 2), y1 + rng.normal(0, 2), x2 + rng.normal(0, 2), y2 + rng.normal(0, 2),
                  label if rng.random() < 0.8 else int(rng.integers(0, 4)), rng.uniform(0.3, 1)]
                 for x1, y1, x2, y2, label in boxes]
        preds += [[*(lambda x, y: [x, y, x + rng.uniform(3, 20), y + rng.uniform(3, 20)])(
            rng.uniform(0, w - 20), rng.uniform(0, h - 20)), int(rng.integers(0, 4)), rng.uniform(0, 0.5)]
            for _ in range(10)]
        p = np.array(preds)
        masks = np.stack([mask_utils.decode(mask_utils.frPyObjects(
            [_polygon(b[0], b[1], max(b[2] - b[0], 1), max(b[3] - b[1], 1))], h, w))[..., 0] for b in p]).astype(bool)
        samples.append(dict(img_id=100 + i, ori_shape=(h, w), pred_instances=dict(
            bboxes=torch.tensor(p[:, :4], dtype=torch.float32), labels=torch.tensor(p[:, 4], dtype=torch.int64),
            scores=torch.tensor(p[:, 5], dtype=torch.float32), masks=torch.from_numpy(masks))))
    categories = [dict(id=cid, name=name) for cid, name in zip([3, 7, 9, 11], CLASSES)]
    path = tmp_path_factory.mktemp('coco') / 'val.json'
    path.write_text(json.dumps(dict(images=images, annotations=anns, categories=categories)))
    return dict(ann_file=str(path), samples=samples)


def _run(metric, samples, prefix=None):
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, samples)
    with contextlib.redirect_stdout(io.StringIO()):
        return metric.evaluate(len(samples))


def _kwargs(case, **extra):
    return dict(dict(ann_file=case['ann_file'], metric=['bbox', 'segm'], classwise=True), **extra)


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all((np.isnan(a[k]) and np.isnan(b[k])) or a[k] == b[k] for k in a)


@pytest.mark.parametrize('backend', ['mmext', 'pycocotools'])
def test_exact_backends_give_mmdets_numbers_and_files(case, tmp_path, backend):
    anchor = _run(CocoMetric(**_kwargs(case, outfile_prefix=str(tmp_path / 'mmdet'))), case['samples'])
    ours = _run(FastCocoMetric(**_kwargs(case, outfile_prefix=str(tmp_path / 'mmext'), backend=backend)),
                case['samples'])
    assert _same(anchor, ours)
    assert {'coco/bbox_mAP', 'coco/segm_mAP_l', 'coco/cat_precision', 'coco/fish_precision'} <= set(ours)
    assert 0 < ours['coco/bbox_mAP'] < 1
    for kind in ('bbox', 'segm'):  # the results files are byte for byte what mmdet writes
        assert (tmp_path / f'mmdet.{kind}.json').read_bytes() == (tmp_path / f'mmext.{kind}.json').read_bytes()


def test_mmext_backend_is_bit_identical_to_pycocotools(case):
    """Full precision: every precision / recall / score value, the 12 stats, the per-class APs (bbox, segm,
    and proposal, which ignores categories)."""
    kwargs = _kwargs(case, metric=['bbox', 'segm', 'proposal'])
    ref = FastCocoMetric(**kwargs, backend='pycocotools')
    ours = FastCocoMetric(**kwargs)
    assert _same(_run(ref, case['samples']), _run(ours, case['samples']))
    for kind in ('bbox', 'segm', 'proposal'):
        r, o = ref.last_evals[kind], ours.last_evals[kind]
        assert type(o) is ArrayCOCOeval and type(r) is not ArrayCOCOeval
        for key in ('precision', 'recall', 'scores'):
            assert np.array_equal(o.eval[key], r.eval[key]), (kind, key)
        assert np.array_equal(o.stats, r.stats)
        ap = per_class_ap(o.eval['precision'])
        assert np.array_equal(ap, per_class_ap(r.eval['precision']), equal_nan=True)
    assert np.isnan(per_class_ap(ours.last_evals['bbox'].eval['precision'])[3]).all()  # 'fish': no ground truth


def test_faster_backend_numbers_equal_pycocotools_up_to_float_rounding(case):
    ref = FastCocoMetric(**_kwargs(case, backend='pycocotools'))
    fast = FastCocoMetric(**_kwargs(case, backend='faster-coco-eval'))
    assert _same(_run(ref, case['samples']), _run(fast, case['samples']))
    for kind in ('bbox', 'segm'):
        r, f = ref.last_evals[kind], fast.last_evals[kind]
        np.testing.assert_allclose(f.stats[:12], r.stats[:12], rtol=0, atol=1e-12)
        ap_r, ap_f = per_class_ap(r.eval['precision']), per_class_ap(f.eval['precision'])
        assert ap_r.shape == (4, 6) and np.isnan(ap_r[3]).all()  # 'fish': no ground truth
        np.testing.assert_allclose(ap_f, ap_r, rtol=0, atol=1e-12)


def test_backend_selects_the_evaluator(case):
    from faster_coco_eval import COCOeval_faster
    from pycocotools.cocoeval import COCOeval
    assert FastCocoMetric(ann_file=case['ann_file']).backend == 'mmext'  # exact and fast by default
    for backend, cls in (('mmext', ArrayCOCOeval), ('pycocotools', COCOeval), ('faster-coco-eval', COCOeval_faster)):
        metric = METRICS.build(dict(type='FastCocoMetric', ann_file=case['ann_file'], backend=backend))
        _run(metric, case['samples'])
        assert type(metric.last_evals['bbox']) is cls


def test_mmext_backend_writes_no_json_unless_the_files_are_kept(case, tmp_path, monkeypatch):
    """Without outfile_prefix nothing is converted to COCO's json (mmdet writes it to a temporary directory it
    deletes); with it, the files are written."""
    from mmext.evaluation import coco_metric

    def refuse(*args):
        raise AssertionError('json content made')
    with monkeypatch.context() as patch:
        patch.setattr(coco_metric, 'json_content', refuse)
        assert _run(FastCocoMetric(**_kwargs(case)), case['samples'])['coco/bbox_mAP'] > 0
    _run(FastCocoMetric(**_kwargs(case, outfile_prefix=str(tmp_path / 'kept'))), case['samples'])
    assert (tmp_path / 'kept.bbox.json').is_file() and (tmp_path / 'kept.segm.json').is_file()


def test_masks_reach_compute_metrics_without_a_copy(case, monkeypatch):
    """mmengine's _to_cpu would rebuild every RLE dict; the mask lists are passed on as they are."""
    metric = FastCocoMetric(**_kwargs(case))
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, case['samples'])
    stored = [pred['masks'] for _, pred in metric.results]
    seen = []
    monkeypatch.setattr(metric, 'compute_metrics', lambda results: seen.extend(results) or {'x': 1.0})
    assert metric.evaluate(len(case['samples'])) == {'coco/x': 1.0}
    assert [pred['masks'] for _, pred in seen] == stored
    assert all(a is b for (_, pred), b in zip(seen, stored) for a in [pred['masks']])
    assert not metric.results  # cleared, as mmengine does


def test_input_the_arrays_cannot_hold_falls_back_to_pycocotools(case):
    """A NaN score: evaluated by pycocotools (with a warning), so the numbers are still mmdet's."""
    from mmengine.logging import MMLogger
    samples = [dict(s, pred_instances=dict(s['pred_instances'])) for s in case['samples']]
    scores = samples[0]['pred_instances']['scores'].clone()
    scores[0] = float('nan')
    samples[0]['pred_instances']['scores'] = scores
    anchor = _run(CocoMetric(**_kwargs(case)), samples)
    metric = FastCocoMetric(**_kwargs(case))
    logger = MMLogger.get_instance('mmext-test-fallback')
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger.addHandler(handler)
    try:
        ours = _run(metric, samples)
    finally:
        logger.removeHandler(handler)
    assert _same(anchor, ours)
    assert any("with pycocotools" in m and 'not all finite' in m for m in messages)
    assert type(metric.last_evals['bbox']) is not ArrayCOCOeval


def test_results_for_unknown_images_are_an_error(case):
    samples = [dict(case['samples'][0], img_id=999_999)] + case['samples'][1:]
    with pytest.raises(DatasetError, match=r'not in the ground truth: \[999999\] \(1 in all\)'):
        _run(FastCocoMetric(**_kwargs(case)), samples)


def test_unknown_backend_is_a_readable_error(case):
    with pytest.raises(ConfigError, match=r"backend='cocoapi'.*'mmext', 'pycocotools', 'faster-coco-eval'"):
        FastCocoMetric(ann_file=case['ann_file'], backend='cocoapi')
    for backend in ('mmext', 'faster-coco-eval'):
        with pytest.raises(MmextError, match='use_mp_eval'):
            FastCocoMetric(ann_file=case['ann_file'], backend=backend, use_mp_eval=True)


def test_missing_backend_package_says_how_to_install(case, monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name, *a: None if name == 'faster_coco_eval'
                        else real(name, *a))
    with pytest.raises(ConfigError, match="pip install faster-coco-eval.*backend='mmext'"):
        FastCocoMetric(ann_file=case['ann_file'], backend='faster-coco-eval')


@pytest.mark.parametrize('backend', ['mmext', 'pycocotools', 'faster-coco-eval'])
def test_bbox_and_proposal_on_the_same_results(case, backend):
    """Two metrics evaluate the same results (loadRes adds keys to its entries): still mmdet's numbers."""
    kwargs = dict(ann_file=case['ann_file'], metric=['bbox', 'proposal'])
    anchor = _run(CocoMetric(**kwargs), case['samples'])
    ours = _run(FastCocoMetric(**kwargs, backend=backend), case['samples'])
    assert anchor.keys() == ours.keys() and 'coco/AR@100' in ours
    np.testing.assert_allclose([ours[k] for k in anchor], [anchor[k] for k in anchor], rtol=0, atol=1e-12)
