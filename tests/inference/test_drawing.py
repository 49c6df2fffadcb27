"""Drawing a prediction: only detections at or over the threshold, masks blended, any image kind."""
import numpy as np

from mmext.inference.drawing import draw_prediction, png_path
from mmext.inference.inputs import InputFile
from mmext.inference.prediction import Prediction

CLASSES = ('cat', 'dog')


def _pred(score, masks=None):
    return Prediction(np.array([[20, 20, 60, 60]], np.float32), np.array([score], np.float32), np.array([1]),
                      CLASSES, (80, 100), masks)


def test_only_detections_over_the_threshold_are_drawn():
    img = np.full((80, 100, 3), 128, np.uint8)
    drawn = draw_prediction(img, _pred(0.9), score_thr=0.3)
    assert drawn.shape == img.shape and (drawn != img).any() and (img == 128).all()  # a copy
    assert (drawn[40, 40] == 128).all() and (drawn[20, 40] != 128).any()  # the box's edge, not its inside
    assert (draw_prediction(img, _pred(0.1), score_thr=0.3) == img).all()


def test_masks_are_blended_and_grey_or_float_images_drawn_in_colour():
    masks = np.zeros((1, 80, 100), bool)
    masks[0, 30:50, 30:50] = True
    img = np.zeros((80, 100, 3), np.uint8)
    drawn = draw_prediction(img, _pred(0.9, masks), palette=[(255, 0, 0), (0, 0, 200)])
    assert drawn[40, 40].tolist() == [100, 0, 0]  # half of dog's blue (RGB 0, 0, 200) as BGR
    assert drawn[5, 5].tolist() == [0, 0, 0]
    grey = draw_prediction(np.zeros((80, 100), np.uint8), _pred(0.9))
    assert grey.shape == (80, 100, 3)
    floats = draw_prediction(np.full((80, 100, 3), 300.0), _pred(0.9))
    assert floats.dtype == np.uint8 and floats[5, 5].tolist() == [255, 255, 255]


def test_png_path_keeps_the_inputs_relative_name():
    assert png_path('out', InputFile('/data/sub/a.jpg', 'sub/a.jpg')) == 'out/sub/a.png'
