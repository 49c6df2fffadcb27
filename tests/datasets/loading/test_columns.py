"""The columns a checked file is kept in: bytes without an object per entry, ids of either kind, and the instances
built back from them with json's values and types."""
import json

import numpy as np
import pytest

from mmext.datasets.checks.file_rules import check_coco
from mmext.datasets.loading.columns import IdColumn, JoinedText, TextColumn, box_int_bits, from_checked, int64_array
from mmext.datasets.loading.fast_reader import check_columns
from tests.datasets.coco_builder import annotation, base_coco, many_annotations


def test_columns_hold_no_object_per_annotation():
    columns = check_columns(json.dumps(many_annotations(400)).encode(), 'x.json')
    arrays = [columns.widths, columns.heights, columns.ann_start, *columns.polygon_text.parts, columns.ids.ints,
              columns.file_names.data, *(getattr(columns.anns, f) for f in columns.anns.__dataclass_fields__)]
    assert all(isinstance(a, np.ndarray) and a.dtype != object for a in arrays)
    assert len(columns.anns.bbox) == 407


def test_text_column_gives_back_each_entry():
    items = [b'a.jpg', b'', 'dir/\u00e9\udcff.png'.encode('utf-8', 'surrogatepass'), b'x' * 1000]
    column = TextColumn(items)
    assert len(column) == 4 and [column[i] for i in range(4)] == items


def test_joined_text_slices_within_a_part_without_joining():
    text = JoinedText([b'[1,2]', b'', b'[3,4,5]'])
    assert len(text) == 12
    assert text.slice(0, 5) == b'[1,2]' and text.slice(5, 12) == b'[3,4,5]' and text.slice(6, 7) == b'3'


@pytest.mark.parametrize('values, fits', [([1, -2, 2 ** 63 - 1], True), ([], True), ([1, True], False),
                                          ([1, 2.0], False), ([2 ** 63], False), (['1'], False)])
def test_int64_array_takes_only_python_ints_that_fit(values, fits):
    array = int64_array(values)
    assert (array is not None) == fits
    if fits:
        assert array.dtype == np.int64 and array.tolist() == values


def test_ids_of_any_kind_come_back_as_the_same_values():
    ids = [3, '17', 2 ** 70, -5, 'img-a']
    column = IdColumn(ids)
    back = [column[i] for i in range(len(column))]
    assert back == ids and [type(v) for v in back] == [type(v) for v in ids]
    assert IdColumn([1, 2]).kinds is None  # plain ints: one int64 array, nothing else


def test_instances_have_json_values_and_types():
    data = base_coco()
    annotation(data, 2)['bbox'] = [20, 4.0, 12, 15.5]  # ints stay ints
    columns = from_checked(check_coco(data, 'x.json'))
    labels = columns.labels({1: 0, 2: 1})  # category 5 has no label: left out
    row = next(r for r in range(len(columns)) if columns.ids[r] == 1)
    assert columns.file_name(row) == 'img1.png'
    instances = columns.instances(row, labels, with_masks=True)
    assert json.dumps([i['bbox'] for i in instances]) == '[[5.0, 6.0, 15.0, 14.0], [20, 4.0, 32, 19.5], ' \
                                                        '[39.0, 10.0, 40.0, 30.0]]'
    assert [(i['bbox_label'], i['ignore_flag']) for i in instances] == [(0, 0), (1, 0), (0, 1)]  # the crowd: ignored
    assert instances[0]['mask'] == annotation(data, 1)['segmentation']
    assert instances[2]['mask'] == annotation(data, 7)['segmentation']
    assert columns.num_instances(labels).tolist() == [3, 1, 1, 0]  # the foxes (category 5) have no label; image 4 none
    assert columns.instances(row, labels, with_masks=False)[0].keys() == {'bbox', 'bbox_label', 'ignore_flag'}
    data['images'].reverse()  # the image without annotations first
    reversed_columns = from_checked(check_coco(data, 'x.json'))
    assert reversed_columns.num_instances(reversed_columns.labels({1: 0, 2: 1})).tolist() == [0, 1, 1, 3]


def test_box_int_bits_mark_the_int_coordinates():
    assert box_int_bits([1, 2.0, 3, 4.5]) == 0b0101 and box_int_bits([1.0] * 4) == 0 and box_int_bits([1] * 4) == 15
