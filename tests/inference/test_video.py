"""Videos: an annotated copy with every frame and a json of every frame's detections; unreadable ones skipped."""
import json

import cv2
import numpy as np
import pytest

from mmext.inference.video import predict_video
from tests.inference.video_files import write_video


@pytest.mark.parametrize('ext', ['.mp4', '.avi'])
def test_every_frame_is_predicted_drawn_and_listed(detector, val_images, tmp_path, ext):
    clip = tmp_path / f'clip{ext}'
    count = write_video(clip, val_images)
    ticks = []
    result = predict_video(detector.predictor, str(clip), f'clip{ext}', str(tmp_path / 'out'), 0.3,
                           on_frame=lambda: ticks.append(1))
    assert result.frames == count == len(ticks)
    cap = cv2.VideoCapture(result.video_out)
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == count and cap.read()[1].shape == (128, 160, 3)
    cap.release()
    frames = json.loads(open(result.json_out).read())
    assert frames['classes'] == list(detector.classes) and [f['frame'] for f in frames['frames']] == list(range(count))
    # a frame's detections are the model's on that (decoded) frame
    cap = cv2.VideoCapture(str(clip))
    cap.read()
    ok, second = cap.read()
    direct = detector.predict(second)
    np.testing.assert_allclose(frames['frames'][1]['boxes'], direct.boxes, atol=0.02)
    assert not list((tmp_path / 'out').glob('.*partial*'))


def test_an_unreadable_video_gives_none_and_writes_nothing(detector, tmp_path):
    (tmp_path / 'bad.mp4').write_bytes(b'not a video')
    assert predict_video(detector.predictor, str(tmp_path / 'bad.mp4'), 'bad.mp4', str(tmp_path / 'out'), 0.3) is None
    assert not (tmp_path / 'out').exists() or not any((tmp_path / 'out').iterdir())
