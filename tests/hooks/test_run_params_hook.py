"""RunParamsHook: the versions a run was made with, sent once to each tracking backend in the form it keeps."""
from importlib import metadata
from types import SimpleNamespace

import pytest
from mmengine.visualization import LocalVisBackend, MLflowVisBackend, TensorboardVisBackend, WandbVisBackend

import mmext
from mmext.hooks.run_params_hook import RunParamsHook, run_versions
from mmext.plugins import PLUGINS, PluginRecord


@pytest.fixture
def one_plugin(monkeypatch):
    record = PluginRecord('trees', 'mmext-trees', '1.2.3', 'trees = mmext_trees:plugin')
    monkeypatch.setattr(PLUGINS, 'records', {'trees': record})


def test_versions_of_the_core_packages_and_the_plugins(one_plugin):
    versions = run_versions()
    assert list(versions)[:6] == ['mmext', 'mmdet', 'mmengine', 'mmcv', 'torch', 'numpy']
    assert versions['mmdet'] == metadata.version('mmdet') == '3.3.0' and versions['mmext'] == mmext.__version__
    assert versions['plugin.trees'] == '1.2.3'


class _Recorder:
    """Stands in for a tracker's client: records every call."""

    def __init__(self) -> None:
        self.calls = []
        self.config = SimpleNamespace(update=lambda values, **kw: self.calls.append(('config', values, kw)))

    def log_params(self, params):
        self.calls.append(('params', params))

    def add_text(self, tag, text):
        self.calls.append(('text', tag, text))


def _backend(cls, attribute: str):
    """A real backend class whose client is a recorder (no tracker is started)."""
    backend = cls.__new__(cls)
    backend._env_initialized = True
    setattr(backend, attribute, _Recorder())
    return backend


def test_each_backend_gets_the_versions_once_before_the_run(one_plugin, tmp_path):
    mlflow, wandb = _backend(MLflowVisBackend, '_mlflow'), _backend(WandbVisBackend, '_wandb')
    board = _backend(TensorboardVisBackend, '_tensorboard')
    lines = []
    runner = SimpleNamespace(logger=SimpleNamespace(info=lines.append), visualizer=SimpleNamespace(_vis_backends=dict(
        mlflow=mlflow, wandb=wandb, tb=board, local=LocalVisBackend(str(tmp_path)))))
    RunParamsHook().before_run(runner)
    versions = run_versions()
    assert mlflow._mlflow.calls == [('params', {f'versions.{k}': v for k, v in versions.items()})]
    assert wandb._wandb.calls == [('config', {'versions': versions}, dict(allow_val_change=True))]
    ((kind, tag, table),) = board._tensorboard.calls
    assert (kind, tag) == ('text', 'versions') and table.startswith('| package | version |\n|---|---|\n')
    assert '| mmdet | 3.3.0 |' in table and '| plugin.trees | 1.2.3 |' in table
    assert lines == ['run versions: ' + ', '.join(f'{k} {v}' for k, v in versions.items())]
    assert 'plugin.trees 1.2.3' in lines[0]


def test_a_runner_without_trackers_only_logs_the_line():
    lines = []
    RunParamsHook().before_run(SimpleNamespace(logger=SimpleNamespace(info=lines.append), visualizer=None))
    assert len(lines) == 1 and lines[0].startswith('run versions: mmext ')
