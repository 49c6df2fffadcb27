"""The fast reader behind ``CustomCocoDataset``: a COCO file read once, checked by the rules of
:mod:`mmext.datasets.checks` a chunk at a time (msgspec, simdjson, numpy), and kept as numpy columns.

``annotation_file`` is the entry (read, check, policy); ``fast_reader`` drives a whole file, ``annotation_spans``
finds the annotations array in the bytes, ``chunk_rules`` and ``polygon_rule`` apply the rules to a chunk,
``json_text`` parses numbers left as JSON text, ``columns`` holds the result and ``image_records`` turns it into
mmdet's per-image records.
"""
