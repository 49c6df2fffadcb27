"""What ``tools/train.py`` does, as functions that tests call directly."""
from __future__ import annotations

import os.path as osp
import time
from dataclasses import dataclass, field

from mmengine.config import Config
from mmengine.runner import find_latest_checkpoint

from mmext.engine.commands.launch import restart_count
from mmext.engine.config.prepare import explain_build_error
from mmext.engine.runner import build_runner
from mmext.errors import ConfigError

PREDICTIONS_PNG = 'predictions.png'
# What --amp turns each optim wrapper type into (an AMP type stays as it is).
AMP_WRAPPERS = {
    'OptimWrapper': 'AmpOptimWrapper',
    'NonFiniteGuardOptimWrapper': 'NonFiniteGuardAmpOptimWrapper',
    'AmpOptimWrapper': 'AmpOptimWrapper',
    'NonFiniteGuardAmpOptimWrapper': 'NonFiniteGuardAmpOptimWrapper',
}


@dataclass
class TrainResult:
    """What a finished training run left behind, for the summary a user sees."""
    work_dir: str
    seconds: float
    metrics: dict = field(default_factory=dict)
    checkpoint: str | None = None
    predictions_png: str | None = None


def configure(cfg: Config, config_path: str, *, work_dir: str | None = None, amp: bool = False,
              auto_scale_lr: bool = False, resume: str | None = None, launcher: str = 'none',
              seed: int | None = None, deterministic: bool = False) -> Config:
    """Apply ``tools/train.py``'s flags to a config, with the meaning mmdet's ``tools/train.py`` gives them.

    Args:
        cfg: The loaded config; changed in place.
        config_path: The config file, for the default work dir ``work_dirs/<config name>``.
        work_dir: ``--work-dir``.
        amp: ``--amp``: mixed precision through mmengine's AmpOptimWrapper (needs CUDA).
        auto_scale_lr: ``--auto-scale-lr``: scale the lr by the real total batch size.
        resume: ``--resume``: ``'auto'`` for the latest checkpoint in the work dir, or a checkpoint path.
        launcher: ``--launcher``.
        seed: ``--seed``: the config's ``randomness.seed``.
        deterministic: ``--deterministic``: ``randomness.deterministic`` (deterministic algorithms, slower).

    Returns:
        The same config.

    Raises:
        ConfigError: A flag cannot apply to this config or machine.
    """
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])
    cfg.setdefault('runner_type', 'MMExtRunner')
    if seed is not None or deterministic:
        randomness = dict(cfg.get('randomness') or {})
        if seed is not None:
            randomness['seed'] = seed
        if deterministic:
            randomness['deterministic'] = True
        cfg.randomness = randomness
    if amp:
        check_amp_device()
        wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper_type not in AMP_WRAPPERS:
            raise ConfigError(f"--amp knows how to switch optim_wrapper types {sorted(AMP_WRAPPERS)} to mixed "
                              f"precision, not {wrapper_type!r}; set an AMP wrapper in the config instead")
        cfg.optim_wrapper.type = AMP_WRAPPERS[wrapper_type]
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if auto_scale_lr:
        scale = cfg.get('auto_scale_lr')
        if not scale or 'base_batch_size' not in scale:
            raise ConfigError('--auto-scale-lr needs auto_scale_lr = dict(enable=False, base_batch_size=N) in the '
                              'config, N being the total batch size the learning rate was tuned for')
        scale['enable'] = True
    if restart_count() > 0 and find_latest_checkpoint(cfg.work_dir):
        resume = 'auto'  # torchrun restarted the group: continue from the latest checkpoint, not from scratch
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        if not osp.isfile(resume):
            raise ConfigError(f'--resume {resume}: no such checkpoint file')
        cfg.resume = True
        cfg.load_from = resume
    return cfg


def check_amp_device() -> None:
    """``--amp`` needs CUDA: say so in one line, before any process is started or config loaded.

    Raises:
        ConfigError: No CUDA GPU is visible.
    """
    import torch
    if not torch.cuda.is_available():
        raise ConfigError("--amp needs a CUDA GPU (mmengine's AmpOptimWrapper) and none is visible here; "
                          'drop --amp to train in full precision on the CPU')


