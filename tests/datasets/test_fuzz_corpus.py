"""The corpus of bad input (tests/datasets/fuzz_corpus.py): every case ends in a clean load or in a readable
error/summary from mmext's rules, never in an exception from inside mmdet, pycocotools or OpenCV, never in a hang,
never in a silently empty or silently thinned dataset."""
from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from mmengine.registry import init_default_scope

from mmext.datasets.checks.file_rules import section_problems
from mmext.datasets.loading.annotation_file import load_checked
from mmext.datasets.custom_coco import CustomCocoDataset
from mmext.datasets.checks.problems import KINDS
from mmext.errors import DatasetError
from tests.datasets.coco_builder import base_coco, write_coco
from tests.datasets.fuzz.differential import time_limit
from tests.datasets.fuzz_corpus import IMAGE_KINDS, annotation_cases, break_image

CASE_SECONDS = 10
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='Resize', scale=(48, 36), keep_ratio=True), dict(type='PackDetInputs')]
CASES = list(annotation_cases())


@pytest.fixture(scope='module')
def corpus_dir(tmp_path_factory):
    init_default_scope('mmdet')
    return write_coco(tmp_path_factory.mktemp('corpus'))


def _build(ann, img_dir, **kwargs):
    # serialize_data=False: mmengine's serialisation ends in a gc.collect() that costs 0.2 s per build
    return CustomCocoDataset(ann_file=ann, data_prefix=dict(img=img_dir), filter_cfg=dict(filter_empty_gt=True),
                             pipeline=PIPELINE, serialize_data=False, **kwargs)


def _assert_readable(err: Exception, ann: str) -> None:
    """An error from the rules: mmext's type, names the file, and names the problem kind or says why empty."""
    assert isinstance(err, DatasetError), f'{type(err).__name__} from inside: {err}'
    msg = str(err)
    assert ann in msg, msg
    kinds = set(re.findall(r'\[(\w+)\]', msg))
    assert kinds & set(KINDS) or 'no image is left for training' in msg, msg
    if 'annotation id' in msg or 'image id' in msg:
        assert re.search(r'(annotation|image|category) id \S+', msg)


def _accounted(report) -> int:
    """Annotations the report says were dropped (each one, or counted with its dropped image/category)."""
    problems = report.problems
    return (sum(KINDS[p.kind].action == 'annotation dropped' for p in problems)
            + sum(p.dropped_with for p in problems))


@pytest.mark.parametrize('case_id, kind, content', CASES, ids=[c[0] for c in CASES])
def test_annotation_case(corpus_dir, tmp_path, caplog_mm, case_id, kind, content):
    ann = str(tmp_path / f'{case_id}.json')
    open(ann, 'wb').write(content)
    img_dir = corpus_dir['img_dir']
    with time_limit(CASE_SECONDS):
        checked = load_checked(ann, img_dir, 'header')  # what tools/check_dataset.py --img-dir does
        checked.report.format_text()
        json.dumps(checked.report.to_dict(), default=str)
        plain = {p.kind for p in load_checked(ann, img_dir).report.problems}  # the rules the dataset applies
        for policy in ('warn', 'strict'):
            try:
                ds = _build(ann, img_dir, policy=policy)
            except Exception as err:  # noqa: BLE001  judged by _assert_readable
                _assert_readable(err, ann)
                tag = re.search(r'\[(\w+)\]\. Fix', str(err))
                assert tag is None or tag.group(1) in plain
                continue
            assert len(ds) > 0
            if policy == 'strict':  # strict lets through only what the rules find clean
                assert ds.report.clean
                continue
            data = json.loads(content)
            if not section_problems(data):  # nothing silently dropped: kept + reported == in the file
                kept = sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds)))
                assert kept + _accounted(ds.report) == len(data.get('annotations', []))
            if not ds.report.clean:
                assert any('annotation problems' in m for m in caplog_mm)
            for i in range(len(ds)):  # the whole pipeline, masks included
                try:
                    ds[i]
                except Exception as err:  # noqa: BLE001
                    _assert_readable(err, ds.ann_file)


def test_corpus_size():
    kinds = Counter(c[1] if '+' not in c[1] else 'combined' for c in CASES)
    assert len(CASES) >= 300 and len(kinds) - 1 >= 15, kinds


@pytest.mark.parametrize('image_kind', IMAGE_KINDS)
@pytest.mark.parametrize('file_name', ['img1.png', 'img2.jpg'])
def test_broken_image_case(tmp_path, caplog_mm, image_kind, file_name):
    init_default_scope('mmdet')
    files = write_coco(tmp_path)
    path = tmp_path / 'images' / file_name
    break_image(path, image_kind)
    ann, img_dir = files['ann'], files['img_dir']
    image_id = int(file_name[3])
    with time_limit(CASE_SECONDS):
        # at load, with image checks: reported with the path (a wrong extension is only a warning)
        report = load_checked(ann, img_dir, 'header').report
        found = [p for p in report.problems if p.image_id == image_id and p.kind.startswith('image_')]
        assert found and str(path) in found[0].detail, report.format_text()
        assert found[0].kind == {'missing': 'image_missing', 'zero_bytes': 'image_empty',
                                 'truncated': 'image_truncated', 'not_an_image': 'image_undecodable',
                                 'wrong_extension': 'image_wrong_extension'}[image_kind]
        # during training, policy 'error': a clean load or an error naming the path and the image id
        ds = _build(ann, img_dir)
        errors = []
        for i in range(len(ds)):
            try:
                ds[i]
            except Exception as err:  # noqa: BLE001
                _assert_readable(err, ann)
                assert str(path) in str(err) and f'image id {image_id}' in str(err)
                errors.append(err)
        broken = image_kind not in ('wrong_extension',) and not (image_kind == 'truncated' and not errors)
        assert len(errors) == int(broken)
        # policy 'skip': skipped and counted, within the allowed fraction
        ds = _build(ann, img_dir, broken_images='skip', max_broken_fraction=0.5)
        for i in range(len(ds)):
            ds[i]
        assert ds.broken.skipped == int(broken)
        if broken:
            assert any(f'skipped broken image {path}' in m and '1 of 3 images skipped' in m for m in caplog_mm)
            ds = _build(ann, img_dir, broken_images='skip', max_broken_fraction=0.0)
            with pytest.raises(DatasetError, match=r'1 of 3 images could not be loaded, more than '
                                                   r'max_broken_fraction=0.0'):
                for i in range(len(ds)):
                    ds[i]


def test_a_hang_is_cut_by_the_time_limit():
    with pytest.raises(TimeoutError):
        with time_limit(0.2):
            while True:
                pass


def test_corpus_is_reproducible():
    assert [c[2] for c in annotation_cases(per_kind=2, combined=3)] == \
           [c[2] for c in annotation_cases(per_kind=2, combined=3)]
    assert json.loads([c[2] for c in annotation_cases(per_kind=1, combined=0)][-1]) != base_coco()

