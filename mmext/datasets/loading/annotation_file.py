"""Reading a COCO annotation file once, applying the rules, and the ``strict`` / ``warn`` policy.

One read of the file and one pass of the rules; no pycocotools index is built. :func:`load_checked` keeps the
parsed content (``tools/check_dataset.py``), :func:`load_columns` keeps it as arrays (``CustomCocoDataset``).
"""
from __future__ import annotations

import json
import logging
import os
import os.path as osp
import threading
from typing import Any, Callable

from mmengine.fileio import get_local_path
from mmengine.logging import print_log

from mmext.datasets.checks.file_rules import CheckedCoco, check_coco
from mmext.datasets.checks.limits import ReadLimits
from mmext.datasets.loading.columns import CocoColumns, from_checked
from mmext.datasets.loading.fast_reader import check_columns
from mmext.datasets.loading.mapped_file import Buffer, as_bytes, read_mapped
from mmext.datasets.checks.problems import Report
from mmext.errors import DatasetError
from mmext.runtime.gc_pause import paused_gc

POLICIES = ('strict', 'warn')


def read_json(path: str, limits: ReadLimits | None = None) -> tuple[Any, Report | None]:
    """Parse a json file (within the read limits ``max_file_bytes`` and ``max_values``).

    Returns:
        The content and None, or None and a report holding one ``invalid_json`` problem.

    Raises:
        DatasetError: Past a read limit.
    """
    limits = ReadLimits.get(limits)
    check_file_size(limits, path, os.path.getsize(path))
    with open(path, 'rb') as f:
        return parse_json(f.read(), path, limits)


def check_file_size(limits: ReadLimits, source: str, size: int) -> None:
    """Raise when a file is larger than the read limit ``max_file_bytes``."""
    limits.check(source, size, 'max_file_bytes', f'the file is {size:,} bytes')


def parse_json(raw: bytes, path: str, limits: ReadLimits | None = None) -> tuple[Any, Report | None]:
    """Parse a json file's content (``path``: for the report). See :func:`read_json`."""
    limits = ReadLimits.get(limits)
    limits.check_values(path, raw)
    try:
        try:
            return json.loads(raw), None
        except RecursionError:
            return _loads_on_fresh_stack(raw), None
    except json.JSONDecodeError as err:
        why = f'not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}'
    except UnicodeDecodeError as err:
        why = f'not valid JSON: not UTF-8/16/32 text ({err.reason} at byte {err.start})'
    except RecursionError:
        why = 'not valid JSON for this reader: nested too deeply'
    except ValueError as err:  # e.g. an integer with more digits than Python converts
        why = f'not valid JSON for this reader: {err}'
    report = Report(path)
    report.add('invalid_json', why)
    return None, report


def _loads_on_fresh_stack(raw: bytes) -> Any:
    """``json.loads`` in a new thread, whose stack is empty: how deep a file may nest is then the same wherever
    it is read from (and at least as deep as the fast reader's msgspec goes, whose refusal comes here)."""
    found: dict = {}

    def parse() -> None:
        try:
            found['value'] = json.loads(raw)
        except Exception as err:  # noqa: BLE001  handed back to the caller's thread
            found['error'] = err
    thread = threading.Thread(target=parse, name='json-loads')
    thread.start()
    thread.join()
    if 'error' in found:
        raise found['error']
    return found['value']


def load_checked(ann_file: str, img_dir: str | None = None, image_check: str = 'none',
                 backend_args: dict | None = None, limits: ReadLimits | dict | None = None) -> CheckedCoco:
    """Read an annotation file and apply the rules (no policy yet: see :func:`apply_policy`).

    The whole content is kept as parsed (what ``tools/check_dataset.py --fix`` writes back); the dataset loads
    with :func:`load_columns`, which finds the same problems and keeps the same content, as arrays.

    Args:
        ann_file: The annotation file (any mmengine file backend).
        img_dir: The image folder, to read missing sizes and check files.
        image_check: See :func:`mmext.datasets.checks.file_rules.check_coco`.
        backend_args: mmengine file backend arguments.
        limits: The read limits (a :class:`~mmext.datasets.checks.limits.ReadLimits` or a dict of its fields).
            Defaults to the defaults and the ``MMEXT_READ_*`` environment variables.

    Returns:
        The checked content.

    Raises:
        DatasetError: The file does not exist, or it is past a read limit.
    """
    limits = ReadLimits.get(limits)

    def check(raw: bytes, source: str) -> CheckedCoco:
        data, failed = parse_json(raw, source, limits)
        return CheckedCoco(failed) if failed else check_coco(data, ann_file, img_dir, image_check, limits)
    return _load(check, ann_file, backend_args, limits)


