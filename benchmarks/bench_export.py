"""ONNX export: onnxruntime's CPU latency per image against torch's (mmdet's ``inference_detector``), and the
largest difference of their detections; the demo RetinaNet (R18 half width, 64-channel FPN) at 160x128."""
from __future__ import annotations

import tempfile

from benchmarks.common import Measure, Row, load_average, speedup_row


def _demo_model(work: str):
    """The demo detector with its initial weights, saved as a checkpoint with class names and loaded back as
    tools/export.py loads it (no training: latency does not depend on the weights)."""
    import torch
    from mmengine.config import Config

    import mmext  # noqa: F401
    from mmdet.apis import init_detector
    from mmext.export.source import load_detector
    cfg = Config.fromfile('configs/demo/retinanet_r18_fpn_10e_demo.py')
    cfg.model.bbox_head.num_classes = 3
    model = init_detector(cfg, None, device='cpu')
    ckpt = f'{work}/demo.pth'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('circle', 'square', 'triangle')))), ckpt)
    cfg.dump(f'{work}/demo.py')
    return load_detector(f'{work}/demo.py', ckpt)


def rows(quick: bool) -> list[Row]:
    import numpy as np
    import torch

    from mmext.export.check import compare, latency
    from mmext.export.onnx_export import OnnxDetector, export_onnx
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as work:
        model = _demo_model(work)
        export_onnx(model, f'{work}/demo.onnx')
        runtime = OnnxDetector(f'{work}/demo.onnx', threads=threads)
        rng = np.random.default_rng(0)
        images = [(f'random {i}', rng.integers(0, 256, (128, 160, 3), dtype=np.uint8)) for i in range(4)]
        parity = compare(model, runtime, images)
        times = latency(model, runtime, images[0][1], repeats=5 if quick else 50)
    note = (f'one image end to end (resize, network, decoding, NMS), {threads} threads both; '
            f'{parity.line()}; {load_average()}')
    return [speedup_row('ONNX export: onnxruntime vs torch CPU latency (demo RetinaNet, 160x128)',
                        Measure(times['onnxruntime']), Measure(times['torch']), at_least=1.0, note=note),
            Row('ONNX export: largest box / score difference vs torch (4 images)',
                f'{parity.max_box_diff:.1e} px / {parity.max_score_diff:.1e}', None, None, '<= 1e-3', parity.ok)]
