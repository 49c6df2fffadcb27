"""mmext.Detector: paths, arrays and lists in, plain NumPy out; folders with unreadable files; lazy export."""
import cv2
import numpy as np
import pytest

from mmext.errors import InputError
from tests.conftest import run_tool
from tests.inference.same_predictions import assert_same_predictions


def test_predict_takes_a_path_an_array_or_a_list(detector, val_images):
    from_path = detector.predict(val_images[0])
    from_array = detector.predict(cv2.imread(val_images[0]))
    both = detector.predict([val_images[0], cv2.imread(val_images[1])])
    assert isinstance(both, list) and len(both) == 2
    for pred in (from_array, both[0]):
        assert_same_predictions(pred, from_path)
    assert from_path.path == val_images[0] and from_array.path is None
    assert from_path.boxes.shape == (len(from_path), 4) and from_path.boxes.dtype == np.float32
    assert set(from_path.class_names) <= set(detector.classes) and from_path.masks is None
    kept = detector.predict(val_images[0], score_thr=0.1)
    assert len(kept) == int((from_path.scores >= 0.1).sum()) and (kept.scores >= 0.1).all()
    assert list(from_path.scores) == sorted(from_path.scores, reverse=True)


def test_predict_on_a_bad_file_is_one_clear_error(detector, tmp_path):
    with pytest.raises(InputError, match='does not exist'):
        detector.predict(str(tmp_path / 'nope.jpg'))
    (tmp_path / 'bad.jpg').write_bytes(b'xx')
    with pytest.raises(InputError, match='cannot be decoded'):
        detector.predict(str(tmp_path / 'bad.jpg'))


def test_predict_folder_skips_and_names_unreadable_images(detector, val_images, tmp_path):
    for path in val_images[:3]:
        (tmp_path / 'sub').mkdir(exist_ok=True)
        (tmp_path / 'sub' / path.split('/')[-1]).write_bytes(open(path, 'rb').read())
    (tmp_path / 'broken.png').write_bytes(b'\x89PNG\r\n')
    with pytest.warns(UserWarning, match=r'skipped 1 unreadable image\(s\) .*broken.png'):
        preds = detector.predict_folder(str(tmp_path))
    assert len(preds) == 3 and preds.skipped == [str(tmp_path / 'broken.png')]
    assert_same_predictions(preds[0], detector.predict(val_images[0]))
    with pytest.raises(InputError, match='does not exist'):
        detector.predict_folder(str(tmp_path / 'nope'))


def test_sliced_predict_through_the_api(detector, val_images):
    pred = detector.predict(val_images[0], slice=96)
    assert pred.image_size == (128, 160) and len(pred) > 0
    assert (pred.boxes[:, 2] <= 160 + 1e-3).all() and (pred.boxes[:, 3] <= 128 + 1e-3).all()


def test_mmext_detector_is_exported_lazily():
    code = ('import sys, mmext; assert "mmext.inference" not in sys.modules; '
            'from mmext import Detector; assert Detector.__module__ == "mmext.inference.detector"; '
            'assert "Detector" in dir(mmext); print("ok")')
    result = run_tool(['-c', code])
    assert result.returncode == 0 and result.stdout.strip() == 'ok', result.stderr[-2000:]
