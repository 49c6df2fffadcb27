"""The annotation rules, as the reference: what counts as a problem in a COCO file, and the report of what was found.

``file_rules`` checks a parsed file (images, categories, then every annotation), ``annotation_rules`` one
annotation, ``image_files`` an image file's header; ``problems`` lists every kind with its handling. These are the
spec: ``tools/check_dataset.py`` runs them as they are, and the fast reader behind ``CustomCocoDataset``
(:mod:`mmext.datasets.loading`) applies the same rules to whole chunks with numpy, falling back to
:func:`~mmext.datasets.checks.file_rules.check_entry` where numpy cannot decide. ``tests/datasets/test_fuzz_corpus.py``
holds the two to the same verdicts.
"""
from mmext.datasets.checks.file_rules import CheckedCoco, check_coco
from mmext.datasets.checks.problems import KINDS, Problem, Report

__all__ = ['CheckedCoco', 'check_coco', 'KINDS', 'Problem', 'Report']
