"""The gallery of the worst images: ranking, finding the image files, drawing ground truth beside predictions."""
import cv2
import numpy as np

from mmext.analysis.gallery import draw_gallery, find_image, worst_images
from mmext.analysis.matching import ImageErrors


def _errors(image_id, missed, fps):
    return ImageErrors(image_id=image_id, missed=missed, false_positives=fps, num_gt=3, num_dets=3)


def test_worst_first_ties_by_more_missed_then_image_order_and_no_error_left_out():
    errors = [_errors(1, 0, 0), _errors(2, 1, 2), _errors(3, 2, 1), _errors(4, 0, 1), _errors(5, 2, 1)]
    assert [e.image_id for e in worst_images(errors, 10)] == [3, 5, 2, 4]
    assert [e.image_id for e in worst_images(errors, 2)] == [3, 5]
    assert worst_images([_errors(1, 0, 0)], 8) == []


def test_find_image_tries_the_folders_in_order(tmp_path):
    for folder in ('a', 'b'):
        (tmp_path / folder).mkdir()
    (tmp_path / 'b' / 'x.png').write_bytes(b'')
    (tmp_path / 'a' / 'y.png').write_bytes(b'')
    (tmp_path / 'b' / 'y.png').write_bytes(b'')
    dirs = [str(tmp_path / 'a'), str(tmp_path / 'b')]
    assert find_image('x.png', dirs) == str(tmp_path / 'b' / 'x.png')
    assert find_image('y.png', dirs) == str(tmp_path / 'a' / 'y.png')
    assert find_image(str(tmp_path / 'b' / 'x.png'), []) == str(tmp_path / 'b' / 'x.png')
    assert find_image('z.png', dirs) is None


def test_gallery_draws_two_tiles_an_image_and_names_the_missing_ones(hand, tmp_path):
    cv2.imwrite(str(tmp_path / 'one.png'), np.full((100, 100, 3), 90, np.uint8))  # two.png is missing
    worst = [_errors(2, 1, 1), _errors(1, 1, 1)]
    gallery, unreadable = draw_gallery(worst, hand['gt'], hand['preds'], [str(tmp_path)], score_thr=0.3, cols=2)
    assert unreadable == ['two.png']
    # 2 rows of 2 tiles (ground truth, predictions), 100 px images enlarged to 200, title bars of 18 px
    assert gallery.shape == (2 * (200 + 18 + 4) + 4, 2 * (200 + 4) + 4, 3)
    missing_tile = gallery[4 + 18:4 + 218, 4:204]
    assert (np.abs(missing_tile.astype(int) - 200) < 2).mean() > 0.9  # drawn on a grey canvas
    assert draw_gallery([], hand['gt'], hand['preds'], [str(tmp_path)], 0.3) == (None, [])
