"""check_coco: one test per rule on small hand-made files, what is kept and corrected, and what is fatal."""
import json
import math

import pytest

from mmext.datasets.checks.file_rules import check_coco
from mmext.datasets.checks.problems import KINDS
from tests.datasets.coco_builder import annotation, base_coco, write_coco

N_IMAGES, N_ANNS = 4, 7


def _set(path, value):
    """A mutation that sets data[path...] = value (path of keys / indexes)."""
    def mutate(data):
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


# (mutation, kind found, images kept, annotations kept)
RULES = {
    'duplicate image id, same file: merged': (lambda d: d['images'].append(dict(d['images'][0])),
                                              'duplicate_image_id', 4, 7),
    'duplicate image id, other file: dropped': (lambda d: d['images'].append(dict(d['images'][0], file_name='x.jpg')),
                                                'duplicate_image_id', 3, 4),
    'image without file_name': (lambda d: d['images'][1].pop('file_name'), 'bad_image', 3, 5),
    'image id a list': (_set(['images', 3, 'id'], [4]), 'bad_image', 3, 7),
    'category without name': (lambda d: d['categories'][2].pop('name'), 'bad_category', 4, 5),
    'annotation not an object': (lambda d: d['annotations'].append([1, 2]), 'bad_annotation', 4, 7),
    'annotation without category_id': (lambda d: annotation(d, 3).pop('category_id'), 'bad_annotation', 4, 6),
    'unknown image': (_set(['annotations', 0, 'image_id'], 99), 'unknown_image', 4, 6),
    'unknown category': (_set(['annotations', 0, 'category_id'], 3), 'unknown_category', 4, 6),
    'bbox of 3 numbers': (_set(['annotations', 0, 'bbox'], [1, 2, 3]), 'bad_bbox', 4, 6),
    'bbox of strings': (_set(['annotations', 0, 'bbox'], ['1', 2, 3, 4]), 'bad_bbox', 4, 6),
    'bbox missing': (lambda d: d['annotations'][0].pop('bbox'), 'bad_bbox', 4, 6),
    'bbox NaN': (_set(['annotations', 0, 'bbox', 2], math.nan), 'nonfinite_bbox', 4, 6),
    'bbox inf': (_set(['annotations', 0, 'bbox', 0], -math.inf), 'nonfinite_bbox', 4, 6),
    'bbox too large for a float': (_set(['annotations', 0, 'bbox', 0], 10 ** 400), 'nonfinite_bbox', 4, 6),
    'bbox width 0': (_set(['annotations', 0, 'bbox', 2], 0), 'empty_bbox', 4, 6),
    'bbox height < 0': (_set(['annotations', 0, 'bbox', 3], -4), 'empty_bbox', 4, 6),
    'bbox outside': (_set(['annotations', 0, 'bbox', 0], 100), 'bbox_outside', 4, 6),
    'bbox partly outside': (_set(['annotations', 0, 'bbox'], [30, 6, 20, 8]), 'bbox_partly_outside', 4, 7),
    'area missing': (lambda d: d['annotations'][0].pop('area'), 'bad_area', 4, 7),
    'iscrowd 2': (_set(['annotations', 0, 'iscrowd'], 2), 'bad_iscrowd', 4, 7),
    'annotation id twice': (_set(['annotations', 1, 'id'], 1), 'bad_annotation_id', 4, 7),
    'polygon of 2 points': (_set(['annotations', 0, 'segmentation'], [[1, 2, 3, 4]]), 'bad_segmentation', 4, 7),
    'polygon with a string': (_set(['annotations', 0, 'segmentation'], [[1, 2, 3, 4, 'a', 6]]), 'bad_segmentation',
                              4, 7),
    'RLE of the wrong size': (_set(['annotations', 6, 'segmentation', 'size'], [10, 10]), 'bad_segmentation', 4, 7),
    'segmentation a number': (_set(['annotations', 0, 'segmentation'], 3), 'bad_segmentation', 4, 7),
    'unused category': (lambda d: d['categories'].append(dict(id=9, name='owl', supercategory='animal')),
                        'unused_category', 4, 7),
    'placeholder category': (lambda d: d['categories'].insert(0, dict(id=0, name='animal', supercategory='none')),
                             'placeholder_category', 4, 7),
    'categories out of id order': (lambda d: d['categories'].reverse(), 'categories_unsorted', 4, 7),
    'no annotations on an image': (lambda d: None, 'image_unannotated', 4, 7),
    'crowd box': (lambda d: None, 'crowd', 4, 7),
}


