"""A generated COCO dataset, and the test's own writers of it in each labelling format (as the tools export it)."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.datasets.coco_builder import write_image

CLASSES = ('cat', 'dog', 'traffic light')
# (file_name, width, height, [(class, polygon or None, bbox)]): integer pixel boxes, as label tools draw them;
# one image in a subfolder, one PNG, one without objects, boxes touching the image border.
_IMAGES = [
    ('a.jpg', 64, 48, [('cat', None, [3, 4, 20, 16]), ('dog', [10, 20, 40, 22, 44, 40, 12, 38], None)]),
    ('b.png', 50, 40, [('traffic light', None, [0, 0, 12, 30]), ('cat', None, [30, 10, 20, 30]),
                       ('cat', [5, 5, 20, 5, 12, 18], None)]),
    ('sub/c.jpg', 80, 60, [('dog', None, [40, 30, 25, 20]), ('traffic light', [60, 2, 70, 2, 70, 25, 60, 25], None)]),
    ('d.jpg', 40, 30, []),
]


def make_coco(img_dir: Path) -> dict:
    """Write the images under ``img_dir`` and return the COCO content (polygon objects carry their extents)."""
    images, anns = [], []
    cats = [dict(id=i + 1, name=n) for i, n in enumerate(CLASSES)]
    for i, (name, w, h, objects) in enumerate(_IMAGES, 1):
        write_image(img_dir / name, w, h, seed=i)
        images.append(dict(id=i, file_name=name, width=w, height=h))
        for cls, poly, box in objects:
            if poly is not None:
                xs, ys = poly[0::2], poly[1::2]
                box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            ann = dict(id=len(anns) + 1, image_id=i, category_id=CLASSES.index(cls) + 1, bbox=[float(v) for v in box],
                       area=float(box[2] * box[3]), iscrowd=0)
            if poly is not None:
                ann['segmentation'] = [[float(v) for v in poly]]
            anns.append(ann)
    return dict(images=images, annotations=anns, categories=cats)


def _objects(coco: dict):
    names = {c['id']: c['name'] for c in coco['categories']}
    for img in coco['images']:
        yield img, [(names[a['category_id']], a) for a in coco['annotations'] if a['image_id'] == img['id']]


def to_yolo(coco: dict, img_dir: Path, out: Path) -> Path:
    """ultralytics' layout: images/train, labels/train, data.yaml; polygons as segment lines."""
    for img, objects in _objects(coco):
        shutil.copy(img_dir / img['file_name'], _mk(out / 'images' / 'train' / img['file_name']))
        w, h = img['width'], img['height']
        lines = []
        for name, ann in objects:
            cls = [c['name'] for c in coco['categories']].index(name)
            if ann.get('segmentation'):
                pts = ann['segmentation'][0]
                lines.append(' '.join([str(cls)] + [f'{v / (w if k % 2 == 0 else h):.6f}' for k, v in enumerate(pts)]))
            else:
                x, y, bw, bh = ann['bbox']
                lines.append(f'{cls} {(x + bw / 2) / w:.6f} {(y + bh / 2) / h:.6f} {bw / w:.6f} {bh / h:.6f}')
        label = out / 'labels' / 'train' / Path(img['file_name']).with_suffix('.txt')
        _mk(label).write_text('\n'.join(lines) + ('\n' if lines else ''))
    names = '\n'.join(f'  {i}: {c["name"]}' for i, c in enumerate(coco['categories']))
    (out / 'data.yaml').write_text(f'path: {out}\ntrain: images/train\nval: images/train\nnames:\n{names}\n')
    return out


def to_voc(coco: dict, img_dir: Path, out: Path) -> Path:
    """LabelImg's layout and numbers: Annotations/*.xml, JPEGImages/, 1-based inclusive integer corners."""
    for img, objects in _objects(coco):
        shutil.copy(img_dir / img['file_name'], _mk(out / 'JPEGImages' / img['file_name']))
        root = ET.Element('annotation')
        ET.SubElement(root, 'folder').text = 'JPEGImages'
        ET.SubElement(root, 'filename').text = img['file_name']
        size = ET.SubElement(root, 'size')
        for key, value in (('width', img['width']), ('height', img['height']), ('depth', 3)):
            ET.SubElement(size, key).text = str(value)
        for name, ann in objects:
            obj = ET.SubElement(root, 'object')
            ET.SubElement(obj, 'name').text = name
            ET.SubElement(obj, 'difficult').text = str(ann.get('iscrowd', 0))
            box = ET.SubElement(obj, 'bndbox')
            x, y, w, h = ann['bbox']
            for key, value in (('xmin', x + 1), ('ymin', y + 1), ('xmax', x + w), ('ymax', y + h)):
                ET.SubElement(box, key).text = str(int(round(value)))
        ET.ElementTree(root).write(_mk(out / 'Annotations' / Path(img['file_name']).with_suffix('.xml')))
    return out


