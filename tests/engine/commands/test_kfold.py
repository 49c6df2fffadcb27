"""K-fold end to end on the tiny demo data: 2 folds of 1 epoch through the tool, and every way to resume."""
import json
import shutil

import pytest

from mmext.engine.commands.kfold import fold_config, plan_kfold
from mmext.engine.commands.train import evaluate_checkpoint
from mmext.errors import ConfigError
from tests.conftest import DEMO_CONFIG, demo_data_options, quick_options, run_tool
from tests.datasets.coco_builder import load_tool

KFOLD = load_tool('kfold')


def _options(tiny_coco, work):
    # 1 epoch of 8 images a fold, no prediction PNG; a checkpoint after every iteration, so that a fold can be cut
    # in the middle of its training
    return demo_data_options(tiny_coco) + quick_options(work, epochs=1) + [
        'custom_hooks=[]', 'default_hooks.checkpoint.by_epoch=False', 'default_hooks.checkpoint.interval=1']


def _args(tiny_coco, work, *extra):
    return [DEMO_CONFIG, '--folds', '2', '--work-dir', str(work), *extra, '--cfg-options',
            *_options(tiny_coco, work)]


@pytest.fixture(scope='module')
def two_folds(tiny_coco, tmp_path_factory):
    """One run of the tool: 2 folds of 1 epoch (made from the training file: no fold files yet)."""
    work = tmp_path_factory.mktemp('kfold') / 'run'
    done = run_tool(['tools/kfold.py', *_args(tiny_coco, work)])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return work, done.stdout


def _timestamps(fold):
    return sorted(p.name for p in fold.iterdir() if p.is_dir())


@pytest.mark.e2e
def test_two_folds_train_evaluate_and_report(two_folds, tiny_coco):
    work, out = two_folds
    train = json.loads(open(tiny_coco['train']).read())
    vals = [json.loads((work / 'folds' / f'val{k}.json').read_text()) for k in (0, 1)]
    ids = sorted(i['id'] for v in vals for i in v['images'])
    assert ids == sorted(i['id'] for i in train['images'])  # every image in exactly one val fold
    records = []
    for k in (0, 1):
        fold = work / f'fold_{k}'
        config = (fold / 'config.py').read_text()
        assert f"{work / 'folds' / f'train{k}.json'}" in config and f"{work / 'folds' / f'val{k}.json'}" in config
        record = json.loads((fold / 'metrics.json').read_text())
        # the fold's metrics are those of its own validation, as mmengine logged it
        (log,) = _timestamps(fold)
        last_val = [json.loads(line) for line in open(fold / log / 'vis_data' / 'scalars.json')
                    if 'coco/bbox_mAP' in line][-1]
        assert record['metrics']['coco/bbox_mAP'] == pytest.approx(last_val['coco/bbox_mAP'])
        assert set(record['metrics']) >= {f'coco/bbox_mAP{s}' for s in ('', '_50', '_75', '_s', '_m', '_l')}
        records.append(record)
    summary = json.loads((work / 'kfold_results.json').read_text())
    mean = sum(r['metrics']['coco/bbox_mAP_50'] for r in records) / 2
    assert summary['mean']['coco/bbox_mAP_50'] == pytest.approx(mean)
    assert (work / 'kfold_results.png').stat().st_size > 5000
    assert open(work / 'kfold_results.csv').read().splitlines()[0].startswith('fold,coco/bbox_mAP,')
    table = out[out.index('2-fold cross-validation'):].splitlines()
    assert table[1].split()[:3] == ['fold', 'bbox_mAP', 'bbox_mAP_50']
    assert [line.split()[0] for line in table[3:5] + table[6:8]] == ['0', '1', 'mean', 'std']


@pytest.mark.e2e
def test_resume_trains_only_the_fold_that_is_missing(two_folds, tiny_coco, tmp_path, capsys):
    work = tmp_path / 'run'
    shutil.copytree(two_folds[0], work)
    shutil.rmtree(work / 'fold_1')
    fold0 = (work / 'fold_0' / 'metrics.json').read_text()
    logs0 = _timestamps(work / 'fold_0')
    assert KFOLD.main(_args(tiny_coco, work, '--resume')) == 0
    out = capsys.readouterr().out
    assert 'fold 0 (1 of 2): finished before' in out and 'fold 1 (2 of 2): training on' in out
    assert _timestamps(work / 'fold_0') == logs0 and (work / 'fold_0' / 'metrics.json').read_text() == fold0
    assert (work / 'fold_1' / 'metrics.json').is_file() and len(_timestamps(work / 'fold_1')) == 1


