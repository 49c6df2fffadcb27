"""A differential fuzzer: generated COCO files through the reference checks and the fast reader, which must agree."""
