"""``RunParamsHook``: record the versions a run was made with (mmext, mmdet, mmengine, mmcv, torch and every loaded
mmext plugin) as run parameters in the experiment trackers.

mmengine's own backends already record the resolved config when the Runner starts (``add_config``: MLflow logs it
flattened as params plus ``config.py``, W&B as its run config, TensorBoard as text); this hook adds what the config
does not say. The tracking runtimes in ``configs/_base_/runtimes/`` turn it on together with their backend.

Example:
    >>> default_hooks = dict(run_params=dict(type='RunParamsHook'))
"""
from __future__ import annotations

from importlib import metadata

from mmdet.registry import HOOKS
from mmengine.dist import master_only
from mmengine.hooks import Hook

from mmext.registry import register

_CORE = ('mmext', 'mmdet', 'mmengine', 'mmcv', 'torch', 'numpy')


def run_versions() -> dict[str, str]:
    """``{'mmext': '0.1.0', ..., 'plugin.<name>': '<version>'}`` for the core packages and the mmext plugins.

    Plugins come from mmext's plugin manager when it exists, otherwise from the ``mmext.plugins`` entry points.
    """
    versions = {}
    for name in _CORE:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    for name, version in _plugin_versions().items():
        versions[f'plugin.{name}'] = version
    return versions


def _plugin_versions() -> dict[str, str]:
    try:
        from mmext.plugins import PLUGINS  # the plugin manager, where this mmext has one
        return {name: record.version for name, record in PLUGINS.records.items()}
    except ImportError:
        found = {}
        for ep in metadata.entry_points(group='mmext.plugins'):
            found[ep.name] = ep.dist.version if ep.dist is not None else 'unknown'
        return found


@register(HOOKS)
class RunParamsHook(Hook):
    """Log :func:`run_versions` to every tracking backend of the runner's visualizer, once, before the run.

    MLflow gets them as params (``versions.<package>``), W&B in its run config (``versions``), TensorBoard as a
    text summary (``versions``); the local backend and the log file get one log line.
    """

    priority = 'VERY_LOW'

    @master_only
    def before_run(self, runner) -> None:
        """Send the versions to each backend (only the main process tracks)."""
        from mmengine.visualization import MLflowVisBackend, TensorboardVisBackend, WandbVisBackend
        versions = run_versions()
        runner.logger.info('run versions: ' + ', '.join(f'{k} {v}' for k, v in versions.items()))
        for backend in getattr(runner.visualizer, '_vis_backends', {}).values():
            if isinstance(backend, MLflowVisBackend):
                backend.experiment.log_params({f'versions.{k}': v for k, v in versions.items()})
            elif isinstance(backend, WandbVisBackend):
                backend.experiment.config.update({'versions': versions}, allow_val_change=True)
            elif isinstance(backend, TensorboardVisBackend):
                table = '\n'.join(f'| {k} | {v} |' for k, v in versions.items())
                backend.experiment.add_text('versions', '| package | version |\n|---|---|\n' + table)