@pytest.mark.e2e
def test_resume_continues_an_interrupted_fold_from_its_checkpoint(two_folds, tiny_coco, tmp_path, capsys):
    work = tmp_path / 'run'
    shutil.copytree(two_folds[0], work)
    fold = work / 'fold_1'
    # what a crash in fold 1's second iteration leaves: the checkpoint of iteration 1 and the pointer to it
    (fold / 'metrics.json').unlink()
    (fold / 'iter_2.pth').unlink()
    (fold / 'last_checkpoint').write_text(str(fold / 'iter_1.pth'))
    assert KFOLD.main(_args(tiny_coco, work, '--resume')) == 0
    assert f"fold 1 (2 of 2): training on {work / 'folds' / 'train1.json'}, validating on " \
           f"{work / 'folds' / 'val1.json'} (resuming from {fold / 'iter_1.pth'})" in capsys.readouterr().out
    new_log = _timestamps(fold)[-1]
    trained = [json.loads(line)['iter'] for line in open(fold / new_log / 'vis_data' / 'scalars.json')
               if '"iter"' in line]
    assert trained == [2]  # only the iteration that was lost
    assert json.loads((fold / 'metrics.json').read_text())['metrics']['coco/bbox_mAP'] >= 0


@pytest.mark.e2e
def test_a_checkpoint_is_evaluated_as_its_fold_was(two_folds, tiny_coco):
    work = two_folds[0]
    plan = plan_kfold(DEMO_CONFIG, 2, str(work), _cfg_options(tiny_coco, work), resume=True, log=lambda _: None)
    record = json.loads((work / 'fold_1' / 'metrics.json').read_text())
    metrics = evaluate_checkpoint(fold_config(plan, 1), record['checkpoint'])
    assert metrics == pytest.approx(record['metrics'])


def _cfg_options(tiny_coco, work):
    parser = KFOLD.build_parser()
    return parser.parse_args(_args(tiny_coco, work)).cfg_options


def test_a_started_run_is_never_overwritten_and_resumed_only_as_it_was(tiny_coco, tmp_path):
    work = tmp_path / 'run'
    options = _cfg_options(tiny_coco, work)
    plan = plan_kfold(DEMO_CONFIG, 2, str(work), options, log=lambda _: None)
    assert sorted(p.name for p in (work / 'folds').iterdir()) == ['train0.json', 'train1.json', 'val0.json',
                                                                  'val1.json']
    with pytest.raises(ConfigError, match='already holds a K-fold run .* pass --resume to continue it'):
        plan_kfold(DEMO_CONFIG, 2, str(work), options)
    with pytest.raises(ConfigError, match=r"--resume: .* other settings \(folds: 2 then, 3 now\)"):
        plan_kfold(DEMO_CONFIG, 3, str(work), options, resume=True)
    assert plan_kfold(DEMO_CONFIG, 2, str(work), options, resume=True, log=lambda _: None) == plan


def test_fold_files_that_do_not_match_are_errors(tiny_coco, tmp_path):
    folds = tmp_path / 'folds'
    options = _cfg_options(tiny_coco, tmp_path)
    plan_kfold(DEMO_CONFIG, 3, str(tmp_path / 'a'), options, folds_dir=str(folds), log=lambda _: None)
    with pytest.raises(ConfigError, match=r'holds more than 2 folds \(val2.json is there\)'):
        plan_kfold(DEMO_CONFIG, 2, str(tmp_path / 'b'), options, folds_dir=str(folds))
    (folds / 'val1.json').unlink()
    with pytest.raises(ConfigError, match='holds some fold files but not val1.json: remake them with python '
                                          'tools/split_coco.py'):
        plan_kfold(DEMO_CONFIG, 3, str(tmp_path / 'c'), options, folds_dir=str(folds))
    with pytest.raises(ConfigError, match='at least 2 folds'):
        plan_kfold(DEMO_CONFIG, 1, str(tmp_path / 'd'), options)
