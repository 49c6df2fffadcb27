"""Merging several COCO files into one: categories matched by name, ids renumbered, file names kept pointing at
the right files."""
from __future__ import annotations

import os.path as osp
from dataclasses import dataclass, field

from mmext.datasets.checks.file_rules import CheckedCoco
from mmext.datasets.convert.report import ConvertReport
from mmext.datasets.convert.sizes import relative_name
from mmext.datasets.convert.writer import norm_name, write_checked
from mmext.datasets.loading.annotation_file import load_checked
from mmext.errors import DatasetError


@dataclass
class MergedCategory:
    """One category of the merged file and where its annotations came from."""
    id: int
    name: str
    counts: list[int]  # annotations per input
    sources: list[str] = field(default_factory=list)  # "'car' (a.json, --map)" for every other spelling taken


@dataclass
class MergeResult:
    """A finished merge: per input its checked content, the merged categories, and the written file's check."""
    inputs: list[CheckedCoco]
    categories: list[MergedCategory]
    checked: CheckedCoco
    out: str
    root: str | None
    shared_images: int = 0


def parse_map(entries: list[str] | None) -> dict[str, str]:
    """``['car=vehicle', ...]`` -> ``{normalised old name: new name}``.

    Raises:
        DatasetError: An entry without ``=``, an empty side, or one name given two different new names.
    """
    mapping: dict[str, str] = {}
    given: dict[str, str] = {}
    for entry in entries or []:
        old, sep, new = entry.partition('=')
        if not sep or not old.strip() or not new.strip():
            raise DatasetError(f"--map {entry!r}: write OLD=NEW, e.g. --map car=vehicle 'Traffic Light=light'")
        key = norm_name(old)
        if key in mapping and norm_name(mapping[key]) != norm_name(new):
            raise DatasetError(f"--map {given[key]!r} and --map {entry!r} give '{old.strip()}' two different "
                               'names; keep one')
        mapping[key], given[key] = new.strip(), entry
    return mapping


def merge_coco(paths: list[str], out: str, mapping: list[str] | None = None, img_dirs: list[str] | None = None,
               root: str | None = None, same_images: bool = False) -> MergeResult:
    """Merge COCO files into ``out``.

    Each input first goes through the annotation checks (what they drop is not merged, and said). Categories are
    matched by name ignoring case, spaces, ``_`` and ``-``, after the ``--map`` renames; the merged ids are 1..K
    in the order first seen. Image and annotation ids are renumbered 1..N in input order, so no two collide.

    Args:
        paths: The COCO files, in order.
        out: The merged file to write.
        mapping: ``OLD=NEW`` renames applied to every input's category names before matching (several old names
            may get one new name: their classes are merged on purpose).
        img_dirs: One image folder per input (its file names are relative to it). The merged file names are
            then relative to ``root``. Without them, every input's file names are kept as they are (one shared
            image folder).
        root: The folder the merged file names are relative to; defaults to the folder that holds every
            ``img_dirs`` entry.
        same_images: Inputs that name the same image file annotate the same picture: their annotations go onto one
            image. Without it, two inputs naming one file is an error (usually a missing ``img_dirs``).

    Returns:
        The result (what to print).

    Raises:
        DatasetError: An input cannot be used, a ``--map`` name matches no category, one input's categories would
            be folded together without ``--map`` saying so, or two inputs name the same file.
    """
    if len(paths) < 2:
        raise DatasetError('give at least two COCO files to merge')
    if img_dirs is not None and len(img_dirs) != len(paths):
        raise DatasetError(f'--img-dir: give one image folder per input ({len(paths)}), got {len(img_dirs)}')
    renames = parse_map(mapping)
    inputs = [_load(p) for p in paths]
    _check_map_used(renames, paths, inputs)
    categories: list[MergedCategory] = []
    by_key: dict[str, MergedCategory] = {}
    cat_maps = [_match_categories(p, c, renames, categories, by_key, len(paths), i)
                for i, (p, c) in enumerate(zip(paths, inputs))]
    if img_dirs is not None:
        root = root or osp.commonpath([osp.abspath(d) for d in img_dirs])
    images, anns, shared = _merge_entries(paths, inputs, cat_maps, img_dirs, root, same_images, categories)
    content = dict(info=dict(description=f'merged by mmext from {", ".join(paths)}'), images=images,
                   annotations=anns, categories=[dict(id=c.id, name=c.name) for c in categories])
    report = ConvertReport(' + '.join(paths), files=len(paths))
    checked = write_checked(content, out, root, report)
    return MergeResult(inputs, categories, checked, out, root, shared)


def _load(path: str) -> CheckedCoco:
    checked = load_checked(path)
    checked.report.raise_if_fatal()
    return checked


def _check_map_used(renames: dict[str, str], paths: list[str], inputs: list[CheckedCoco]) -> None:
    found = {norm_name(c['name']) for checked in inputs for c in checked.categories}
    unused = [k for k in renames if k not in found]
    if unused:
        names = sorted({c['name'] for checked in inputs for c in checked.categories})
        raise DatasetError(f"--map: no input has a category named {unused[0]!r} (inputs {', '.join(paths)} have "
                           f'{names[:30]}); fix the name')


