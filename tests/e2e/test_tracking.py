"""The tracking runtimes: one training each, its scalars read back through TensorBoard's and MLflow's own readers."""
import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, demo_data_options, quick_options, run_tool

pytestmark = pytest.mark.e2e


def _config_with_runtime(tmp_path: Path, runtime: str) -> str:
    """The demo config with its default_runtime swapped for a tracking runtime: the one-line switch."""
    base = ROOT / 'configs' / '_base_'
    config = tmp_path / f'demo_{runtime}.py'
    config.write_text(f"""_base_ = ['{base}/models/retinanet_r18_fpn.py', '{base}/datasets/demo_coco.py',
          '{base}/schedules/adamw_cosine_10e.py', '{base}/runtimes/{runtime}.py']
""")
    return str(config)


def _train(tmp_path, tiny_coco, runtime, env=None, extra=()):
    work = tmp_path / 'work'
    opts = demo_data_options(tiny_coco) + quick_options(work, epochs=1) + ['custom_hooks=[]', *extra]
    done = run_tool(['tools/train.py', _config_with_runtime(tmp_path, runtime), '--work-dir', str(work),
                     '--cfg-options', *opts], env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (scalars,) = work.glob('*/vis_data/scalars.json')
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    losses = [(r['step'], r['loss']) for r in records if 'loss' in r]
    maps = [(r['step'], r['coco/bbox_mAP']) for r in records if 'coco/bbox_mAP' in r]
    assert losses and maps
    return work, losses, maps


def _same_series(stored, written):
    """Same steps, same values up to float32: TensorBoard keeps scalars as float32, scalars.json as float64.

    Rounding both to a fixed number of decimals is not enough: a value next to a rounding boundary rounds
    differently in float32 and float64 (2.105825 vs 2.1058249...).
    """
    assert [step for step, _ in stored] == [step for step, _ in written]
    assert [value for _, value in stored] == pytest.approx([value for _, value in written], rel=1e-6, abs=1e-7)


def test_tensorboard_runtime_writes_the_same_scalars(tiny_coco, tmp_path):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    work, losses, maps = _train(tmp_path, tiny_coco, 'tensorboard')
    (events_dir,) = {p.parent for p in work.glob('*/vis_data/events.out.tfevents.*')}
    events = EventAccumulator(str(events_dir), size_guidance={'scalars': 0, 'tensors': 0})
    events.Reload()
    _same_series([(e.step, e.value) for e in events.Scalars('loss')], losses)
    _same_series([(e.step, e.value) for e in events.Scalars('coco/bbox_mAP')], maps)
    assert 'lr' in events.Tags()['scalars']
    texts = {tag: events.Tensors(tag)[0].tensor_proto.string_val[0].decode() for tag in events.Tags()['tensors']}
    versions = next(v for k, v in texts.items() if k.startswith('versions'))
    assert '| mmext |' in versions and '| mmdet | 3.3.0 |' in versions
    assert any('max_epochs=1' in v.replace(' ', '') for k, v in texts.items() if k.startswith('config'))


def test_mlflow_runtime_writes_the_same_scalars_and_params(tiny_coco, tmp_path):
    pytest.importorskip('mlflow')
    from mlflow.tracking import MlflowClient
    uri = f'sqlite:///{tmp_path}/mlflow.db'
    # artifacts (config, logs) to tmp: MLflow's own default is ./mlruns in the current folder
    work, losses, maps = _train(tmp_path, tiny_coco, 'mlflow', env={'MLFLOW_TRACKING_URI': uri},
                                extra=[f'visualizer.vis_backends.1.artifact_location={tmp_path}/artifacts'])
    client = MlflowClient(uri)
    (run,) = client.search_runs([client.get_experiment_by_name('mmext').experiment_id])
    _same_series([(m.step, m.value) for m in client.get_metric_history(run.info.run_id, 'loss')], losses)
    _same_series([(m.step, m.value) for m in client.get_metric_history(run.info.run_id, 'coco/bbox_mAP')], maps)
    params = run.data.params
    assert params['train_cfg.max_epochs'] == '1' and params['versions.mmdet'] == '3.3.0'
    assert 'versions.mmext' in params
    assert any((tmp_path / 'artifacts').rglob('config.py'))
