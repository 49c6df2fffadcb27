"""One file through both readers: the reference checks (``load_checked``) and the fast reader (``load_columns``,
and for some cases ``CustomCocoDataset`` itself), and what differs between their verdicts."""
from __future__ import annotations

import contextlib
import json
import signal
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from mmext.datasets.loading import annotation_spans, fast_reader
from mmext.datasets.loading.annotation_file import apply_policy, load_checked, load_columns
from mmext.datasets.loading.columns import CocoColumns, from_checked
from mmext.datasets.loading.image_records import ImageRecords, RecordFormat
from mmext.datasets.paths import image_path_inside, outside_images
from mmext.errors import MmextError

CASE_SECONDS = 20.0
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='Resize', scale=(48, 36), keep_ratio=True), dict(type='PackDetInputs')]


class Foreign(Exception):
    """A reader raised something other than mmext's own errors (the traceback's last lines in the message)."""


@dataclass
class Verdict:
    """What one reader made of a file: its error (``Class: message``), or its report and content, canonical."""
    error: str | None = None
    summary: str | None = None
    records: str | None = None


def canonical(columns: CocoColumns) -> Verdict:
    """A reader's result as text that compares exactly (json tells 1 from 1.0, True from 1; NaN is 'NaN')."""
    report = columns.report
    problems = [(p.kind, p.detail, p.image_id, p.ann_id, p.category_id, p.file_name, p.dropped_with)
                for p in report.problems]
    summary = encode([problems, columns.categories, sorted(columns.ann_counts.items()), columns.has_segmentation,
                      report.num_images, report.num_annotations])
    return Verdict(summary=summary, records=None if report.fatal else records_text(columns))


def records_text(columns: CocoColumns, cat2label: dict | None = None, img_prefix: str = 'img/') -> str:
    """Every image's record (mmdet's per-image dict) as the dataset would build it, as one JSON text."""
    if cat2label is None:
        cat2label = {cat['id']: label for label, cat in enumerate(columns.categories)}
    records = ImageRecords(columns, columns.labels(cat2label), RecordFormat(img_prefix,
                                                                            with_masks=columns.has_segmentation))
    return encode([records[i] for i in range(len(records))])


def encode(value: Any) -> str:
    """A canonical text of a json-like value, written without recursion (a category may hold a value nested 990
    levels deep): types show (1, 1.0 and True differ; NaN is nan), dicts keep their order."""
    parts, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Punct):
            parts.append(item)
        elif isinstance(item, (list, tuple, dict)):
            members = list(item.items()) if isinstance(item, dict) else list(item)
            parts.append('{' if isinstance(item, dict) else '[')
            stack.append(_Punct('}' if isinstance(item, dict) else ']'))
            for member in reversed(members):
                stack.extend((_Punct(','), *((member[1], _Punct(':'), member[0]) if isinstance(item, dict)
                                             else (member,))))
        else:
            parts.append(f'{type(item).__name__}:{item!r}')
    return ''.join(parts)


class _Punct(str):
    """Punctuation in :func:`encode`'s output."""


def guarded(read: Callable[[], Any]) -> tuple[Any, str | None]:
    """``read()``'s result, or None and ``Class: message`` for mmext's own errors; :class:`Foreign` for others."""
    try:
        return read(), None
    except MmextError as err:
        return None, f'{type(err).__name__}: {err}'
    except TimeoutError:  # the case's time limit (see time_limit)
        raise
    except Exception as err:  # noqa: BLE001  the finding itself
        raise Foreign(f'{type(err).__name__}: {str(err)[:300]}\n' + ''.join(traceback.format_exc(limit=-6))) from None


def read_both(path: str, img_dir: str | None, level: str, small_chunks: bool, limits: dict | None = None
              ) -> tuple[Verdict, Verdict, Any]:
    """The reference's and the fast reader's verdicts on one file, and the content a dataset built on it must
    hold (the reference's, or where only the fast reader reads it, past the json module's ``max_values``, its
    own; None when neither reads it)."""
    checked, error = guarded(lambda: load_checked(path, img_dir, level, limits=limits))
    ref = Verdict(error=error) if error else guarded(lambda: canonical(from_checked(checked)))[0]
    with chunks(small_chunks):
        columns, error = guarded(lambda: load_columns(path, img_dir, level, limits=limits))
    fast = Verdict(error=error) if error else guarded(lambda: canonical(columns))[0]
    return ref, fast, from_checked(checked) if checked is not None else None if fast.error else columns