@pytest.mark.parametrize('name', list(RULES))
def test_each_rule_finds_its_problem_and_keeps_the_rest(name):
    mutate, kind, n_images, n_anns = RULES[name]
    data = base_coco()
    mutate(data)
    checked = check_coco(data, 'ann.json')
    assert kind in {p.kind for p in checked.report.problems}, checked.report.format_text()
    assert (len(checked.images), len(checked.annotations)) == (n_images, n_anns)
    assert checked.report.fatal is None
    # nothing is dropped without being counted: kept + dropped annotations = the file's annotations
    dropped = sum(KINDS[p.kind].action == 'annotation dropped' for p in checked.report.problems)
    dropped += sum(p.dropped_with for p in checked.report.problems)
    assert n_anns + dropped == len(data['annotations'])


def test_corrections_are_made_in_the_kept_content():
    data = base_coco()
    annotation(data, 1)['bbox'] = [30, -3, 20, 8]
    annotation(data, 2).pop('area')
    annotation(data, 2)['iscrowd'] = 'yes'
    annotation(data, 3)['segmentation'] = [[1, 2]]
    annotation(data, 4)['id'] = 1
    data['categories'].reverse()
    checked = check_coco(data, 'ann.json')
    anns = {a['id']: a for a in checked.annotations}
    assert anns[1]['bbox'] == [30, 0, 10, 5]
    assert anns[2]['area'] == 12.0 * 15.0 and anns[2]['iscrowd'] == 1
    assert anns[3]['segmentation'] == []
    assert 8 in anns and anns[8]['image_id'] == 2  # the second id 1 renumbered after the largest id
    assert [c['id'] for c in checked.categories] == [1, 2, 5]


@pytest.mark.parametrize('mutate, kind', [
    (lambda d: d['categories'].append(dict(id=1, name='emu')), 'duplicate_category_id'),
    (lambda d: d['categories'].append(dict(id=7, name='cat')), 'duplicate_category_name'),
    (lambda d: d['images'].clear(), 'empty_dataset'),
    (lambda d: [img.update(width=0) for img in d['images']], 'empty_dataset'),
])
def test_ambiguous_or_empty_content_is_fatal(mutate, kind):
    data = base_coco()
    mutate(data)
    report = check_coco(data, 'ann.json').report
    assert report.fatal is not None and report.fatal.kind == kind, report.format_text()


def test_sizes_from_the_image_header_and_mismatches(tmp_path):
    data = base_coco()
    data['images'][0].update(width=0)
    data['images'][1].pop('height')
    data['images'][2].update(width=50)
    files = write_coco(tmp_path, data)
    data = json.loads(open(files['ann']).read())
    no_dir = check_coco(json.loads(json.dumps(data)), 'ann.json')
    assert [p.kind for p in no_dir.report.problems if p.kind.startswith('size')] == ['size_unreadable'] * 2
    checked = check_coco(data, 'ann.json', files['img_dir'], image_check='header')
    kinds = [(p.kind, p.image_id) for p in checked.report.problems if p.kind.startswith('size')]
    assert kinds == [('size_from_header', 1), ('size_from_header', 2), ('size_mismatch', 3)]
    assert all((img['width'], img['height']) == (40, 30) for img in checked.images)
    mismatch = next(p for p in checked.report.problems if p.kind == 'size_mismatch')
    assert 'the json says 50x30 but' in mismatch.detail and 'img3.png is 40x30' in mismatch.detail
