"""Small hand-made COCO files and images for the dataset tests (and the seed of the fuzz corpus)."""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT = 40, 30


def write_image(path: Path, width: int = WIDTH, height: int = HEIGHT, seed: int = 0) -> Path:
    """A small noisy image (JPEG or PNG by extension)."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)
    return path


def square(x: float, y: float, w: float, h: float) -> list[list[float]]:
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


def base_coco() -> dict:
    """4 images (one without annotations), 3 categories with ids 1, 2, 5 (a gap), 7 annotations incl. a crowd
    RLE, categories listed in id order."""
    images = [dict(id=i, file_name=f'img{i}.{"png" if i % 2 else "jpg"}', width=WIDTH, height=HEIGHT)
              for i in (1, 2, 3, 4)]
    cats = [dict(id=1, name='cat', supercategory='animal'), dict(id=2, name='dog', supercategory='animal'),
            dict(id=5, name='fox', supercategory='animal')]
    boxes = [(1, 1, 1, 5.0, 6.0, 10.0, 8.0), (2, 1, 2, 20.0, 4.0, 12.0, 15.0), (3, 2, 5, 2.0, 2.0, 30.0, 20.0),
             (4, 2, 1, 25.0, 10.0, 8.0, 8.0), (5, 3, 2, 0.0, 0.0, 40.0, 30.0), (6, 3, 5, 10.0, 10.0, 5.0, 5.0)]
    anns = [dict(id=a, image_id=i, category_id=c, bbox=[x, y, w, h], area=w * h, iscrowd=0,
                 segmentation=square(x, y, w, h)) for a, i, c, x, y, w, h in boxes]
    counts = [WIDTH * HEIGHT - 20, 20]  # column-major RLE: zeros, then the last column's lower 20 pixels
    anns.append(dict(id=7, image_id=1, category_id=1, bbox=[39.0, 10.0, 1.0, 20.0], area=20.0, iscrowd=1,
                     segmentation=dict(counts=counts, size=[HEIGHT, WIDTH])))
    return dict(info=dict(description='mmext test'), licenses=[], images=images, annotations=anns, categories=cats)


def many_annotations(n: int = 40) -> dict:
    """base_coco with n more annotations on image 2 (so that chunks of a few annotations see several)."""
    data = base_coco()
    for k in range(n):
        x, y = float(k % 30), float(k % 20)
        data['annotations'].append(dict(id=100 + k, image_id=2, category_id=(1, 2, 5)[k % 3], bbox=[x, y, 5.5, 4.0],
                                        area=22.0, iscrowd=0, segmentation=square(x, y, 5.5, 4.0)))
    return data


def annotation(data: dict, ann_id: int) -> dict:
    """The annotation of ``data`` with id ``ann_id`` (to change it in place)."""
    return next(a for a in data['annotations'] if a['id'] == ann_id)


def write_images_for(data: dict, img_dir: Path) -> None:
    for i, img in enumerate(data['images']):
        write_image(img_dir / img['file_name'], seed=i)  # the files are the truth, whatever the json says


def write_coco(tmp: Path, data: dict | None = None, images: bool = True, name: str = 'ann.json') -> dict:
    """Write ``data`` (default: :func:`base_coco`) and its images under ``tmp``; return the paths."""
    data = copy.deepcopy(base_coco() if data is None else data)
    img_dir = tmp / 'images'
    img_dir.mkdir(parents=True, exist_ok=True)
    if images:
        write_images_for(data, img_dir)
    ann = tmp / name
    ann.write_text(json.dumps(data))
    return dict(ann=str(ann), img_dir=str(img_dir) + os.sep, data=data)


def load_tool(name: str):
    """Import ``tools/<name>.py`` as a module (tools are scripts, not a package)."""
    import importlib.util
    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location(f'tool_{name}', root / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
