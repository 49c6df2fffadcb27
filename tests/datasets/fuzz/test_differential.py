"""The differential fuzzer in CI: 2,000 generated files, and every case of the fixed corpus, through both readers
(the reference checks and the fast reader behind CustomCocoDataset), which must agree and raise nothing but
mmext's own errors. The long run: ``python -m tests.datasets.fuzz --files 100000 --seed 1 --jobs 2``."""
from __future__ import annotations

import os

import pytest

from tests.datasets.coco_builder import write_coco
from tests.datasets.fuzz.campaign import run
from tests.datasets.fuzz.differential import Foreign, differences, path_rule_differences, read_both, time_limit
from tests.datasets.fuzz.generate import make_case
from tests.datasets.fuzz_corpus import annotation_cases

CI_FILES = int(os.environ.get('MMEXT_FUZZ_FILES', 2000))


def test_generated_files_get_the_same_verdict_from_both_readers(capsys):
    figures = run(CI_FILES, seed=0)
    with capsys.disabled():
        print(f'\nfuzz: {figures.line()}')
    assert figures.files == CI_FILES and figures.builds >= CI_FILES // 40
    assert not figures.findings, '\n'.join(f'{f.what} case {f.case.index} ({f.case.name}): {f.detail[:600]}'
                                           for f in figures.findings[:5])


def test_every_fixed_corpus_case_gets_the_same_verdict(tmp_path):
    img_dir = write_coco(tmp_path)['img_dir']
    path = str(tmp_path / 'case.json')
    for case_id, _, content in annotation_cases():
        with open(path, 'wb') as f:
            f.write(content)
        # (image folder, image_check, a few annotations at a time in the fast reader)
        for folder, level, small_chunks in ((img_dir, 'none', False), (img_dir, 'header', True), (None, 'none', True)):
            try:
                with time_limit(20):
                    ref, fast, _ = read_both(path, folder, level, small_chunks)
            except Foreign as err:
                pytest.fail(f'{case_id} (image_check={level}): {err}')
            diff = differences(ref, fast) or path_rule_differences(content, folder)
            assert diff is None, f'{case_id} (image_check={level}, img_dir={folder}): {diff}'


def test_cases_are_made_again_from_their_index(tmp_path):
    a = [make_case(3, i, str(tmp_path)).content for i in range(40)]
    assert a == [make_case(3, i, str(tmp_path)).content for i in range(40)]
    assert len(set(a)) > 30
    names = {m for i in range(400) for m in make_case(0, i, str(tmp_path)).mutations}
    assert {'edge_number', 'deep_nesting', 'image_path', 'crowd_rle', 'byte_edit', 'duplicate_pair'} <= names