def differences(ref: Verdict, fast: Verdict) -> str | None:
    """What differs between two verdicts, in a line; None when they agree.

    One difference is by design: the read limit ``max_values`` counts the values a reader builds as Python
    objects, which are all of them for the reference and those outside the annotations for the fast reader; so
    the fast reader may read what the reference refuses for it, or refuse it later or with a smaller count.
    """
    if ref.error and 'read limit max_values=' in ref.error:
        return None if fast.error is None or 'max_values' not in fast.error or 'outside the annotations' in \
            fast.error or fast.error == ref.error else f'max_values: reference {ref.error!r} / fast {fast.error!r}'
    for what in ('error', 'summary', 'records'):
        a, b = getattr(ref, what), getattr(fast, what)
        if a != b:
            k = next((i for i, (x, y) in enumerate(zip(a or '', b or '')) if x != y), min(len(a or ''), len(b or '')))
            return f'{what} differs at {k}: reference {(a or "None")[max(0, k - 80):k + 120]!r} / fast ' \
                   f'{(b or "None")[max(0, k - 80):k + 120]!r}'
    return None


def path_rule_differences(content: bytes, img_dir: str | None) -> str | None:
    """Whether the many-names form of the image path rule (what both readers call) finds, for the file's image
    names, what the one-name rule finds."""
    try:
        images = json.loads(content)['images']
        names = [img['file_name'] for img in images if isinstance(img, dict) and isinstance(img.get('file_name'), str)]
    except Exception:  # noqa: BLE001  not a file with images: nothing to compare
        return None
    many = outside_images(img_dir, names)
    one = [k for k, name in enumerate(names) if not image_path_inside(img_dir, name)]
    return None if many == one else f'outside_images {many} != image_path_inside {one} for {names}'


def dataset_differences(path: str, img_dir: str | None, level: str, policy: str, content: CocoColumns | None,
                        pipeline: bool, limits: dict | None = None, fast_error: str | None = None) -> str | None:
    """Build ``CustomCocoDataset`` on the file; what differs from the verdict on ``content`` (see
    :func:`read_both`) under ``policy`` (``fast_error``: what the fast reader raised, where there is none)."""
    from mmext.datasets.custom_coco import CustomCocoDataset
    expected_error = fast_error
    if content is not None:
        try:
            apply_policy(content, policy, logger='silent')
        except MmextError as err:
            expected_error = f'{type(err).__name__}: {err}'
    prefix = img_dir if img_dir is not None else ''
    ds, error = guarded(lambda: CustomCocoDataset(
        ann_file=path, filter_cfg=None, image_check=level, policy=policy, pipeline=PIPELINE if pipeline else [],
        serialize_data=False, broken_images='skip', max_broken_fraction=1.0, read_limits=limits,
        **(dict(data_prefix=dict(img=img_dir)) if img_dir is not None else {})))
    if img_dir is None:  # the dataset needs its image folder
        return None if error and "has no 'img' folder" in error else f'dataset without data_prefix: {error!r}'
    if content is None or expected_error is not None:
        return None if error == expected_error else f'dataset: {error!r}, reference: {expected_error!r}'
    if error is not None:  # past the rules: the class list, or no image at all (an error naming why)
        return None if 'has no images' in error or 'class' in error else f'dataset raised {error!r}'
    got = encode([ds.data_list[i] for i in range(len(ds))])
    want = records_text(content, ds.cat2label, prefix)
    if got != want:
        return f'dataset records differ from the reference: {got[:200]!r} / {want[:200]!r}'
    if pipeline:
        for i in range(len(ds)):
            guarded(lambda: ds[i])
    return None


@contextlib.contextmanager
def chunks(small: bool) -> Iterator[None]:
    """With ``small``, the fast reader decodes 7 annotations at a time and cuts pieces of about 600 bytes."""
    old = fast_reader.CHUNK, annotation_spans.PIECE_BYTES
    if small:
        fast_reader.CHUNK, annotation_spans.PIECE_BYTES = 7, 600
    try:
        yield
    finally:
        fast_reader.CHUNK, annotation_spans.PIECE_BYTES = old


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """A case that takes more than ``seconds`` of CPU time raises TimeoutError (a hang is a finding too; CPU
    time, so that a busy machine does not make one)."""
    def expire(signum, frame):
        raise TimeoutError(f'case took more than {seconds} s of CPU time')
    old = signal.signal(signal.SIGVTALRM, expire)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, old)
