"""Folder inference throughput: mmext's batched ``Detector`` against mmdet's ``DetInferencer``, same checkpoint.

Both run in this process on the same list of 160x128 synthetic images with the demo detector, alternating
rounds after a warm-up. Three comparisons: predictions only against ``DetInferencer`` at its default batch size
(1) and at mmext's (8), and with the outputs written (mmext: a PNG per image and the COCO results json, as
``tools/infer.py`` does; mmdet: its visualisation and prediction json per image). The boxes of both are compared
image by image.
"""
from __future__ import annotations

import glob
import os.path as osp
import tempfile
import warnings

import numpy as np

from benchmarks.common import Row, interleaved, load_average, speedup_row
from benchmarks.infer_model import trained_demo

BATCH = 8


def _same_boxes(mine: list, theirs: list) -> tuple[float, int]:
    """Largest box difference (px) over images with as many boxes on both sides, and how many images differ in
    their count."""
    worst, count_differs = 0.0, 0
    for pred, other in zip(mine, theirs):
        boxes = np.asarray(other['bboxes'], np.float32).reshape(-1, 4)
        if len(boxes) != len(pred):
            count_differs += 1
        elif len(boxes):
            worst = max(worst, float(np.abs(boxes - pred.boxes).max()))
    return worst, count_differs


def rows(quick: bool) -> list[Row]:
    """quick: 16 images, a 1-epoch detector, one round; full: 160 images, 7 rounds."""
    import mmext
    from mmdet.apis import DetInferencer

    from mmext.inference.inputs import InputFile
    from mmext.inference.run import InferOptions
    from mmext.inference.sharding import process_shard
    work, data = trained_demo(num_train=16 if quick else 640, epochs=1 if quick else 8)
    paths = sorted(glob.glob(osp.join(data['img_dir'], '*.jpg')))[-(16 if quick else 160):]
    config = glob.glob(osp.join(work, '*.py'))[0]
    ckpt = open(osp.join(work, 'last_checkpoint')).read().strip()
    det = mmext.Detector(config, ckpt, batch_size=BATCH)
    warnings.filterwarnings('ignore')
    inferencer = DetInferencer(model=config, weights=ckpt, device='cpu', show_progress=False)
    found: dict = {}

    def mine():
        found['mine'] = [pred for _, _, pred in det.iter_predict(paths)]

    def theirs(batch):
        def run():
            found[f'theirs{batch}'] = inferencer(paths, batch_size=batch, no_save_vis=True)['predictions']
        return run

    with tempfile.TemporaryDirectory() as tmp:
        opts = InferOptions(model=work, inputs=[], out_dir=osp.join(tmp, 'mmext'), progress=False)
        images = [InputFile(p, osp.basename(p)) for p in paths]

        def mine_outputs():
            process_shard(opts, images, [], 'cpu', report=lambda n: None, detector=det)

        def theirs_outputs():
            inferencer(paths, batch_size=BATCH, out_dir=osp.join(tmp, 'mmdet'), no_save_pred=False)

        times = interleaved({'mmext': mine, 'mmdet1': theirs(1), f'mmdet{BATCH}': theirs(BATCH),
                             'mmext+out': mine_outputs, 'mmdet+out': theirs_outputs},
                            repeats=1 if quick else 7, warmup=1)
    rate = {k: f'{len(paths) / v.median:.1f} images/s' for k, v in times.items()}
    worst, differs = _same_boxes(found['mine'], found[f'theirs{BATCH}'])
    size = f'{len(paths)} images 160x128, demo RetinaNet-R18'
    note = f'{load_average()}'
    return [
        speedup_row(f'folder inference vs DetInferencer at its default batch 1 ({size})', times['mmext'],
                    times['mmdet1'], 1.5, f"{rate['mmext']} vs {rate['mmdet1']}; mmext batch {BATCH}; {note}"),
        speedup_row(f'folder inference vs DetInferencer, both batch {BATCH} ({size})', times['mmext'],
                    times[f'mmdet{BATCH}'], 1.5, f"{rate['mmext']} vs {rate[f'mmdet{BATCH}']}; {note}"),
        speedup_row(f'folder inference with outputs written vs DetInferencer, batch {BATCH} ({size})',
                    times['mmext+out'], times['mmdet+out'], 1.5,
                    f"{rate['mmext+out']} vs {rate['mmdet+out']}; PNG per image + results json vs mmdet's vis + "
                    f'pred json per image; {note}'),
        Row(f'folder inference: same boxes as DetInferencer ({size})', f'max |d| {worst:.2g} px',
            f'{differs} image(s) with another box count', None, '<= 0.01 px, same counts',
            worst <= 0.01 and differs == 0, 'BatchNorm folded into the convolutions changes the last float bits'),
    ]
