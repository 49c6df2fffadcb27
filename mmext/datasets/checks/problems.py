"""What the annotation rules can find, and the report that groups the findings.

Every rule in :mod:`mmext.datasets.checks.file_rules` records a :class:`Problem` of one of the kinds in :data:`KINDS`. A kind
says how bad it is (``fatal``: nothing can be loaded; ``error``: the image or annotation is dropped; ``warning``:
it is corrected or kept; ``info``: worth knowing, nothing wrong), what ``policy='warn'`` and ``--fix`` do about it,
and what a person should do. The dataset (at load) and ``tools/check_dataset.py`` print the same
:class:`Report`, so the two can never disagree.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

from mmext.datasets.checks.limits import ReadLimits
from mmext.errors import DatasetError


class Kind(NamedTuple):
    """How one kind of problem is judged and handled."""
    severity: str  # 'fatal' | 'error' | 'warning' | 'info'
    action: str  # what policy='warn' and --fix do
    fix: str  # what a person should do


_DROP_IMG = 'image dropped'
_DROP_ANN = 'annotation dropped'

KINDS: dict[str, Kind] = {
    # the file as a whole
    'invalid_json': Kind('fatal', 'nothing loaded', 'repair or re-export the file (it is not valid JSON)'),
    'not_coco': Kind('fatal', 'nothing loaded', 'export in COCO format: an object with images, annotations and '
                                                'categories lists'),
    'missing_section': Kind('fatal', 'nothing loaded', 'add the missing list (images and categories are needed)'),
    'no_categories': Kind('fatal', 'nothing loaded', 'add the categories (id and name) the annotations use'),
    'duplicate_category_id': Kind('fatal', 'nothing loaded', 'give every category its own id'),
    'duplicate_category_name': Kind('fatal', 'nothing loaded', 'give every category its own name, or merge them '
                                                               '(metrics match classes by name)'),
    'empty_dataset': Kind('fatal', 'nothing loaded', 'fix the problems listed with it; no usable image is left'),
    # entries that are dropped
    'bad_category': Kind('error', 'category and its annotations dropped', 'give the category an integer id and a '
                                                                          'name'),
    'bad_image': Kind('error', _DROP_IMG, 'give the image an integer id and a file_name'),
    'duplicate_image_id': Kind('error', 'duplicates merged when identical, else all dropped',
                               'give every image its own id'),
    'bad_annotation': Kind('error', _DROP_ANN, 'every annotation needs image_id, category_id and bbox'),
    'unknown_image': Kind('error', _DROP_ANN, 'point image_id at an image in the images list, or delete it'),
    'unknown_category': Kind('error', _DROP_ANN, 'point category_id at a category, or add the category'),
    'bad_bbox': Kind('error', _DROP_ANN, 'bbox must be a list of 4 numbers [x, y, width, height]'),
    'nonfinite_bbox': Kind('error', _DROP_ANN, 'replace NaN/inf coordinates with real ones'),
    'empty_bbox': Kind('error', _DROP_ANN, 'width and height must be > 0 (bbox is [x, y, width, height])'),
    'bbox_outside': Kind('error', _DROP_ANN, 'the box lies entirely outside its image: fix it or the image size'),
    'size_unreadable': Kind('error', _DROP_IMG, 'set width/height in the json, or fix the image file'),
    'image_missing': Kind('error', _DROP_IMG, 'put the file in the image folder or fix file_name / the img path'),
    'image_empty': Kind('error', _DROP_IMG, 'the file has zero bytes: copy it again'),
    'image_truncated': Kind('error', _DROP_IMG, 'the file is cut short: copy it again'),
    'image_undecodable': Kind('error', _DROP_IMG, 'the file is not an image OpenCV can decode: replace it'),
    'image_path_outside': Kind('error', _DROP_IMG, 'file_name must name a file inside the image folder '
                                                   '(data_prefix.img): no absolute path, no ../ out of it, no '
                                                   'symlink to outside it; move the file into the folder'),
    # entries that are corrected or kept
    'bbox_partly_outside': Kind('warning', 'box clipped to the image', 'clip the box to the image'),
    'bad_area': Kind('warning', 'area set to width*height', 'set area to a positive number'),
    'bad_iscrowd': Kind('warning', 'iscrowd set to 0 or 1 by truth value', 'iscrowd must be 0 or 1'),
    'bad_annotation_id': Kind('warning', 'annotation given a new id', 'give every annotation its own integer id'),
    'bad_segmentation': Kind('warning', 'segmentation removed (box kept)', 'polygons need >= 3 points as '
                                                                          '[x1, y1, x2, y2, ...]; RLE needs counts '
                                                                          'and size [height, width]'),
    'size_mismatch': Kind('warning', 'size of the file used', 'set width/height to the image file\'s size (EXIF '
                                                              'rotation included)'),
    'image_wrong_extension': Kind('warning', 'kept', 'rename the file so its extension matches its format'),
    'unused_category': Kind('warning', 'kept (a class with no examples)', 'add annotations for it or delete it'),
    # worth knowing, nothing wrong
    'categories_unsorted': Kind('info', 'categories sorted by id', 'nothing with MMExtRunner (it gives CocoMetric '
                                                                   'the label -> id table); plain mmdet matches '
                                                                   'labels in list order'),
    'images_only': Kind('info', 'loaded without annotations', 'nothing for testing; training needs annotations'),
    'placeholder_category': Kind('info', 'category dropped', 'nothing: a label tool\'s parent category'),
    'size_from_header': Kind('info', 'size read from the image file', 'nothing (or write width/height)'),
    'image_unannotated': Kind('info', 'kept (filtered at training by filter_cfg.filter_empty_gt)', 'nothing'),
    'crowd': Kind('info', 'kept as an ignore region', 'nothing'),
}
SEVERITIES = ('fatal', 'error', 'warning', 'info')


@dataclass(slots=True)  # (a file may have millions: a third less memory each)
class Problem:
    """One finding: its kind, where (image / annotation / category id) and what exactly."""
    kind: str
    detail: str
    image_id: Any = None
    ann_id: Any = None
    category_id: Any = None
    file_name: str | None = None
    dropped_with: int = 0  # annotations dropped together with this image / category

    @property
    def severity(self) -> str:
        return KINDS[self.kind].severity

    def where(self) -> str:
        """'annotation id 7 (image id 3)' and the like: the ids a person searches the json for."""
        parts = []
        if self.ann_id is not None:
            parts.append(f'annotation id {self.ann_id!r}')
        if self.image_id is not None:
            name = f' ({self.file_name})' if self.file_name else ''
            parts.append(f'image id {self.image_id!r}{name}')
        if self.category_id is not None:
            parts.append(f'category id {self.category_id!r}')
        return ', '.join(parts)

    def first_id(self) -> str:
        if self.ann_id is not None:
            return f'ann {self.ann_id}'
        if self.image_id is not None:
            return f'img {self.image_id}'
        if self.category_id is not None:
            return f'cat {self.category_id}'
        return '-'


@dataclass
class Report:
    """All problems found in one annotation file, grouped by kind for printing."""
    source: str
    problems: list[Problem] = field(default_factory=list)
    num_images: int = 0
    num_annotations: int = 0
    limits: ReadLimits = field(default_factory=ReadLimits, repr=False)

    def add(self, kind: str, detail: str, **where: Any) -> Problem:
        """Record a problem.

        Raises:
            DatasetError: More problems than the read limit ``max_problems``.
        """
        problem = Problem(kind, detail, **where)
        self.problems.append(problem)
        if len(self.problems) > self.limits.max_problems > 0:
            kinds = ', '.join(f'{n} {k}' for k, n in Counter(p.kind for p in self.problems).most_common(4))
            raise self.limits.exceeded(self.source, f'more than {self.limits.max_problems:,} problems were found '
                                                    f'(the most: {kinds})', 'max_problems')
        return problem

    def by_kind(self) -> dict[str, list[Problem]]:
        groups: dict[str, list[Problem]] = defaultdict(list)
        for p in self.problems:
            groups[p.kind].append(p)
        return dict(sorted(groups.items(), key=lambda kv: (SEVERITIES.index(KINDS[kv[0]].severity), kv[0])))

    def count(self, severity: str) -> int:
        return sum(p.severity == severity for p in self.problems)

    @property
    def clean(self) -> bool:
        """True when nothing but ``info`` was found (``tools/check_dataset.py`` exits 0)."""
        return all(p.severity == 'info' for p in self.problems)

    @property
    def fatal(self) -> Problem | None:
        return next((p for p in self.problems if p.severity == 'fatal'), None)

    def error_for(self, problem: Problem, policy_hint: bool = True) -> DatasetError:
        """The error that ``policy='strict'`` raises for ``problem``: file, ids, what is wrong, what to do."""
        kind = KINDS[problem.kind]
        where = f' {problem.where()}:' if problem.where() else ''
        hint = ''
        if policy_hint and kind.severity != 'fatal':
            hint = (f" Or load with policy='warn' ({kind.action}). "
                    f'See every problem: python tools/check_dataset.py {self.source}')
        return DatasetError(f'{self.source}:{where} {problem.detail} [{problem.kind}]. Fix: {kind.fix}.{hint}')

    def raise_if_fatal(self) -> None:
        """Raise for a problem no policy can get past (the file is not usable at all)."""
        fatal = self.fatal
        if fatal is not None:
            raise self.error_for(fatal)

    def format_table(self, max_ids: int = 5, include_info: bool = True) -> str:
        """One line per kind: severity, count, what was done, the first ids."""
        rows = [(kind, KINDS[kind], items) for kind, items in self.by_kind().items()
                if include_info or KINDS[kind].severity != 'info']
        if not rows:
            return '  (no problems)'
        width = max(len(kind) for kind, _, _ in rows)
        lines = [f'  {"kind":<{width}}  {"severity":<8} {"count":>6}  {"action":<36}  first ids']
        for kind, spec, items in rows:
            ids = ', '.join(p.first_id() for p in items[:max_ids]) + (', ...' if len(items) > max_ids else '')
            lines.append(f'  {kind:<{width}}  {spec.severity:<8} {len(items):>6}  {spec.action[:36]:<36}  {ids}')
        return '\n'.join(lines)

    def format_text(self, max_examples: int = 3) -> str:
        """The full report of ``tools/check_dataset.py``: a table, then the first examples of each kind."""
        counts = Counter(p.severity for p in self.problems)
        head = (f'{self.source}: {self.num_images} images, {self.num_annotations} annotations; '
                + ', '.join(f'{counts.get(s, 0)} {s}' for s in SEVERITIES))
        lines = [head, self.format_table()]
        for kind, items in self.by_kind().items():
            lines.append(f'{kind} ({len(items)}): {KINDS[kind].fix}')
            for p in items[:max_examples]:
                lines.append(f'    {p.where() + ": " if p.where() else ""}{p.detail}')
        lines.append('clean' if self.clean else 'NOT clean: fix the problems above or write a corrected copy with '
                                                '--fix OUT.json')
        return '\n'.join(lines)

    def to_dict(self, max_ids: int = 20) -> dict:
        """The report as plain data (``--format json``)."""
        return dict(
            file=self.source, clean=self.clean, images=self.num_images, annotations=self.num_annotations,
            counts={s: self.count(s) for s in SEVERITIES},
            kinds={kind: dict(severity=KINDS[kind].severity, count=len(items), action=KINDS[kind].action,
                              fix=KINDS[kind].fix,
                              first=[dict(image_id=p.image_id, ann_id=p.ann_id, category_id=p.category_id,
                                          detail=p.detail) for p in items[:max_ids]])
                   for kind, items in self.by_kind().items()})


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for quoting a bad value in a message.

    Written out only as far as needed, without recursion: a value from a json file may be nested hundreds of
    levels deep or hold millions of numbers.
    """
    parts: list[str] = []
    size, stack = 0, [value]
    while stack and size <= limit:
        item = stack.pop()
        if type(item) is _Text:
            text = item.text
        elif isinstance(item, (list, tuple, dict)):
            close = ']' if isinstance(item, list) else ')' if isinstance(item, tuple) else '}'
            pairs = list(islice(item.items(), limit)) if isinstance(item, dict) else None
            members = list(item[:limit]) if pairs is None else pairs
            stack.append(_Text(',)' if type(item) is tuple and len(item) == 1 else close))
            for k in range(len(members) - 1, -1, -1):
                if pairs is None:
                    stack.append(members[k])
                else:
                    stack.extend((members[k][1], _Text(': '), members[k][0]))
                if k:
                    stack.append(_Text(', '))
            text = '[' if isinstance(item, list) else '(' if isinstance(item, tuple) else '{'
        elif isinstance(item, str) and len(item) > limit:
            text = repr(item[:limit + 1])
        else:
            text = repr(item)
        parts.append(text)
        size += len(text)
    text = ''.join(parts)
    return text if len(text) <= limit and not stack else text[:limit - 3] + '...'


class _Text(NamedTuple):
    """Text :func:`short_repr` writes as it is (punctuation)."""
    text: str
