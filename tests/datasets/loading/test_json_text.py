"""JSON kept as text: decoding one value as json.loads does, and lists of numbers joined and parsed by simdjson."""
import json

import msgspec
import pytest
import simdjson

from mmext.datasets.loading.json_text import decode_json, joined_lists, parse_numbers


@pytest.mark.parametrize('text', [b'[1, 2.5, -0, 1e2]', b'{"a": [true, null, "x"]}', b'[NaN, Infinity]', b'1e400',
                                  b'123456789012345678901234567890', b'"\\u00e9"'])
def test_a_stored_value_decodes_as_json_loads_gives_it(text):
    ours, reference = decode_json(text), json.loads(text)
    assert json.dumps(ours) == json.dumps(reference)  # tells 1 from 1.0, NaN and inf included


def test_joined_lists_is_one_document_that_knows_where_each_text_starts():
    texts = [msgspec.Raw(b'[1,2]'), msgspec.Raw(b'[3]'), msgspec.Raw(b'[4,5,6]')]
    originals = [bytes(t) for t in texts]
    doc, starts, flat = joined_lists(list(texts), b',-9,', tail=b',-9')
    assert doc == b'[' + b',-9,'.join(originals) + b',-9]' and flat
    assert [doc[s:s + len(t)] for s, t in zip(starts, originals)] == originals
    assert starts[-1] == starts[-2] + len(originals[-1]) + len(b',-9,')  # where a next text would start
    assert json.loads(doc) == [[1, 2], -9, [3], -9, [4, 5, 6], -9]


@pytest.mark.parametrize('texts', [
    [b'[1,[2]]', b'[3]'], [b'[1]', b'[[2],3]'], [b'5', b'[3]'], [b'[1]', b'{"a":1}'],
    [b'5', b'[[3]]'],  # a number and a nested list: the count of '[' alone balances
])
def test_a_text_that_is_not_a_flat_list_is_told(texts):
    """simdjson would flatten a nested list into the numbers around it: the caller must know first."""
    assert not joined_lists(list(texts), b',-9,')[2]


def test_numbers_are_parsed_as_float64_and_anything_else_is_refused():
    parser = simdjson.Parser()
    doc = joined_lists([b'[1,2.5]', b'[-3e2, 0]'], b',-9,')[0]
    assert parse_numbers(parser, doc).tolist() == [1.0, 2.5, -9.0, -300.0, 0.0]
    for bad in (b'[[1,"a"]]', b'[[1,null]]', b'[[true]]', b'[[1,{}]]', b'[[1e400]]'):
        assert parse_numbers(parser, bad) is None, bad
    assert parse_numbers(parser, b'[[1]]').tolist() == [1.0]  # the parser is still usable after a refusal