def _match_categories(path: str, checked: CheckedCoco, renames: dict[str, str], categories: list[MergedCategory],
                      by_key: dict[str, MergedCategory], num_inputs: int, index: int) -> dict[int, int]:
    """Input category id -> merged id; new names become new merged categories."""
    own: dict[str, tuple[dict, bool]] = {}
    out: dict[int, int] = {}
    for cat in checked.categories:
        mapped = renames.get(norm_name(cat['name']))
        name = mapped if mapped is not None else cat['name']
        key = norm_name(name)
        if key in own and mapped is None and not own[key][1]:  # folded by spelling alone, not by --map
            first = own[key][0]
            raise DatasetError(f"{path}: categories id {first['id']} '{first['name']}' and id {cat['id']} "
                               f"'{cat['name']}' have one name once case and spaces are ignored, so merging would "
                               f"fold two classes into one. Rename one in {path}, or merge them on purpose with "
                               f"--map '{cat['name']}={first['name']}'")
        own.setdefault(key, (cat, mapped is not None))
        merged = by_key.get(key)
        if merged is None:
            merged = MergedCategory(len(categories) + 1, name, [0] * num_inputs)
            categories.append(merged)
            by_key[key] = merged
        if cat['name'] != merged.name:
            merged.sources.append(f"'{cat['name']}' ({osp.basename(path)}{', --map' if mapped else ''})")
        merged.counts[index] += checked.ann_counts.get(cat['id'], 0)
        out[cat['id']] = merged.id
    return out


def _merge_entries(paths, inputs, cat_maps, img_dirs, root, same_images, categories):
    images: list[dict] = []
    anns: list[dict] = []
    by_file: dict[str, tuple[dict, int, dict]] = {}  # merged file name -> (merged image, input index, input image)
    shared = 0
    for i, (path, checked) in enumerate(zip(paths, inputs)):
        image_ids: dict = {}
        for img in checked.images:
            name = img['file_name']
            if img_dirs is not None:
                name = relative_name(osp.join(img_dirs[i], name), root)
                if name is None:
                    raise DatasetError(f"{path}: image id {img['id']} ({img['file_name']} in {img_dirs[i]}) lies "
                                       f'outside --root {root}; give a root that holds every image folder')
            seen = by_file.get(name)
            if seen is not None and seen[1] != i:
                if not same_images:
                    raise DatasetError(
                        f"{paths[seen[1]]} image id {seen[2]['id']} and {path} image id {img['id']} are both "
                        f"'{name}': give each input its image folder (--img-dir DIR_1 DIR_2 ...) when they are "
                        'different pictures, or pass --same-images when they annotate the same ones')
                if (seen[0]['width'], seen[0]['height']) != (img['width'], img['height']):
                    raise DatasetError(f"{paths[seen[1]]} and {path} give '{name}' different sizes "
                                       f"({seen[0]['width']}x{seen[0]['height']} and {img['width']}x"
                                       f"{img['height']}): they cannot be the same picture")
                image_ids[img['id']] = seen[0]['id']
                shared += 1
                continue
            merged = dict(img, id=len(images) + 1, file_name=name)
            images.append(merged)
            by_file.setdefault(name, (merged, i, img))
            image_ids[img['id']] = merged['id']
        for ann in checked.annotations:
            anns.append(dict(ann, id=len(anns) + 1, image_id=image_ids[ann['image_id']],
                             category_id=cat_maps[i][ann['category_id']]))
    return images, anns, shared


def format_merge(result: MergeResult, paths: list[str]) -> str:
    """What ``tools/merge_datasets.py`` prints: each input, the category table, the written file."""
    lines = []
    for path, checked in zip(paths, result.inputs):
        report = checked.report
        state = 'clean' if report.clean else 'checks dropped or corrected:\n' + report.format_table(include_info=False)
        lines.append(f'{path}: {len(checked.images)} images, {len(checked.annotations)} annotations, '
                     f'{len(checked.categories)} categories ({state})')
    short = [osp.basename(p) for p in paths]
    width = max([4] + [len(c.name) for c in result.categories])
    cols = [max(len(s), 6) for s in short]
    lines.append(f'  {"id":>3}  {"name":<{width}}  ' + '  '.join(f'{s:>{w}}' for s, w in zip(short, cols))
                 + '   total  also matched')
    for cat in result.categories:
        lines.append(f'  {cat.id:>3}  {cat.name:<{width}}  ' + '  '.join(f'{n:>{w}}' for n, w in zip(cat.counts, cols))
                     + f'  {sum(cat.counts):>6}  {", ".join(cat.sources)}'.rstrip())
    data = result.checked.to_coco()
    if result.shared_images:
        lines.append(f'{result.shared_images} images named by more than one input: their annotations are on one '
                     'image (--same-images)')
    where = (f'relative to {result.root.rstrip("/")}/ (data_prefix=dict(img=\'{result.root.rstrip("/")}/\'))'
             if result.root else 'kept as they were (one image folder for every input)')
    lines.append(f'wrote {result.out}: {len(data["images"])} images, {len(data["annotations"])} annotations, '
                 f'{len(data["categories"])} categories; file names {where}')
    return '\n'.join(lines)
