"""tools/infer.py's run: outputs of an earlier run kept unless --overwrite, the summary, the option checks."""
import json
import shutil

import pytest

from mmext.errors import InputError, MmextError
from mmext.inference.inputs import discover_inputs
from mmext.inference.run import (InferOptions, InferSummary, existing_outputs, format_summary, process_count,
                                 run_inference, split_positionals)


def test_a_run_writes_results_and_pngs_and_a_second_needs_overwrite(trained_work_dir, val_images, tmp_path):
    folder = tmp_path / 'in'
    folder.mkdir()
    for path in val_images[:2]:
        shutil.copy(path, folder)
    (folder / 'broken.jpg').write_bytes(b'xx')
    opts = InferOptions(model=str(trained_work_dir), inputs=[str(folder)], out_dir=str(tmp_path / 'out'),
                        progress=False)
    summary = run_inference(opts)
    assert summary.images == 2 and summary.skipped == [str(folder / 'broken.jpg')]
    results = json.load(open(summary.results_json))
    assert [img['file_name'] for img in results['images']] == sorted(p.split('/')[-1] for p in val_images[:2])
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == sorted(
        [p.split('/')[-1].replace('.jpg', '.png') for p in val_images[:2]] + ['results.json'])
    assert existing_outputs(opts, discover_inputs(opts.inputs))  # the PNGs and the json are there now
    with pytest.raises(MmextError, match=r'already holds outputs of an earlier run \(results.json, .*pass --overwrite'):
        run_inference(opts)
    opts.overwrite = True
    assert run_inference(opts).images == 2



def test_a_coco_json_is_an_input_and_its_results_load_back_as_one(trained_work_dir, tiny_coco, tmp_path):
    """Predicting on a val json (images under --image-root), then on the results json of that run."""
    listed = json.load(open(tiny_coco['val']))['images']
    opts = InferOptions(model=str(trained_work_dir), inputs=[tiny_coco['val']], out_dir=str(tmp_path / 'out'),
                        image_root=tiny_coco['img_dir'], png=False, progress=False)
    summary = run_inference(opts)
    results = json.load(open(summary.results_json))
    assert summary.images == len(listed)
    assert sorted(img['file_name'] for img in results['images']) == sorted(img['file_name'] for img in listed)
    again = InferOptions(model=str(trained_work_dir), inputs=[summary.results_json], out_dir=str(tmp_path / 'again'),
                         image_root=tiny_coco['img_dir'], png=False, progress=False)
    assert run_inference(again).images == len(listed)

def test_summary_lines():
    summary = InferSummary(images=10, seconds=3.21, predict_seconds=2.0, results_json='o/results.json', out_dir='o',
                           skipped=['a.jpg'], processes=2)
    assert format_summary(summary).splitlines() == [
        'mmext: inference finished in 3.2s',
        '  images:          10 (5.0 images/s over 2 processes)',
        '  results:         o/results.json',
        '  out dir:         o',
        '  skipped:         1 unreadable file(s): a.jpg']
    frames = InferSummary(frames=30, predict_seconds=3.0, out_dir='o',
                          videos=[dict(path='v.mp4', frames=30, video_out='o/v.mp4', json_out='o/v.json')])
    assert format_summary(frames).splitlines()[1:] == [
        '  video:           v.mp4: 30 frames -> o/v.mp4, o/v.json', '  frames:          30 (10.0 frames/s)',
        '  out dir:         o']


def test_positionals_and_process_counts():
    assert split_positionals(['work', 'a.jpg', 'b']) == ('work', None, ['a.jpg', 'b'])
    assert split_positionals(['cfg.py', 'm.pth', 'a.jpg']) == ('cfg.py', 'm.pth', ['a.jpg'])
    with pytest.raises(InputError, match='no input given after the model'):
        split_positionals(['cfg.py', 'm.pth'])
    assert process_count(None, None) == (1, False) and process_count(None, 3) == (3, False)
    assert process_count(2, None, cuda_devices=2) == (2, True)
    with pytest.raises(MmextError, match='not both'):
        process_count(1, 1)
    with pytest.raises(MmextError, match='--nproc must be >= 1, got 0'):
        process_count(None, 0)
    with pytest.raises(MmextError, match=r'--gpus 2: 0 CUDA GPU\(s\) are visible on this machine; use --nproc 2'):
        process_count(2, None, cuda_devices=0)
