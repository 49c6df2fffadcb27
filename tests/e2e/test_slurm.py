"""tools/slurm_train.sh on a real one-node Slurm (slurm_cluster.py): srun tasks, and a time-limited job's requeue."""
import re
import shlex
import sys
import time

import pytest
import torch

from tests.conftest import DEMO_CONFIG, ROOT, demo_data_options, quick_options
from tests.e2e.slurm_cluster import ClusterUnavailable, start_cluster, stop_cluster

pytestmark = pytest.mark.e2e

FINAL_STATES = {'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY'}


@pytest.fixture(scope='module')
def slurm():
    """The cluster for this module's tests; skipped, with the reason, where Slurm is missing or does not start."""
    try:
        cluster = start_cluster()
    except ClusterUnavailable as err:
        pytest.skip(f'no Slurm cluster could be started here: {err}')
    yield cluster
    stop_cluster(cluster)


def _env(cluster) -> dict:
    # The tasks run this checkout's mmext with this interpreter, one thread each (2 tasks share the machine).
    return dict(cluster.env, PYTHONPATH=str(ROOT), PYTHON=sys.executable, OMP_NUM_THREADS='1',
                PYTHONUNBUFFERED='1', NPROC='2', CPUS_PER_TASK='1')


def test_two_tasks_train_through_srun(slurm, tiny_coco, tmp_path):
    work = tmp_path / 'work'
    result = slurm.run('tools/slurm_train.sh', slurm.partition, 'mmext-two-tasks', DEMO_CONFIG, str(work),
                       '--cfg-options', *demo_data_options(tiny_coco), *quick_options(work), 'custom_hooks=[]',
                       env=_env(slurm), cwd=ROOT, timeout=240)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert 'Distributed launcher: slurm' in out and 'GPU number: 2' in out  # mmengine's words for the world size
    assert 'effective total batch size: 2 process(es) x 4 = 8' in out
    assert out.count('mmext: training finished') == 1  # rank 0 reports, rank 1 does not
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_1.pth']


def test_time_limit_warning_saves_requeues_and_continues(slurm, tiny_coco, tmp_path):
    """sbatch --signal=USR1@60: the ranks save and exit 75 on the warning, slurm_train.sh requeues the job, and the
    requeued job resumes from the saved iteration to the end of the schedule (16 iterations)."""
    config = tmp_path / 'slow_first_run.py'
    config.write_text(f"_base_ = ['{ROOT / DEMO_CONFIG}']\n"
                      "custom_imports = dict(imports=['mmext', 'tests.e2e.fault_hook'], allow_failed_imports=False)\n"
                      "custom_hooks = [dict(type='SlowFirstSlurmRunHook', seconds=3)]\n")
    work, output = tmp_path / 'work', tmp_path / 'job.out'
    # 16 images, 2 ranks x batch 2: 4 iterations per epoch; validation and a regular checkpoint at the end only
    options = [*demo_data_options(tiny_coco), *quick_options(work, epochs=4), 'train_dataloader.batch_size=2',
               'train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=4']
    wrap = shlex.join(['tools/slurm_train.sh', slurm.partition, 'mmext-preempt', str(config), str(work),
                       '--cfg-options', *options])
    # The warning comes 120 s before the time limit; with --time=10 it is not due yet.
    submit = slurm.run('sbatch', '--parsable', '-p', slurm.partition, '-n', '2', '-c', '1', '--time=10',
                       '--signal=USR1@120', '--requeue', '--open-mode=append', f'--output={output}', '--wrap', wrap,
                       env=_env(slurm), cwd=ROOT)
    assert submit.returncode == 0, submit.stderr
    job_id = submit.stdout.strip().split(';')[0]
    job = slurm.wait_for_job(job_id, lambda job: 'Epoch(train)' in _read(output) or job['JobState'] in FINAL_STATES,
                             150, 'training')
    # Once the ranks train, the time limit is cut to between 60 and 120 s from now: the warning is due at once, and
    # slurmctld sends it at its next time-limit check (it checks every 30 s), before the limit itself is reached.
    # The slow first run is still training then.
    limit = _seconds(job['RunTime']) // 60 + 2
    assert slurm.run('scontrol', 'update', f'JobId={job_id}', f'TimeLimit={limit}').returncode == 0
    slurm.wait_for_job(job_id, lambda job: job.get('Restarts') == '1' and job.get('JobState') == 'PENDING', 120,
                       'the requeue')
    # Slurm holds a requeued batch job for 2 minutes (its BeginTime); start it now, with its 10 minutes back. Not
    # within the second of the requeue: slurmd compares credentials to their revocation at one-second resolution,
    # and a run launched in that second is killed ("Job credential revoked", exit 1; seen at load 5).
    time.sleep(2)
    assert slurm.run('scontrol', 'update', f'JobId={job_id}', 'StartTime=now', 'TimeLimit=10').returncode == 0
    done = slurm.wait_for_job(job_id, lambda job: job.get('JobState') in FINAL_STATES, 180, 'the end')
    log = _read(output)
    # (the daemons' logs too: a requeued run that failed without a line of its own was seen once, at load 7)
    assert (done['JobState'], done['ExitCode'], done['Restarts']) == ('COMPLETED', '0:0', '1'), (
        f"{log[-3000:]}\nslurmctld: {slurm.log('slurmctld')[-1500:]}\nslurmd: {slurm.log('slurmd')[-1500:]}")
    assert log.count('SIGUSR1 received') == 2  # both ranks got Slurm's warning
    stopped = re.search(r'preempted \(SIGUSR1\) after iteration (\d+): checkpoint (\S+) saved; exiting with code 75',
                        log)
    assert stopped and 0 < int(stopped[1]) < 16, log[-4000:]
    # srun stops the step as soon as one task exits with 75; the other, still exiting, keeps its 75 (not killed)
    assert not re.search(r'tasks? [0-9-]+: Terminated', log), log[-4000:]
    assert f'exit 75); requeueing job {job_id}' in log
    assert re.search(r'resumed epoch: \d+, iter: (\d+)', log)[1] == stopped[1]  # continued where it stopped
    assert log.count('mmext: training finished') == 1
    final = torch.load(work / 'epoch_4.pth', weights_only=False)
    assert final['meta']['iter'] == 16
    assert (work / 'last_checkpoint').read_text().strip() == str(work / 'epoch_4.pth')


def _seconds(run_time: str) -> int:
    """Seconds in Slurm's ``[D-]HH:MM:SS`` (or ``MM:SS``)."""
    days, _, clock = run_time.rpartition('-')
    seconds = 0
    for part in clock.split(':'):
        seconds = seconds * 60 + int(part)
    return seconds + int(days or 0) * 86400


def _read(path) -> str:
    return path.read_text(errors='replace') if path.exists() else ''
