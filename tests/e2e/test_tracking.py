"""The tracking runtimes: one training each, its scalars read back through TensorBoard's, MLflow's and W&B's own
records; a sweep's MLflow runs grouped under the study."""
import json
import struct
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


def test_a_sweeps_mlflow_runs_are_grouped_under_the_study(tiny_coco, tmp_path):
    pytest.importorskip('mlflow')
    from mlflow.tracking import MlflowClient
    uri = f'sqlite:///{tmp_path}/mlflow.db'
    space = tmp_path / 'space.yaml'
    space.write_text('optim_wrapper.optimizer.lr: {type: float, low: 0.001, high: 0.002}\n')
    work = tmp_path / 'sweep'
    opts = demo_data_options(tiny_coco) + quick_options(work, epochs=1) + [
        'custom_hooks=[]', 'default_hooks.checkpoint.save_optimizer=False',
        f'visualizer.vis_backends.1.artifact_location={tmp_path}/artifacts']
    done = run_tool(['tools/sweep.py', _config_with_runtime(tmp_path, 'mlflow'), '--space', str(space), '--trials',
                     '1', '--study', 'lr_study', '--work-dir', str(work), '--sampler', 'random', '--cfg-options',
                     *opts], env={'MLFLOW_TRACKING_URI': uri})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    client = MlflowClient(uri)
    assert client.get_experiment_by_name('mmext') is None  # the runtime's own name gave way to the study's
    (run,) = client.search_runs([client.get_experiment_by_name('lr_study').experiment_id])
    assert run.info.run_name == 'lr_study_trial_0' and client.get_metric_history(run.info.run_id, 'loss')


def _wandb_records(path: Path):
    """The records of a W&B run file (``run-<id>.wandb``): wandb's LevelDB-style log of protobuf ``Record``s
    (a 7-byte file header, 32 KiB blocks, each chunk with a 7-byte header: crc, length, type full/first/middle/
    last). wandb itself reads it only in its Go service, so the test reads it here."""
    from wandb.proto import wandb_internal_pb2
    data = path.read_bytes()
    assert struct.unpack('<4sHB', data[:7])[:2] == (b':W&B', 0xBEE1)
    pos, record = 7, b''
    while pos + 7 <= len(data):
        if 32768 - pos % 32768 < 7:  # a block's tail too short for a header is padding
            pos += 32768 - pos % 32768
            continue
        _, length, kind = struct.unpack('<IHB', data[pos:pos + 7])
        chunk, pos = data[pos + 7:pos + 7 + length], pos + 7 + length
        record = chunk if kind in (1, 2) else record + chunk
        if kind in (1, 4) and length:
            parsed = wandb_internal_pb2.Record()
            parsed.ParseFromString(record)
            yield parsed


def _key(item) -> str:
    return item.key or '/'.join(item.nested_key)  # wandb writes 'coco/bbox_mAP' as the nested key coco, bbox_mAP


def test_wandb_runtime_works_offline(tiny_coco, tmp_path):
    pytest.importorskip('wandb', reason='wandb is not installed: it is an optional extra (pip install wandb, a '
                                        '20 MB wheel with its own Go service), not part of requirements.txt')
    work, losses, maps = _train(tmp_path, tiny_coco, 'wandb', env={'WANDB_MODE': 'offline', 'WANDB_API_KEY': ''})
    (run_file,) = work.glob('*/vis_data/wandb/offline-run-*/run-*.wandb')  # offline, under the work dir
    history, config, runs = [], {}, []
    for record in _wandb_records(run_file):
        kind = record.WhichOneof('record_type')
        if kind == 'run':
            runs.append(record.run)
        elif kind == 'history':
            history.append({_key(item): json.loads(item.value_json) for item in record.history.item})
        elif kind == 'config':
            config.update({_key(item): json.loads(item.value_json) for item in record.config.update})
    assert [run.project for run in runs] == ['mmext']
    assert [h['loss'] for h in history if 'loss' in h] == pytest.approx([v for _, v in losses])
    assert [h['coco/bbox_mAP'] for h in history if 'coco/bbox_mAP' in h] == pytest.approx([v for _, v in maps])
    assert config['train_cfg']['max_epochs'] == 1 and config['versions']['mmdet'] == '3.3.0'
