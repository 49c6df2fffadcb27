"""A real one-node Slurm cluster on localhost (munged, slurmctld, slurmd) in a temporary folder, for the tests."""
from __future__ import annotations

import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from mmext.engine.commands.launch import find_free_port

BINARIES = ('munged', 'slurmctld', 'slurmd', 'srun', 'sbatch', 'scontrol', 'sinfo')
INSTALL_HINT = 'apt-get install -y slurm-wlm munge (.ci/run does)'
PARTITION = 'mmext'

# One line per setting, each with why. Paths and ports are filled in per session.
SLURM_CONF = '''\
# Generated for mmext's tests: one node, this machine, no accounting, no cgroups.
ClusterName=mmexttest
# The controller must be named as this host is, or slurmctld refuses to start; it listens on the loopback.
SlurmctldHost={host}(127.0.0.1)
# Free ports picked for this session: no clash with a real cluster or another test session on the machine.
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
# Everything runs as root (slurmd must be root to start tasks), so no slurm user is needed.
SlurmUser=root
SlurmdUser=root
# munge authenticates every RPC; AuthInfo points Slurm (daemons and commands) at the session's own munged.
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
# State, spool, pid and log files stay in the session's folder.
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
# Processes are tracked through /proc and tasks are not bound: no cgroup set-up needed (containers, CI).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# CPUs are the only consumable resource (memory is not counted), scheduled first come first served.
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# The node is usable as soon as slurmd registers, and keeps the CPUs declared below on a smaller machine.
ReturnToService=2
SlurmdParameters=config_overrides
# A job past its time limit gets 10 s between SIGTERM and SIGKILL (default 30): a stuck test ends sooner.
KillWait=10
# The node and its partition; the tests ask for 2 tasks with 1 CPU each.
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} State=UNKNOWN
PartitionName={partition} Nodes={host} Default=YES MaxTime=INFINITE State=UP
'''


class ClusterUnavailable(Exception):
    """Slurm cannot run here; the message says why (the tests skip with it)."""