def load_columns(ann_file: str, img_dir: str | None = None, image_check: str = 'none',
                 backend_args: dict | None = None, limits: ReadLimits | dict | None = None) -> CocoColumns:
    """Read an annotation file and apply the rules, keeping the usable content as arrays (what
    ``CustomCocoDataset`` holds). Same arguments, problems and content as :func:`load_checked`.

    Most files are read by :func:`mmext.datasets.loading.fast_reader.check_columns` (msgspec and numpy, several times faster
    than the json module and a fraction of its memory); one msgspec does not take (NaN in it, an entry that is
    not an object, no annotations list) is read by :func:`load_checked`'s rules and turned into arrays.
    """
    limits = ReadLimits.get(limits)

    def check(raw: bytes, source: str) -> CocoColumns:
        columns = check_columns(raw, ann_file, img_dir, image_check, limits)
        if columns is not None:
            return columns
        data, failed = parse_json(as_bytes(raw), source, limits)
        return from_checked(CheckedCoco(failed) if failed else check_coco(data, ann_file, img_dir, image_check,
                                                                          limits))
    return _load(check, ann_file, backend_args, limits, mapped=True)


def _load(check: Callable[[Buffer, str], Any], ann_file: str, backend_args: dict | None, limits: ReadLimits,
          mapped: bool = False) -> Any:
    """``check(content, local_path)`` of the file; ``mapped``: the content may be the file mapped (see
    :mod:`mmext.datasets.loading.mapped_file`), not bytes."""
    with get_local_path(ann_file, backend_args=backend_args) as local:
        try:
            with open(local, 'rb') as f:
                size = os.fstat(f.fileno()).st_size
                check_file_size(limits, ann_file, size)
                raw = read_mapped(f, size) if mapped else f.read()
        except OSError as err:
            raise DatasetError(f'annotation file {ann_file} cannot be read ({err.strerror}). Fix the path '
                               '(ann_file is relative to data_root).') from None
        with paused_gc():
            result = check(raw, local)
            del raw
    result.report.source = ann_file
    return result


def apply_policy(checked: CheckedCoco, policy: str, logger: str = 'current') -> None:
    """Raise or log what the rules found.

    ``strict``: the first problem that is not ``info`` is an error naming the file, the ids and the fix.
    ``warn``: one table of every problem kind with counts and first ids is logged (what was dropped or
    corrected is in it), and the load goes on. In both, a file that cannot be used at all is an error.

    Args:
        checked: The result of :func:`load_checked`.
        policy: ``'strict'`` or ``'warn'``.
        logger: mmengine logger name.

    Raises:
        DatasetError: Under ``strict`` for any problem; under ``warn`` for a fatal one.
    """
    if policy not in POLICIES:
        raise DatasetError(f"policy={policy!r} is not known; use one of {POLICIES} ('strict': stop at the first "
                           "problem, 'warn': drop or fix what is broken and log a summary)")
    report = checked.report
    report.raise_if_fatal()
    if policy == 'strict':
        first = next((p for p in report.problems if p.severity != 'info'), None)
        if first is not None:
            raise report.error_for(first)
    elif not report.clean:
        num_bad = sum(p.severity != 'info' for p in report.problems)
        print_log(f"{report.source}: {num_bad} annotation problems (policy='warn': broken entries dropped, "
                  f'fixable ones corrected; see python tools/check_dataset.py {report.source}):\n'
                  + report.format_table(include_info=False), logger=logger, level=logging.WARNING)
    for p in report.problems:
        if p.kind == 'placeholder_category':
            print_log(f'{report.source}: category id {p.category_id} dropped: {p.detail}', logger=logger,
                      level=logging.WARNING)


def write_fixed(checked: CheckedCoco, out_file: str, source: str) -> str:
    """Write the corrected copy of an annotation file (what ``policy='warn'`` trains on).

    Args:
        checked: The result of :func:`load_checked` for ``source``.
        out_file: Where to write; never the input.
        source: The input file.

    Returns:
        What changed, for printing.

    Raises:
        DatasetError: ``out_file`` is the input, or the input cannot be used at all.
    """
    if osp.exists(out_file) and osp.samefile(out_file, source):
        raise DatasetError(f'--fix {out_file} is the input file; write the corrected copy elsewhere (the input '
                           'is never overwritten)')
    checked.report.raise_if_fatal()
    content = checked.to_coco()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    try:
        text = json.dumps(content)
    except RecursionError:  # a value nested as deep as the reader reads, in a key the rules leave alone
        raise DatasetError(f'--fix {out_file}: nothing written: the corrected content is nested too deeply for the '
                           'json module to write; remove the deeply nested values from the input') from None
    with open(out_file, 'w') as f:
        f.write(text)
    report = checked.report
    changed = [(kind, len(items)) for kind, items in report.by_kind().items()
               if kind not in ('image_unannotated', 'crowd')]
    lines = [f'wrote {out_file}: {len(content["images"])} of {report.num_images} images, '
             f'{len(content["annotations"])} of {report.num_annotations} annotations, '
             f'{len(content["categories"])} categories']
    from mmext.datasets.checks.problems import KINDS
    lines += [f'  {n:>6} x {kind}: {KINDS[kind].action}' for kind, n in changed]
    return '\n'.join(lines)