def train(cfg: Config) -> TrainResult:
    """Train (and validate, as the config's schedule says) and report what the run left behind.

    Args:
        cfg: A config prepared by :func:`configure`.

    Returns:
        The run's final validation metrics, checkpoint and pictures.
    """
    start = time.time()
    runner = build_runner(cfg)
    try:
        runner.train()
    except KeyError as err:
        readable = explain_build_error(err)
        if readable is None:
            raise
        raise readable from None
    return collect_result(runner.work_dir, runner.message_hub, time.time() - start)


def train_and_close(cfg: Config) -> TrainResult:
    """:func:`train`, then close what mmengine keeps open under the run's names (its log file, its visualizer),
    so that several runs in one process (K-fold folds, sweep trials) each log to their own work dir."""
    try:
        return train(cfg)
    finally:
        close_run_instances(cfg.get('experiment_name'), (cfg.get('visualizer') or {}).get('name'))


def evaluate_checkpoint(cfg: Config, checkpoint: str) -> dict:
    """Run the config's validation on ``checkpoint`` and return its metrics (what a training's last validation
    would have given)."""
    cfg.load_from, cfg.resume = checkpoint, False
    cfg.setdefault('runner_type', 'MMExtRunner')
    # an evaluation writes no checkpoint (a checkpoint hook set up for training is never readied by val())
    cfg.default_hooks = dict(cfg.get('default_hooks') or {}, checkpoint=None)
    try:
        return dict(build_runner(cfg).val() or {})
    finally:
        close_run_instances(cfg.get('experiment_name'), (cfg.get('visualizer') or {}).get('name'))


def close_run_instances(experiment_name: str | None, visualizer_name: str | None) -> None:
    """Close a finished (or failed) run's log file handlers and its visualizer; the console handler stays."""
    from mmengine.logging import MMLogger
    from mmengine.visualization import Visualizer
    if visualizer_name and Visualizer.check_instance_created(visualizer_name):
        Visualizer.get_instance(visualizer_name).close()  # a failed run never reached LoggerHook.after_run
    if not experiment_name:
        return
    for name, logger in list(MMLogger._instance_dict.items()):
        if name.startswith(experiment_name):
            for handler in list(logger.handlers):
                if hasattr(handler, 'baseFilename'):
                    handler.close()
                    logger.removeHandler(handler)


def collect_result(work_dir: str, message_hub, seconds: float) -> TrainResult:
    """Gather the last validation metrics (from the message hub), the latest checkpoint and the PNG."""
    metrics = {key[len('val/'):]: buf.current() for key, buf in message_hub.log_scalars.items()
               if key.startswith('val/')}
    pointer = osp.join(work_dir, 'last_checkpoint')
    checkpoint = open(pointer).read().strip() if osp.isfile(pointer) else None
    png = osp.join(work_dir, PREDICTIONS_PNG)
    return TrainResult(work_dir=work_dir, seconds=seconds, metrics=metrics, checkpoint=checkpoint,
                       predictions_png=png if osp.isfile(png) else None)


def format_summary(result: TrainResult) -> str:
    """The lines printed at the end of a run: the headline metric first, then where everything is."""
    minutes, seconds = divmod(int(round(result.seconds)), 60)
    lines = [f'mmext: training finished in {minutes}m{seconds:02d}s']
    if 'coco/bbox_mAP' in result.metrics:
        m = result.metrics
        lines.append(f"  bbox mAP (val):  {m['coco/bbox_mAP']:.3f}   "
                     f"(mAP50 {m.get('coco/bbox_mAP_50', float('nan')):.3f}, "
                     f"mAP75 {m.get('coco/bbox_mAP_75', float('nan')):.3f})")
    else:
        lines.append('  bbox mAP (val):  none: the model made no detections above test_cfg.score_thr on the val '
                     'split (train longer, or check the loss in the log)')
    lines.append(f'  work dir:        {result.work_dir}')
    if result.checkpoint:
        lines.append(f'  checkpoint:      {result.checkpoint}')
    if result.predictions_png:
        lines.append(f'  predictions:     {result.predictions_png}')
    return '\n'.join(lines)
