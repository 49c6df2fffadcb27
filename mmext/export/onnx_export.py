"""ONNX export of a single-stage detector: the graph (legacy TorchScript exporter) and its metadata."""
from __future__ import annotations

import json
import os
import os.path as osp
import warnings
from typing import Any

import numpy as np
import torch

from mmext.errors import ConfigError
from mmext.export.graph import RawOutputs, check_exportable

OPSET = 17


def _test_resize(cfg: Any) -> dict:
    pipeline = cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline') or cfg.get('test_pipeline') or []
    resizes = [t for t in pipeline if t.get('type') == 'Resize']
    if len(resizes) != 1 or 'scale' not in resizes[0]:
        found = [t.get('type') for t in pipeline]
        raise ConfigError(f'export needs the test pipeline to have one Resize(scale=...) (mmdet\'s test-time resize); '
                          f'it has {found}')
    return resizes[0]


def export_metadata(model: Any, input_size: tuple[int, int] | None) -> dict:
    """What the numpy steps (:mod:`mmext.export.steps`) need, read from the built model and its config."""
    head, pre, cfg = model.bbox_head, model.data_preprocessor, model.cfg
    resize = _test_resize(cfg)
    scale = resize['scale']
    scale = (scale, scale) if isinstance(scale, int) else tuple(scale)
    test_cfg = head.test_cfg
    nms_cfg = dict(test_cfg.get('nms', {}))
    if nms_cfg.get('type', 'nms') != 'nms' or nms_cfg.get('class_agnostic'):
        raise ConfigError(f'export: test_cfg.nms={nms_cfg} is not reproduced; class-wise type=\'nms\' only')
    return dict(
        format='mmext-retinanet-v1', classes=list(model.dataset_meta['classes']), num_classes=head.num_classes,
        mean=pre.mean.view(-1).tolist(), std=pre.std.view(-1).tolist(), bgr_to_rgb=bool(pre._channel_conversion),
        pad_size_divisor=int(pre.pad_size_divisor), scale=list(scale), keep_ratio=bool(resize.get('keep_ratio')),
        input_size=list(input_size) if input_size else None,
        strides=[list(s) for s in head.prior_generator.strides],
        base_anchors=[a.tolist() for a in head.prior_generator.base_anchors],
        coder_means=list(head.bbox_coder.means), coder_stds=list(head.bbox_coder.stds),
        clip_border=bool(head.bbox_coder.clip_border),
        wh_ratio_clip=float(getattr(head.bbox_coder, 'wh_ratio_clip', 16 / 1000)),  # decode()'s default
        test_cfg=dict(score_thr=float(test_cfg.get('score_thr', 0)), nms_pre=int(test_cfg.get('nms_pre', -1)),
                      min_bbox_size=float(test_cfg.get('min_bbox_size', -1)),
                      iou_threshold=float(nms_cfg.get('iou_threshold', 0.5)),
                      max_per_img=int(test_cfg.get('max_per_img', 100))))


def default_input_size(meta: dict) -> tuple[int, int]:
    """(H, W) of the padded test-time size: the Resize scale (w, h) padded to ``pad_size_divisor``."""
    d = meta['pad_size_divisor']
    w, h = meta['scale'] if not meta['keep_ratio'] else (max(meta['scale']), min(meta['scale']))
    if meta['keep_ratio'] and meta['scale'][0] < meta['scale'][1]:
        w, h = h, w
    return -(-h // d) * d, -(-w // d) * d


def export_onnx(model: Any, out: str, input_size: tuple[int, int] | None = None, dynamic: bool = False) -> dict:
    """Write ``model``'s raw-output graph to ``out`` with its metadata (``metadata_props['mmext']``, json).

    Args:
        model: A detector from :func:`mmext.export.source.load_detector`.
        out: The ``.onnx`` file (written to a temporary name, then moved: a failed export leaves no half file).
        input_size: Fixed (H, W) of the input; default: the test Resize scale padded to the divisor. Images are
            resized as at test time and zero-padded to it.
        dynamic: Batch, height and width dynamic instead (each image padded to the divisor, as mmdet does).

    Returns:
        The metadata.

    Raises:
        ConfigError: The detector does not export (see :func:`mmext.export.graph.check_exportable`), or the
            options conflict.
    """
    check_exportable(model)
    if dynamic and input_size:
        raise ConfigError('--dynamic and --input-size exclude each other: a dynamic graph takes any size')
    if dynamic and type(getattr(model, 'neck', None)).__name__ == 'BiFPN':
        # the tracer bakes BiFPN's padding and resize sizes (Python arithmetic on shapes) into the graph: at any
        # other input shape the deepest levels come out with the export's sizes
        raise ConfigError('--dynamic does not export BiFPN necks (their resize sizes would be fixed at the export '
                          'shape); export a fixed size (--input-size H W, default the test size)')
    meta = export_metadata(model, None)
    if not dynamic:
        least = default_input_size(meta)
        if input_size and (input_size[0] < least[0] or input_size[1] < least[1]):
            raise ConfigError(f'--input-size {input_size[0]} {input_size[1]} is smaller than the test-time size '
                              f'{least[0]} {least[1]} (the test Resize scale, padded): images would not fit; give '
                              'at least that, or --dynamic')
        meta['input_size'] = list(input_size or least)
    levels = len(meta['strides'])
    names = [f'cls_score_{i}' for i in range(levels)] + [f'bbox_pred_{i}' for i in range(levels)]
    h, w = meta['input_size'] or default_input_size(meta)
    dummy = torch.zeros(1, 3, h, w)
    axes = None
    if dynamic:
        axes = {'image': {0: 'batch', 2: 'height', 3: 'width'}}
        axes.update({n: {0: 'batch', 2: f'h_{n[-1]}', 3: f'w_{n[-1]}'} for n in names})
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    tmp = out + '.part'
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # tracer warnings about Python-side shape arithmetic
        # eval mode on the wrapper too: the exporter restores the mode of the module it is given, recursively
        torch.onnx.export(RawOutputs(model.cpu()).eval(), (dummy,), tmp, input_names=['image'], output_names=names,
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    import onnx
    graph = onnx.load(tmp)
    entry = graph.metadata_props.add()
    entry.key, entry.value = 'mmext', json.dumps(meta)
    onnx.save(graph, tmp)
    os.replace(tmp, out)
    return meta


def read_metadata(path: str) -> dict:
    """The metadata :func:`export_onnx` stored in an ``.onnx`` file."""
    import onnx
    graph = onnx.load(path, load_external_data=False)
    for entry in graph.metadata_props:
        if entry.key == 'mmext':
            return json.loads(entry.value)
    raise ConfigError(f'{path} has no mmext metadata: export it with tools/export.py')


class OnnxDetector:
    """An exported detector run by onnxruntime (CPU), with mmext's numpy pre- and post-processing.

    Example:
        >>> det = OnnxDetector('model.onnx')
        >>> result = det.predict(cv2.imread('img.jpg'))   # bboxes (xyxy), scores, labels; det.classes
    """

    def __init__(self, path: str, threads: int | None = None) -> None:
        import onnxruntime as ort
        self.meta = read_metadata(path)
        self.classes = self.meta['classes']
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])

    def predict(self, img: np.ndarray) -> dict:
        """Detections of one BGR uint8 image, in its pixels (see :func:`mmext.export.steps.postprocess`)."""
        from mmext.export.steps import postprocess, preprocess
        batch, info = preprocess(img, self.meta)
        return postprocess(self.session.run(None, {'image': batch}), self.meta, info)
