"""Other labelling formats into COCO (YOLO, Pascal VOC, LabelMe, CVAT for images), and merging COCO files."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from mmext.datasets.checks.file_rules import CheckedCoco
from mmext.datasets.convert.cvat import convert_cvat
from mmext.datasets.convert.labelme import convert_labelme
from mmext.datasets.convert.sniff import format_hint
from mmext.datasets.convert.voc import convert_voc
from mmext.datasets.convert.writer import Converted, write_checked
from mmext.datasets.convert.yolo import convert_yolo
from mmext.errors import DatasetError

FORMATS: dict[str, Callable[..., Converted]] = {
    'yolo': convert_yolo, 'voc': convert_voc, 'labelme': convert_labelme, 'cvat-xml': convert_cvat}


@dataclass
class ConvertResult:
    """A finished conversion: what was converted (and skipped), and what the annotation checks then found."""
    converted: Converted
    checked: CheckedCoco
    out: str


def convert_dataset(fmt: str, src: str, out: str, img_dir: str | None = None, classes: str | None = None
                    ) -> ConvertResult:
    """Convert ``src`` from ``fmt`` into the COCO file ``out``, checked as ``tools/check_dataset.py`` checks.

    Args:
        fmt: One of :data:`FORMATS`.
        src: The dataset (a folder; for ``cvat-xml`` the xml file or its folder).
        out: The COCO json to write.
        img_dir: The folder the written file names are relative to (each format has its default).
        classes: A class-list file (YOLO: instead of ``data.yaml``; the others: fixes the class order).

    Returns:
        The result, with the conversion's report and the checks' report.

    Raises:
        DatasetError: Unknown format, a source that is not that format, or nothing converted.
    """
    if fmt not in FORMATS:
        raise DatasetError(f'--from {fmt}: not a format mmext converts; use one of {", ".join(FORMATS)}')
    converted = FORMATS[fmt](src, img_dir, classes)
    checked = write_checked(converted.content, out, converted.img_dir, converted.report,
                            hint=format_hint(src, fmt))
    return ConvertResult(converted, checked, out)


def format_result(result: ConvertResult) -> str:
    """What ``tools/convert_dataset.py`` prints: every skip and change, the counts, the checks, the file."""
    report, checked = result.converted.report, result.checked
    data = checked.to_coco()
    polygons = sum(bool(a.get('segmentation')) for a in data['annotations'])
    lines = report.format_lines()
    lines.append(f'converted {report.files} label files: {len(data["images"])} images, '
                 f'{len(data["annotations"])} annotations ({polygons} with polygons), '
                 f'{len(data["categories"])} categories')
    lines.append(report.summary())
    check = checked.report
    lines.append('checks (as tools/check_dataset.py): ' + ('clean' if check.clean else 'NOT clean, the checks '
                 'dropped or corrected what is listed:\n' + check.format_table(include_info=False)))
    img_dir = result.converted.img_dir.rstrip('/') + '/'
    lines.append(f'wrote {result.out}; file names are relative to {img_dir} (data_prefix=dict(img=\'{img_dir}\'))')
    return '\n'.join(lines)
