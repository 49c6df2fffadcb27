"""One share of the inputs through a detector, and a folder sharded over processes (``--gpus N`` / ``--nproc N``)."""
from __future__ import annotations

import json
import os
import os.path as osp
import queue
import tempfile
import time
import traceback

from mmext.errors import MmextError
from mmext.inference.inputs import InputFile, Inputs


def process_shard(opts, images: list[InputFile], videos: list[InputFile], device: str,
                  report=None, detector=None) -> dict:
    """Load the detector and predict on ``images`` and ``videos``, writing their PNGs and videos.

    Args:
        opts: The run's :class:`~mmext.inference.run.InferOptions`.
        images: This share's images, in order.
        videos: This share's videos.
        device: Where the model runs.
        report: Called with the number of images/frames just done (a worker's progress); None shows a
            progress bar here.
        detector: A :class:`~mmext.inference.detector.Detector` already loaded; None loads the one of ``opts``.

    Returns:
        ``coco`` (this share's :class:`~mmext.inference.coco_results.CocoResults` dict), ``skipped`` (unreadable
        files), ``videos`` (their outputs) and ``seconds`` (from the model loaded to the last output).
    """
    import cv2

    from mmext.inference.coco_results import CocoResults
    from mmext.inference.detector import Detector
    from mmext.inference.drawing import draw_prediction, png_path
    from mmext.inference.progress import Progress
    from mmext.inference.slicing import predict_sliced
    from mmext.inference.video import predict_video
    det = detector or Detector(opts.model, opts.checkpoint, device=device, classes=opts.classes,
                               batch_size=opts.batch_size, cfg_options=opts.cfg_options)
    palette = _palette(det)
    bar = None if report else Progress(len(images), 'images', enabled=opts.progress)
    tick = report or bar.update
    start = time.perf_counter()
    results, skipped, names = CocoResults(det.model_classes), [], {item.path: item for item in images}
    for path, img, pred in det.iter_predict([item.path for item in images], slice=opts.slice):
        item = names[path]
        if pred is None:
            skipped.append(path)
        else:
            results.add(item.name, pred)
            if opts.png:
                out = png_path(opts.out_dir, item)
                os.makedirs(osp.dirname(out), exist_ok=True)
                cv2.imwrite(out, draw_prediction(img, pred, opts.score_thr, palette))
        tick(1)
    if bar:
        bar.close()
    done_videos = []
    for item in videos:
        predict = None
        if opts.slice is not None:
            def predict(frames, _prepared):
                return [predict_sliced(det.predictor, frame, opts.slice) for frame in frames]
        vbar = None if report else Progress(0, 'frames', label=f'infer {item.name}', enabled=opts.progress)
        result = predict_video(det.predictor, item.path, item.name, opts.out_dir, opts.score_thr, predict=predict,
                               prepare=opts.slice is None, on_frame=lambda: (report or vbar.update)(1))
        if vbar:
            vbar.close()
        if result is None:
            skipped.append(item.path)
        else:
            done_videos.append(vars(result))
    return dict(coco=results.to_dict(), skipped=skipped, videos=done_videos, seconds=time.perf_counter() - start)


def _palette(det) -> list | None:
    palette = det.model.dataset_meta.get('palette')
    return [tuple(int(c) for c in p) for p in palette] if isinstance(palette, (list, tuple)) and palette else None


def split(items: list, parts: int) -> list[list]:
    """``items`` in ``parts`` contiguous shares of nearly equal size (so that merging keeps the order)."""
    bounds = [round(i * len(items) / parts) for i in range(parts + 1)]
    return [items[bounds[i]:bounds[i + 1]] for i in range(parts)]


def predict_sharded(opts, inputs: Inputs) -> tuple[dict, float]:
    """Predict with ``opts.processes`` processes (one per GPU with ``opts.gpus``, else CPU processes sharing the
    cores), each on a contiguous share of the images and a share of the videos; merge their results in input
    order.

    Returns:
        The merged part (as :func:`process_shard` returns it) and the seconds from the slowest worker's model
        loaded to the last worker's end.

    Raises:
        MmextError: A worker stopped on a user's mistake (its message), or crashed.
    """
    import multiprocessing as mp

    from mmext.inference.class_names import ModelClasses
    from mmext.inference.coco_results import CocoResults
    from mmext.inference.progress import Progress
    n = opts.processes
    ctx = mp.get_context('spawn')  # CUDA and threads do not survive a fork
    updates = ctx.Queue()
    shares = list(zip(split(inputs.images, n), [inputs.videos[k::n] for k in range(n)]))
    threads = max(1, (os.cpu_count() or 1) // n)
    with tempfile.TemporaryDirectory(prefix='mmext-infer-') as tmp:
        outs = [osp.join(tmp, f'part{k}.json') for k in range(n)]
        workers = [ctx.Process(target=_worker, args=(opts, images, videos, f'cuda:{k}' if opts.gpus else opts.device,
                                                     threads, updates, outs[k]), daemon=True)
                   for k, (images, videos) in enumerate(shares)]
        for w in workers:
            w.start()
        bar = Progress(len(inputs.images), 'images', enabled=opts.progress)
        while any(w.is_alive() for w in workers) or not updates.empty():
            try:
                bar.update(updates.get(timeout=0.2))
            except queue.Empty:
                pass
        bar.close()
        parts = []
        for k, w in enumerate(workers):
            w.join()
            if not osp.isfile(outs[k]):
                raise MmextError(f'inference worker {k} died (exit code {w.exitcode}) before writing its results')
            with open(outs[k]) as f:
                parts.append(json.load(f))
    for part in parts:
        if 'error' in part:
            raise (MmextError(part['error']) if part.get('user') else RuntimeError(part['error']))
    merged = CocoResults(ModelClasses((), None, ''))
    for part in parts:
        merged.extend(part['coco'])
    coco = dict(merged.to_dict(), categories=parts[0]['coco']['categories'])
    seconds = max(p['end'] for p in parts) - min(p['end'] - p['seconds'] for p in parts)
    return dict(coco=coco, skipped=[s for p in parts for s in p['skipped']],
                videos=[v for p in parts for v in p['videos']]), seconds


def _worker(opts, images, videos, device, threads, updates, out) -> None:
    import torch
    if device == 'cpu':
        torch.set_num_threads(threads)
    try:
        part = process_shard(opts, images, videos, device, report=updates.put)
        part['end'] = time.time()
    except MmextError as err:
        part = dict(error=str(err), user=True)
    except Exception:  # an unexpected failure: its traceback goes to the parent, which raises it
        part = dict(error=traceback.format_exc())
    with open(out, 'w') as f:
        json.dump(part, f)
