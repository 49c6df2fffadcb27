"""Valid COCO files the fuzzer mutates, and the image folder they point into (symlinks included)."""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import numpy as np

from tests.datasets.coco_builder import HEIGHT, WIDTH, base_coco, square, write_image

# files of the image folder besides base_coco's img1..img4 (all WIDTH x HEIGHT)
EXTRA_FILES = ('sub/img5.png', 'ünï côde 日本.jpg')
# names a mutation may give an image: inside the folder (plain, through a symlink that stays inside) or outside
# it (climbing, absolute, a symlink to a file or a folder outside)
INSIDE_NAMES = ('img1.png', 'sub/img5.png', './img2.jpg', 'sub/../img3.png', 'link_in.png', 'ünï côde 日本.jpg',
                'img1.png/', 'missing.png', 'sub', '.', 'sub//img5.png')
OUTSIDE_NAMES = ('../outside/evil.png', '../../../../etc/passwd', '/etc/passwd', 'link_out.png',
                 'link_dir/evil.png', 'sub/../../outside/evil.png', '..', '//etc/passwd', 'link_dir')


def image_folder(root: Path) -> dict:
    """Write the image folder (``root/images``) with its symlinks, and a folder beside it (``root/outside``).

    Returns:
        ``img_dir`` (with a trailing separator, as configs write it) and ``outside``.
    """
    images, outside = root / 'images', root / 'outside'
    for i, img in enumerate(base_coco()['images']):
        write_image(images / img['file_name'], seed=i)
    for i, name in enumerate(EXTRA_FILES):
        write_image(images / name, seed=10 + i)
    write_image(outside / 'evil.png', seed=20)
    os.symlink('img1.png', images / 'link_in.png')
    os.symlink('../outside/evil.png', images / 'link_out.png')
    os.symlink(str(outside), images / 'link_dir')
    return dict(img_dir=str(images) + os.sep, outside=str(outside))


def _with_string_ids(d: dict) -> dict:
    for img in d['images']:
        img['id'] = f'im{img["id"]}'
    for ann in d['annotations']:
        ann['image_id'] = f'im{ann["image_id"]}'
    return d


def _with_rle_string(d: dict) -> dict:
    from pycocotools import mask as mask_utils
    mask = np.zeros((HEIGHT, WIDTH), np.uint8, order='F')
    mask[10:30, 39] = 1
    counts = mask_utils.encode(np.asfortranarray(mask))['counts'].decode()
    d['annotations'][-1]['segmentation'] = dict(counts=counts, size=[HEIGHT, WIDTH])
    return d


def _with_many(d: dict, n: int = 60) -> dict:
    for k in range(n):
        x, y = float(k % 30), float(k % 20)
        d['annotations'].append(dict(id=100 + k, image_id=1 + k % 4, category_id=(1, 2, 5)[k % 3],
                                     bbox=[x, y, 5.5, 4.0], area=22.0, iscrowd=0, segmentation=square(x, y, 5.5, 4.0)))
    return d


def _with_int_numbers(d: dict) -> dict:
    for ann in d['annotations']:
        ann['bbox'] = [int(v) for v in ann['bbox']]
        if isinstance(ann['segmentation'], list):
            ann['segmentation'] = [[int(v) for v in poly] for poly in ann['segmentation']]
        ann['area'] = int(ann['area'])
    return d


def _with_extras(d: dict) -> dict:
    """Keys a real export carries, and licenses listed after the annotations (an unusual layout)."""
    for img in d['images']:
        img.update(license=1, coco_url=f'http://x/{img["file_name"]}', date_captured='2017-01-01 00:00:00')
    for ann in d['annotations']:
        ann['attributes'] = {'occluded': False, 'track': [1, {'a': None}]}
    licenses = d.pop('licenses')
    d['licenses'] = licenses + [dict(id=1, name='cc', url='http://x')]
    d['images'].append(dict(id=5, file_name=EXTRA_FILES[0], width=WIDTH, height=HEIGHT))
    d['images'].append(dict(id=6, file_name=EXTRA_FILES[1], width=WIDTH, height=HEIGHT))
    return d


def _images_only(d: dict) -> dict:
    del d['annotations']
    return d


SEEDS = {
    'base': lambda d: d,
    'string_ids': _with_string_ids,
    'rle_string': _with_rle_string,
    'many': _with_many,
    'int_numbers': _with_int_numbers,
    'extras': _with_extras,
    'images_only': _images_only,
}


_TEXTS: dict[str, str] = {}


def seed(name: str) -> dict:
    """A fresh copy of the seed file ``name`` (see :data:`SEEDS`)."""
    if name not in _TEXTS:
        _TEXTS[name] = json.dumps(SEEDS[name](copy.deepcopy(base_coco())))
    return json.loads(_TEXTS[name])  # (faster than a deepcopy)
