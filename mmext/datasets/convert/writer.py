"""Building a COCO file from another format's objects, with mmext's annotation rules applied as it goes, and writing
it once it has passed the checks of ``tools/check_dataset.py``."""
from __future__ import annotations

import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Sequence

from mmext.datasets.checks.annotation_rules import check_annotation
from mmext.datasets.checks.file_rules import CheckedCoco, check_coco
from mmext.datasets.checks.problems import KINDS, Report
from mmext.datasets.convert.report import ConvertReport
from mmext.datasets.convert.sizes import image_size, relative_name
from mmext.errors import DatasetError


@dataclass
class Converted:
    """What a converter produced: the COCO content, the folder its file names are relative to, and the report."""
    content: dict
    img_dir: str
    report: ConvertReport


def norm_name(name: str) -> str:
    """A class name as names are matched: case, surrounding spaces, runs of spaces, ``_`` and ``-`` ignored."""
    return ' '.join(name.replace('_', ' ').replace('-', ' ').split()).casefold()


class CocoWriter:
    """Collects images, categories and objects; every object goes through the annotation rules on the way in.

    Args:
        report: Where skips and changes are recorded.
        classes: A declared class list (YOLO's names, CVAT's labels, ``--classes``): category ids are 1, 2, ...
            in its order, then the names found outside it (sorted; none when ``closed``).
        closed: With ``classes``, an object of a class outside the list is skipped (instead of added).
    """

    def __init__(self, report: ConvertReport, classes: Sequence[str] | None = None, closed: bool = False) -> None:
        self.report = report
        self.closed = closed and classes is not None
        self._names: list[str] = []
        self._ids: dict[str, int] = {}
        self._declared = len(classes or ())
        self.images: list[dict] = []
        self.annotations: list[dict] = []
        self._by_file: dict[str, str] = {}  # file_name -> the source that annotated it
        for name in classes or ():
            self._declare(name)

    def _declare(self, name: str) -> int:
        self._names.append(name)
        self._ids[name] = len(self._names)
        return len(self._names)

    def category(self, name: str, source: str, where: str) -> int | None:
        """The (provisional) category id of a class name; None, recorded as skipped, when the list is closed."""
        name = name.strip()
        if name in self._ids:
            return self._ids[name]
        if self.closed:
            self.report.skip('annotation', source, where, f"class '{name}' is not in the class list "
                             f'{self._names[:10]}; skipped (add it to the list to keep it)', 'class not in the list')
            return None
        return self._declare(name)

    def image(self, path: str, img_dir: str, source: str, declared: tuple | None = None, objects: int = 0
              ) -> dict | None:
        """Add an image, its size read from the file's header.

        Args:
            path: The image file.
            img_dir: The image folder: the json's ``file_name`` is ``path`` relative to it.
            source: The label file that names it (for messages).
            declared: The size the label file states, if any: a different size in the file is noted.
            objects: How many objects the label file holds for it (said when the image must be skipped).

        Returns:
            The image entry, or None when it was skipped (missing, unreadable, outside the image folder, already
            annotated by another label file).
        """
        with_objects = f'; its {objects} object{"s" if objects != 1 else ""} skipped with it' if objects else ''
        file_name = relative_name(path, img_dir)
        if file_name is None:
            self.report.skip('image', source, '', f'{path} is outside the image folder {img_dir} (pass --img-dir '
                             f'a folder that holds every image){with_objects}', 'image outside the image folder')
            return None
        if file_name in self._by_file:
            self.report.skip('image', source, '', f'{file_name} is already annotated by {self._by_file[file_name]}'
                             f'{with_objects}', 'image annotated twice')
            return None
        size, why = image_size(path)
        if size is None:
            self.report.skip('image', source, '', f'{why}{with_objects}', 'image missing or unreadable')
            return None
        if declared and tuple(int(round(float(v))) for v in declared) != size:
            self.report.note(source, '', f'the label file says {declared[0]}x{declared[1]} but {path} is '
                             f'{size[0]}x{size[1]} (EXIF rotation applied): the file\'s size is used',
                             'size differs from the label file')
        img = dict(id=len(self.images) + 1, file_name=file_name, width=size[0], height=size[1])
        self.images.append(img)
        self._by_file[file_name] = source
        return img

    def add(self, img: dict, category_id: int, bbox: Sequence[float], source: str, where: str,
            segmentation: list | None = None, iscrowd: int = 0) -> bool:
        """Add one object of ``img`` after the annotation rules (a box outside the image is skipped, one that
        sticks out is clipped, a broken polygon is dropped with the box kept); every outcome is recorded.

        Returns:
            Whether the object was kept.
        """
        ann = dict(id=len(self.annotations) + 1, image_id=img['id'], category_id=category_id,
                   bbox=[float(v) for v in bbox], area=float(bbox[2]) * float(bbox[3]), iscrowd=iscrowd)
        if segmentation:
            ann['segmentation'] = segmentation
        found = Report(source)
        kept = check_annotation(ann, img, found)
        for problem in found.problems:
            kind = KINDS[problem.kind]
            reason = problem.kind.replace('_', ' ')
            if kind.severity == 'error':
                self.report.skip('annotation', source, where, f'{problem.detail}; skipped', reason)
            elif kind.severity == 'warning':
                self.report.note(source, where, f'{problem.detail} ({kind.action})', reason)
        if kept:
            ann['area'] = float(ann['bbox'][2]) * float(ann['bbox'][3])
            self.annotations.append(ann)
        return kept

    def to_coco(self, description: str) -> dict:
        """The COCO content: categories 1..K, the declared ones first, in their order."""
        names = self._names[:self._declared] + sorted(self._names[self._declared:])
        new_id = {self._ids[n]: i + 1 for i, n in enumerate(names)}
        anns = [dict(a, category_id=new_id[a['category_id']]) for a in self.annotations]
        return dict(info=dict(description=description), images=self.images, annotations=anns,
                    categories=[dict(id=i + 1, name=n) for i, n in enumerate(names)])


def write_checked(content: dict, out: str, img_dir: str | None, report: ConvertReport, hint: str = ''
                  ) -> CheckedCoco:
    """Pass the converted content through the annotation checks and write what they keep.

    Args:
        content: COCO content (from :meth:`CocoWriter.to_coco` or a merge).
        out: The json to write.
        img_dir: The folder the file names are relative to (sizes missing from the json are read there).
        report: The conversion's report (for the error message).
        hint: Appended to the error when nothing was converted (e.g. which format the source looks like).

    Returns:
        The checked content; its report says what the checks found.

    Raises:
        DatasetError: Nothing was converted (no image or no annotation): never a silently empty file.
    """
    images, anns = len(content['images']), len(content['annotations'])
    if not images or not anns:
        raise DatasetError(f'{report.source}: nothing written to {out}: {images} images and {anns} annotations '
                           f'converted from {report.files} files ({report.summary()}).{hint}')
    checked = check_coco(content, out, img_dir, 'none')
    checked.report.raise_if_fatal()
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    tmp = f'{out}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(checked.to_coco(), f)
    os.replace(tmp, out)  # a crash mid-write never leaves half a json under the final name
    return checked
