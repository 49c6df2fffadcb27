"""Sharding a folder over processes: every image in exactly one share, in order; one share through a detector."""
import pytest

from mmext.inference.inputs import InputFile
from mmext.inference.run import InferOptions
from mmext.inference.sharding import process_shard, split


@pytest.mark.parametrize('count, parts', [(10, 3), (7, 7), (2, 4), (0, 2), (101, 8)])
def test_every_image_is_in_exactly_one_contiguous_share(count, parts):
    items = list(range(count))
    shares = split(items, parts)
    assert len(shares) == parts
    assert [i for share in shares for i in share] == items  # each once, merged back in input order
    sizes = [len(s) for s in shares]
    assert max(sizes) - min(sizes) <= 1


def test_one_share_writes_its_pngs_reports_progress_and_names_unreadable_files(detector, val_images, tmp_path):
    (tmp_path / 'bad.jpg').write_bytes(b'xx')
    images = [InputFile(val_images[0], 'sub/a.jpg'), InputFile(str(tmp_path / 'bad.jpg'), 'bad.jpg'),
              InputFile(val_images[1], 'b.jpg')]
    opts = InferOptions(model='unused', inputs=[], out_dir=str(tmp_path / 'out'), progress=False)
    ticks = []
    part = process_shard(opts, images, [], 'cpu', report=ticks.append, detector=detector)
    assert ticks == [1, 1, 1] and part['skipped'] == [str(tmp_path / 'bad.jpg')] and part['videos'] == []
    assert [img['file_name'] for img in part['coco']['images']] == ['sub/a.jpg', 'b.jpg']
    assert (tmp_path / 'out' / 'sub' / 'a.png').is_file() and (tmp_path / 'out' / 'b.png').is_file()
    assert not (tmp_path / 'out' / 'bad.png').exists()