def to_labelme(coco: dict, img_dir: Path, out: Path) -> Path:
    """One LabelMe 5 json next to each image: polygons as polygons, boxes as rectangles."""
    for img, objects in _objects(coco):
        target = _mk(out / img['file_name'])
        shutil.copy(img_dir / img['file_name'], target)
        shapes = []
        for name, ann in objects:
            if ann.get('segmentation'):
                pts = ann['segmentation'][0]
                points, kind = [[pts[k], pts[k + 1]] for k in range(0, len(pts), 2)], 'polygon'
            else:
                x, y, w, h = ann['bbox']
                points, kind = [[x + w, y + h], [x, y]], 'rectangle'  # corners in any order
            shapes.append(dict(label=name, points=points, group_id=None, description='', shape_type=kind, flags={}))
        data = dict(version='5.4.1', flags={}, shapes=shapes, imagePath=target.name, imageData=None,
                    imageHeight=img['height'], imageWidth=img['width'])
        target.with_suffix('.json').write_text(json.dumps(data, indent=2))
    return out


def to_cvat(coco: dict, img_dir: Path, out: Path) -> Path:
    """CVAT for images 1.1: annotations.xml with the task's labels, images/ beside it, 2-decimal coordinates."""
    root = ET.Element('annotations')
    ET.SubElement(root, 'version').text = '1.1'
    labels = ET.SubElement(ET.SubElement(ET.SubElement(root, 'meta'), 'task'), 'labels')
    for cat in coco['categories']:
        label = ET.SubElement(labels, 'label')
        ET.SubElement(label, 'name').text = cat['name']
        ET.SubElement(label, 'type').text = 'any'
    for img, objects in _objects(coco):
        shutil.copy(img_dir / img['file_name'], _mk(out / 'images' / img['file_name']))
        elem = ET.SubElement(root, 'image', id=str(img['id'] - 1), name=img['file_name'], width=str(img['width']),
                             height=str(img['height']))
        for name, ann in objects:
            if ann.get('segmentation'):
                pts = ann['segmentation'][0]
                points = ';'.join(f'{pts[k]:.2f},{pts[k + 1]:.2f}' for k in range(0, len(pts), 2))
                ET.SubElement(elem, 'polygon', label=name, source='manual', occluded='0', points=points, z_order='0')
            else:
                x, y, w, h = ann['bbox']
                ET.SubElement(elem, 'box', label=name, source='manual', occluded='0', xtl=f'{x:.2f}', ytl=f'{y:.2f}',
                              xbr=f'{x + w:.2f}', ybr=f'{y + h:.2f}', z_order='0')
    ET.ElementTree(root).write(out / 'annotations.xml', encoding='utf-8', xml_declaration=True)
    return out


def objects_by_image(coco: dict) -> dict[str, list]:
    """``{file_name: sorted [(class, bbox, polygon)]}``: what a round trip must give back."""
    out = {}
    for img, objects in _objects(coco):
        out[img['file_name']] = sorted(((name, ann['bbox'], (ann.get('segmentation') or [None])[0])
                                        for name, ann in objects), key=lambda o: (o[0], o[1]))
    return out


def assert_same_objects(got: dict, want: dict, tol: float, polygons: bool = True) -> float:
    """Same images, classes and boxes (each coordinate within ``tol`` pixels); returns the largest difference."""
    got_objects, want_objects = objects_by_image(got), objects_by_image(want)
    assert sorted(got_objects) == sorted(want_objects)
    worst = 0.0
    for name, want_list in want_objects.items():
        got_list = got_objects[name]
        assert [o[0] for o in got_list] == [o[0] for o in want_list], name
        for (cls, box, poly), (_, want_box, want_poly) in zip(got_list, want_list):
            worst = max([worst] + [abs(a - b) for a, b in zip(box, want_box)])
            if polygons:
                assert (poly is None) == (want_poly is None), (name, cls)
                if poly is not None:
                    assert len(poly) == len(want_poly)
                    worst = max([worst] + [abs(a - b) for a, b in zip(poly, want_poly)])
    assert worst <= tol, worst
    return worst


def _mk(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
