"""tools/infer.py on a trained work dir: a folder with a broken image and a video, sharded, sliced, bad inputs."""
import json
import shutil

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from tests.conftest import run_tool
from tests.inference.video_files import write_video

pytestmark = pytest.mark.e2e


@pytest.fixture(scope='module')
def inputs(tiny_coco, tmp_path_factory):
    root = tmp_path_factory.mktemp('infer_inputs')
    images = sorted((p for p in __import__('pathlib').Path(tiny_coco['img_dir']).glob('*.jpg')))[-8:]
    for i, path in enumerate(images):
        folder = root / 'photos' / ('day1' if i < 4 else 'day2')
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder)
    (root / 'photos' / 'day2' / 'broken.jpg').write_bytes(b'\xff\xd8 cut short')
    write_video(root / 'clip.mp4', [str(p) for p in images[:5]])
    (root / 'broken.avi').write_bytes(b'RIFF nothing')
    return dict(root=root, images=images)


def _infer(*args):
    return run_tool(['tools/infer.py', *map(str, args), '--quiet'])


def test_folder_and_video_end_to_end(trained_work_dir, inputs, tmp_path):
    out = tmp_path / 'out'
    result = _infer(trained_work_dir, inputs['root'] / 'photos', inputs['root'] / 'clip.mp4',
                    inputs['root'] / 'broken.avi', '--out-dir', out, '--batch-size', '3')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'images:          8 (' in result.stdout and 'images/s' in result.stdout
    assert 'skipped:         2 unreadable file(s)' in result.stdout
    assert 'broken.jpg' in result.stdout and 'broken.avi' in result.stdout
    pngs = sorted(p.relative_to(out).as_posix() for p in out.rglob('*.png'))
    assert len(pngs) == 8 and pngs[0].startswith('day1/') and pngs[-1].startswith('day2/')
    assert cv2.imread(str(out / pngs[0])).shape == (128, 160, 3)
    coco = COCO(str(out / 'results.json'))
    names = [img['file_name'] for img in coco.dataset['images']]
    assert names == [f"day{1 + i // 4}/{p.name}" for i, p in enumerate(inputs['images'])]
    assert {c['name'] for c in coco.dataset['categories']} == {'circle', 'square', 'triangle'}
    frames = json.loads((out / 'clip.json').read_text())['frames']
    assert len(frames) == 5 and cv2.VideoCapture(str(out / 'clip.mp4')).isOpened()
    # an earlier run's outputs are never replaced without --overwrite
    again = _infer(trained_work_dir, inputs['root'] / 'photos', '--out-dir', out)
    assert again.returncode == 1 and 'already holds outputs of an earlier run' in again.stderr
    assert again.stderr.count('\n') == 1 and again.stderr.startswith('error: ')


def test_two_processes_give_the_results_of_one(trained_work_dir, inputs, tmp_path):
    one = _infer(trained_work_dir, inputs['root'] / 'photos', '--out-dir', tmp_path / 'one', '--no-png')
    two = _infer(trained_work_dir, inputs['root'] / 'photos', '--out-dir', tmp_path / 'two', '--no-png',
                 '--nproc', '2')
    assert one.returncode == 0 and two.returncode == 0, two.stderr[-3000:]
    assert 'over 2 processes' in two.stdout and 'broken.jpg' in two.stdout
    a, b = (json.loads((tmp_path / d / 'results.json').read_text()) for d in ('one', 'two'))
    assert a['images'] == b['images'] and a['categories'] == b['categories']
    assert len(a['annotations']) == len(b['annotations'])
    for x, y in zip(a['annotations'], b['annotations']):
        assert (x['image_id'], x['category_id']) == (y['image_id'], y['category_id'])
        np.testing.assert_allclose(x['bbox'], y['bbox'], atol=0.02)
        assert abs(x['score'] - y['score']) < 1e-4
    assert not list((tmp_path / 'two').glob('*.png'))


def test_sliced_inference_from_the_command_line(trained_work_dir, inputs, tmp_path):
    image = inputs['images'][0]
    result = _infer(trained_work_dir, trained_work_dir / 'epoch_1.pth', image, '--out-dir', tmp_path / 's',
                    '--slice', '96', '--overlap', '0.25', '--slice-merge', 'nms', '--slice-full-image')
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((tmp_path / 's' / 'results.json').read_text())
    assert data['images'][0]['width'] == 160 and data['annotations']


@pytest.mark.parametrize('args, message', [
    (['{work}', '{root}/nothing.jpg'], r'error: input .*nothing.jpg does not exist'),
    (['{work}', '{root}/empty'], r'error: folder .*empty holds no image or video'),
    (['{work}'], r'error: no input given after the model'),
    (['{root}/nowhere', '{root}/clip.mp4'], r'error: .*nowhere does not exist: pass a work dir'),
    (['{work}', '{root}/clip.mp4', '--gpus', '2'], r'error: --gpus 2: 0 CUDA GPU\(s\) are visible'),
])
def test_bad_input_is_one_line(trained_work_dir, inputs, tmp_path, args, message):
    import re
    (inputs['root'] / 'empty').mkdir(exist_ok=True)
    filled = [a.format(work=trained_work_dir, root=inputs['root']) for a in args]
    result = _infer(*filled, '--out-dir', tmp_path / 'o')
    assert result.returncode == 1 and re.search(message, result.stderr), result.stderr[-2000:]
    assert result.stderr.count('\n') == 1