@dataclass
class SlurmCluster:
    """A running cluster: ``env`` makes Slurm's commands (and the jobs they start) use it."""
    root: Path
    env: dict
    host: str
    partition: str = PARTITION
    daemons: list = field(default_factory=list)

    def run(self, *cmd: str, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
        """Run a Slurm command against this cluster; output captured."""
        return subprocess.run(cmd, env=kwargs.pop('env', self.env), capture_output=True, text=True,
                              timeout=timeout, **kwargs)

    def job(self, job_id: str) -> dict[str, str]:
        """``scontrol show job`` as a dict (JobState, Restarts, ExitCode, ...)."""
        out = self.run('scontrol', '-o', 'show', 'job', job_id).stdout
        return dict(re.findall(r'(\w+)=(\S*)', out))

    def wait_for_job(self, job_id: str, condition, timeout: float, what: str) -> dict[str, str]:
        """Poll the job until ``condition(job)`` holds; fail with the job's state, the end of its output and of
        slurmctld's log when ``timeout`` passes."""
        end = time.time() + timeout
        while True:
            job = self.job(job_id)
            if condition(job):
                return job
            if time.time() > end:
                keys = ('JobState', 'Reason', 'ExitCode', 'Restarts', 'RunTime', 'TimeLimit')
                output = Path(job.get('StdOut', '/nonexistent'))
                raise AssertionError(f'job {job_id}: {what} not reached in {timeout:.0f} s: '
                                     f'{ {k: job.get(k) for k in keys} }\noutput: {_tail(output, 25)}\n'
                                     f"slurmctld: {_tail(self.root / 'slurmctld.log', 15)}")
            time.sleep(0.3)

    def log(self, name: str) -> str:
        path = self.root / f'{name}.log'
        return path.read_text(errors='replace') if path.exists() else ''


def unavailable_reason() -> str | None:
    """Why a cluster cannot be started here, or None."""
    missing = [b for b in BINARIES if shutil.which(b) is None and not os.path.exists(f'/usr/sbin/{b}')]
    if missing:
        return f'Slurm is not installed (missing {", ".join(missing)}): {INSTALL_HINT}'
    if os.geteuid() != 0:
        return 'slurmd must run as root to start job tasks; run the Slurm tests as root'
    host = socket.gethostname().split('.')[0]
    try:
        socket.gethostbyname(host)
    except OSError:
        return f'this host name ({host}) does not resolve, so the node cannot be reached by name; add it to /etc/hosts'
    return None


def _binary(name: str) -> str:
    return shutil.which(name) or f'/usr/sbin/{name}'


def _tail(path: Path, lines: int = 5) -> str:
    text = path.read_text(errors='replace').strip().splitlines() if path.exists() else []
    return ' | '.join(text[-lines:]) or 'no log'


def start_cluster(cpus: int = 4, timeout: float = 30) -> SlurmCluster:
    """Start munged, slurmctld and slurmd in a new temporary folder and wait until the node is idle.

    Nothing of the machine's own Slurm or munge set-up is used or changed: the daemons run in the foreground as
    children of the test process, with their own key, socket, ports, state and logs (:func:`stop_cluster` ends
    them by their process ids).

    Raises:
        ClusterUnavailable: Slurm is missing, or a daemon did not come up (with its log's last lines).
    """
    reason = unavailable_reason()
    if reason:
        raise ClusterUnavailable(reason)
    # munged wants every folder above its socket searchable by all (0711), which pytest's 0700 tmp folders are not.
    root = Path(tempfile.mkdtemp(prefix='mmext-slurm-'))
    root.chmod(0o711)
    for sub in ('munge', 'state', 'spool'):
        (root / sub).mkdir(mode=0o711)
    key = root / 'munge' / 'munge.key'
    key.write_bytes(os.urandom(128))  # a fresh key: credentials of another munged are not accepted, nor ours there
    key.chmod(stat.S_IRUSR | stat.S_IWUSR)
    host = socket.gethostname().split('.')[0]
    munge_socket = root / 'munge' / 'munge.socket'
    conf = root / 'slurm.conf'
    conf.write_text(SLURM_CONF.format(host=host, ctld_port=find_free_port(), slurmd_port=find_free_port(),
                                      munge_socket=munge_socket, root=root, cpus=cpus, partition=PARTITION))
    # The jobs must not see an outer Slurm job's variables (a test session itself run under Slurm).
    env = {k: v for k, v in os.environ.items() if not k.startswith(('SLURM_', 'SBATCH_', 'SRUN_', 'SALLOC_'))}
    env['SLURM_CONF'] = str(conf)
    cluster = SlurmCluster(root=root, env=env, host=host)
    commands = {
        'munged': [_binary('munged'), '--foreground', f'--socket={munge_socket}', f'--key-file={key}',
                   f'--pid-file={root}/munge/munged.pid', f'--log-file={root}/munged.log',
                   f'--seed-file={root}/munge/munged.seed'],
        'slurmctld': [_binary('slurmctld'), '-D', '-i', '-f', str(conf)],  # -i: no state from an earlier run
        'slurmd': [_binary('slurmd'), '-D', '-f', str(conf), '-N', host],
    }
    try:
        for name, cmd in commands.items():
            with open(root / f'{name}.out', 'w') as out:  # the daemon keeps its own copy of the descriptor
                cluster.daemons.append(subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT))
            if name == 'munged':
                _wait(lambda: munge_socket.exists(), timeout, cluster, 'munged')
        _wait(lambda: cluster.run('sinfo', '-h', '-o', '%T', timeout=10).stdout.strip() == 'idle', timeout,
              cluster, 'the node')
    except BaseException:
        stop_cluster(cluster)
        raise
    return cluster


def _wait(ready, timeout: float, cluster: SlurmCluster, what: str) -> None:
    end = time.time() + timeout
    while not ready():
        dead = [p for p in cluster.daemons if p.poll() is not None]
        if dead or time.time() > end:
            logs = '; '.join(f'{n}: {_tail(cluster.root / f"{n}.log")} {_tail(cluster.root / f"{n}.out")}'
                             for n in ('munged', 'slurmctld', 'slurmd'))
            raise ClusterUnavailable(f'{what} did not come up in {timeout:.0f} s ({logs})')
        time.sleep(0.2)


def stop_cluster(cluster: SlurmCluster) -> None:
    """Cancel what still runs, stop the daemons (by their process ids), remove the folder."""
    if any(p.poll() is None for p in cluster.daemons[1:]):
        cluster.run('scancel', '--full', '--partition', cluster.partition, timeout=20)
        end = time.time() + 20
        while cluster.run('squeue', '-h', timeout=10).stdout.strip() and time.time() < end:
            time.sleep(0.3)
    for proc in reversed(cluster.daemons):
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    shutil.rmtree(cluster.root, ignore_errors=True)
