"""What ``tools/infer.py`` does: inputs -> detector -> PNGs, a COCO results json, annotated videos; a summary."""
from __future__ import annotations

import json
import os
import os.path as osp
import time
from dataclasses import dataclass, field

from mmext.errors import MmextError, first_few
from mmext.inference.class_names import ClassesArg
from mmext.inference.drawing import png_path
from mmext.inference.inputs import Inputs, discover_inputs
from mmext.inference.slicing import SliceOptions
from mmext.inference.video import video_outputs

RESULTS_FILE = 'results.json'


@dataclass
class InferOptions:
    """``tools/infer.py``'s options (see its ``--help``)."""
    model: str
    inputs: list[str]
    out_dir: str
    checkpoint: str | None = None
    score_thr: float = 0.3
    batch_size: int = 8
    device: str = 'cpu'
    processes: int = 1
    gpus: bool = False
    classes: ClassesArg = None
    slice: SliceOptions | None = None
    png: bool = True
    overwrite: bool = False
    cfg_options: dict | None = None
    progress: bool = True
    image_root: str | None = None


@dataclass
class InferSummary:
    """What a run produced."""
    images: int = 0
    frames: int = 0
    skipped: list[str] = field(default_factory=list)
    videos: list = field(default_factory=list)
    seconds: float = 0.0
    predict_seconds: float = 0.0
    results_json: str | None = None
    out_dir: str = ''
    processes: int = 1

    @property
    def images_per_s(self) -> float:
        """Images (and frames) per second of prediction and writing, model loading excluded."""
        return (self.images + self.frames) / self.predict_seconds if self.predict_seconds > 0 else 0.0


def existing_outputs(opts: InferOptions, inputs: Inputs) -> list[str]:
    """The files this run would write that are already there."""
    wanted = [osp.join(opts.out_dir, RESULTS_FILE)] if inputs.images else []
    if opts.png:
        wanted += [png_path(opts.out_dir, item) for item in inputs.images]
    for item in inputs.videos:
        wanted += list(video_outputs(opts.out_dir, item.name))
    return [p for p in wanted if osp.exists(p)]


def run_inference(opts: InferOptions) -> InferSummary:
    """Predict on every input and write the outputs into ``opts.out_dir``.

    Unreadable images and videos are skipped and listed in the summary; the rest are processed. The results
    json is written last, atomically.

    Raises:
        InputError: A missing input, a folder without images (see :func:`discover_inputs`).
        MmextError: The out dir already holds outputs of an earlier run and ``overwrite`` is off, or the model
            cannot be loaded.
    """
    from mmext.inference.sharding import predict_sharded, process_shard
    start = time.perf_counter()
    inputs = discover_inputs(opts.inputs, opts.image_root)
    clash = existing_outputs(opts, inputs)
    if clash and not opts.overwrite:
        raise MmextError(f'out dir {opts.out_dir} already holds outputs of an earlier run '
                         f'({first_few([osp.relpath(p, opts.out_dir) for p in clash])}): pass --overwrite '
                         'to replace them, or another --out-dir')
    os.makedirs(opts.out_dir, exist_ok=True)
    if opts.processes > 1:
        part, predict_seconds = predict_sharded(opts, inputs)
    else:
        part = process_shard(opts, inputs.images, inputs.videos, device=opts.device)
        predict_seconds = part['seconds']
    summary = InferSummary(images=len(part['coco']['images']), frames=sum(v['frames'] for v in part['videos']),
                           skipped=part['skipped'], videos=part['videos'], out_dir=opts.out_dir,
                           predict_seconds=predict_seconds, processes=opts.processes)
    if inputs.images:
        from mmext.runtime.checkpoint_files import atomic_write_bytes
        summary.results_json = osp.join(opts.out_dir, RESULTS_FILE)
        atomic_write_bytes(json.dumps(part['coco']).encode(), summary.results_json)
    summary.seconds = time.perf_counter() - start
    return summary


def format_summary(summary: InferSummary) -> str:
    """The lines printed at the end of ``tools/infer.py``."""
    lines = [f'mmext: inference finished in {summary.seconds:.1f}s']
    unit = 'images/s' if summary.images else 'frames/s'
    speed = f'{summary.images_per_s:.1f} {unit}' + (f' over {summary.processes} processes'
                                                    if summary.processes > 1 else '')
    if summary.images:
        lines.append(f'  images:          {summary.images} ({speed})')
        lines.append(f'  results:         {summary.results_json}')
    for video in summary.videos:
        lines.append(f"  video:           {video['path']}: {video['frames']} frames -> {video['video_out']}, "
                     f"{video['json_out']}")
    if summary.frames and not summary.images:
        lines.append(f'  frames:          {summary.frames} ({speed})')
    lines.append(f'  out dir:         {summary.out_dir}')
    if summary.skipped:
        shown = ', '.join(summary.skipped[:20]) + (' ...' if len(summary.skipped) > 20 else '')
        lines.append(f'  skipped:         {len(summary.skipped)} unreadable file(s): {shown}')
    return '\n'.join(lines)


def split_positionals(values: list[str]) -> tuple[str, str | None, list[str]]:
    """``CONFIG_OR_WORK_DIR [CHECKPOINT] INPUT...`` -> (model, checkpoint or None, inputs): the second value is
    the checkpoint when it is a ``.pth`` file.

    Raises:
        InputError: No input after the model.
    """
    from mmext.errors import InputError
    model, rest = values[0], values[1:]
    checkpoint = rest.pop(0) if rest and rest[0].endswith('.pth') else None
    if not rest:
        raise InputError('no input given after the model: pass images, folders, globs, text files of paths or '
                         'videos, e.g. tools/infer.py work_dirs/demo data/demo/images --out-dir preds')
    return model, checkpoint, rest


def process_count(gpus: int | None, nproc: int | None, cuda_devices: int | None = None) -> tuple[int, bool]:
    """(processes, whether one per GPU) from ``--gpus N`` / ``--nproc N``.

    Raises:
        MmextError: Both given, a count below 1, or more GPUs than this machine has.
    """
    if gpus is not None and nproc is not None:
        raise MmextError('give either --gpus N (one process per GPU) or --nproc N (CPU processes), not both')
    count = gpus if gpus is not None else nproc if nproc is not None else 1
    if count < 1:
        raise MmextError(f'--{"gpus" if gpus is not None else "nproc"} must be >= 1, got {count}')
    if gpus is None:
        return count, False
    if cuda_devices is None:
        import torch
        cuda_devices = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if gpus > cuda_devices:
        hint = f'; use --nproc {gpus} for {gpus} CPU processes' if cuda_devices == 0 else ''
        raise MmextError(f'--gpus {gpus}: {cuda_devices} CUDA GPU(s) are visible on this machine{hint}')
    return count, True
