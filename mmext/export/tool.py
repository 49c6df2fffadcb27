"""What ``tools/export.py`` does: load, export, check against torch, and say so in a few lines."""
from __future__ import annotations

import glob
import os.path as osp
import statistics
from typing import Sequence

from mmext.errors import ConfigError


def sample_images(model, count: int) -> list[str]:
    """The first ``count`` images of the config's test split (by its annotation file, else its image folder)."""
    ds = model.cfg.test_dataloader.dataset
    while 'dataset' in ds:
        ds = ds['dataset']
    root = ds.get('data_root') or ''
    folder = osp.join(root, (ds.get('data_prefix') or {}).get('img', ''))
    found = sorted(p for p in glob.glob(osp.join(folder, '*')) if p.lower().endswith(('.jpg', '.jpeg', '.png', '.bmp')))
    if not found:
        raise ConfigError(f'no sample images for the check in the test split\'s folder {folder}: pass --images '
                          'IMG ... (or --no-check)')
    return found[:count]


def run_export(source: str, checkpoint: str | None, out: str, *, input_size: Sequence[int] | None = None,
               dynamic: bool = False, images: Sequence[str] | None = None, num_images: int = 8,
               check: bool = True) -> str:
    """Export ``source`` to ``out`` and check it; returns the summary lines.

    Raises:
        mmext.errors.MmextError: See :func:`~mmext.export.source.load_detector`,
            :func:`~mmext.export.onnx_export.export_onnx`, :func:`~mmext.export.check.read_images`.
    """
    from mmext.export.onnx_export import OnnxDetector, export_onnx
    from mmext.export.source import load_detector
    if not out.endswith('.onnx'):
        raise ConfigError(f'--out {out}: an ONNX model is written to a .onnx file')
    model = load_detector(source, checkpoint)
    meta = export_onnx(model, out, tuple(input_size) if input_size else None, dynamic)
    shape = 'dynamic' if dynamic else 'x'.join(map(str, meta['input_size']))
    lines = [f'mmext: exported {type(model).__name__} ({type(model.bbox_head).__name__}, '
             f'{len(meta["classes"])} classes) to {out} (input {shape}, opset 17)']
    if check:
        from mmext.export.check import compare, latency, read_images
        loaded = read_images(images or sample_images(model, num_images))
        runtime = OnnxDetector(out)
        lines.append('  ' + compare(model, runtime, loaded).line())
        times = latency(model, runtime, loaded[0][1])
        t, o = statistics.median(times['torch']), statistics.median(times['onnxruntime'])
        lines.append(f'  CPU latency per image: torch {t * 1000:.1f} ms, onnxruntime {o * 1000:.1f} ms '
                     f'({t / o:.2f}x faster)')
    return '\n'.join(lines)
