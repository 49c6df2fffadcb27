"""Drawing boxes with captions, one colour per class, and tiling images into a grid."""
import cv2
import numpy as np
import pytest

from mmext.visualization.draw import class_palette, draw_boxes, make_grid

CLASSES = ('cat', 'dog')


def test_palette_gives_distinct_rgb_colours_for_many_classes():
    palette = class_palette(300)
    assert len(set(palette)) == 300 and all(0 <= c <= 255 and type(c) is int for rgb in palette for c in rgb)
    assert class_palette(3) == palette[:3]  # a class keeps its colour whatever the number of classes


def test_boxes_are_drawn_on_a_scaled_copy_in_the_class_colour():
    img = np.full((40, 60, 3), 255, np.uint8)
    palette = [(255, 0, 0), (0, 0, 255)]  # RGB: red, blue
    out = draw_boxes(img, np.array([[10.0, 20.0, 30.0, 35.0]]), [1], CLASSES, palette, scores=[0.876], scale=2.0,
                     thickness=1)
    assert out.shape == (80, 120, 3) and (img == 255).all()  # the input is left as it was
    assert tuple(out[60, 20]) == (255, 0, 0)  # the left edge at x=10*2, in BGR: blue
    assert tuple(out[55, 40]) == (255, 255, 255)  # inside the box: untouched
    assert tuple(out[70, 40]) == (255, 0, 0)  # the bottom edge at y=35*2


def test_captions_name_the_class_and_the_score_only_for_predictions():
    img = np.full((60, 120, 3), 255, np.uint8)
    boxes = np.array([[5.0, 30.0, 100.0, 55.0]])
    palette = class_palette(2)
    widths = {}
    for name, kwargs in (('ground truth', {}), ('prediction', dict(scores=[0.5]))):
        out = draw_boxes(img, boxes, [0], CLASSES, palette, **kwargs)
        band = out[16:17, 5:120]  # the top row of the caption's filled band, above its text
        widths[name] = int((band == np.array(palette[0][::-1], np.uint8)).all(-1).any(0).sum())
    cat = cv2.getTextSize('cat', cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)[0][0] + 3
    cat_score = cv2.getTextSize('cat 0.50', cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)[0][0] + 3
    assert widths == {'ground truth': cat, 'prediction': cat_score}


def test_a_label_beyond_the_classes_is_drawn_with_its_number():
    img = np.zeros((30, 40, 3), np.uint8)
    out = draw_boxes(img, np.array([[2.0, 12.0, 20.0, 25.0]]), [7], CLASSES, class_palette(2))
    assert out.any() and not img.any()  # no IndexError (the colour wraps around), drawn on a copy
    assert draw_boxes(img, np.zeros((0, 4)), [], CLASSES, class_palette(2)).tobytes() == img.tobytes()


def test_grid_places_every_tile_in_its_cell():
    tiles = [np.full((h, w, 3), v, np.uint8) for (h, w), v in zip([(10, 20), (16, 8), (10, 10)], (50, 100, 150))]
    grid = make_grid(tiles, cols=2, pad=4)
    cell_h, cell_w = 16, 20
    assert grid.shape == (2 * (cell_h + 4) + 4, 2 * (cell_w + 4) + 4, 3)
    assert (grid[4:14, 4:24] == 50).all() and (grid[4:20, 28:36] == 100).all() and (grid[24:34, 4:14] == 150).all()
    assert (grid[24:, 28:] == 255).all()  # the empty cell stays white
    titled = make_grid(tiles, ['a', 'b', 'c'], cols=4)
    assert titled.shape == (4 + cell_h + 18 + 4, 4 + 3 * (cell_w + 4), 3)  # one row: cols is capped at 3 tiles
    assert (titled[4 + 18:4 + 18 + 10, 4:24] == 50).all() and (titled[4:4 + 18] != 255).any()
    with pytest.raises(ValueError, match='at least one image'):
        make_grid([])
