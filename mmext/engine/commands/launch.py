"""Starting several processes on PyTorch's own launcher (torchrun / torch.distributed.elastic).

``tools/train.py CONFIG --gpus N`` (or ``--nproc N`` on CPU) re-executes itself under torchrun with N processes on
this node and ``--launcher pytorch``; ``--nnodes/--node-rank/--master-addr/--master-port`` span several nodes, and
``--max-restarts K`` lets torchrun restart a failed group, which then resumes from the latest checkpoint.
"""
from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import subprocess
import sys
import tempfile

from mmext.errors import LaunchError

# Variables that torchrun and its elastic agent set in every worker; their presence means "already launched".
# Not SLURM_PROCID: a Slurm batch script has it too (0), and `python tools/train.py CONFIG --gpus 8` there must
# still start its 8 processes; srun's tasks are told apart by --launcher slurm (see relaunch_if_needed).
_LAUNCHED_VARS = ('TORCHELASTIC_RUN_ID', 'LOCAL_RANK', 'OMPI_COMM_WORLD_RANK')


# A file where a worker that stops on an MmextError writes its message, so that the process which started torchrun
# can repeat it as the last line, below torchrun's own report of the failed workers.
WORKER_ERROR_ENV = 'MMEXT_WORKER_ERROR_FILE'


def report_worker_error(message: str, rank: int | None) -> None:
    """In a worker started by ``tools/train.py``'s torchrun, leave ``message`` for the launching process.

    Args:
        message: The error's message.
        rank: The rank that raised it, said with the message; None for an error that every rank raised.

    The file is replaced whole (the last report wins, so after ``--max-restarts`` it is the last attempt's);
    outside such a worker nothing happens.
    """
    path = os.environ.get(WORKER_ERROR_ENV)
    if not path:
        return
    mine = f'{path}.{os.getpid()}'
    try:
        with open(mine, 'w') as f:
            f.write(message if rank is None else f'(rank {rank}) {message}')
        os.replace(mine, path)
    except OSError:  # the launching process is gone, and its folder with it
        pass


def add_launch_arguments(parser: argparse.ArgumentParser, restarts: bool = True) -> None:
    """Add the launching flags shared by ``tools/train.py`` and ``tools/test.py``."""
    group = parser.add_argument_group('launching (torchrun)')
    group.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                       help='set by the launcher: pytorch (torchrun), slurm (srun), mpi')
    group.add_argument('--local_rank', '--local-rank', type=int, default=None, help=argparse.SUPPRESS)
    group.add_argument('--gpus', type=int, default=None, help='GPUs on this node: N > 1 starts N processes')
    group.add_argument('--nproc', type=int, default=None, help='processes on this node (CPU: gloo)')
    group.add_argument('--nnodes', type=int, default=1, help='number of nodes')
    group.add_argument('--node-rank', type=int, default=0, help='rank of this node (0 on the master node)')
    group.add_argument('--master-addr', default='127.0.0.1', help='address of node 0')
    group.add_argument('--master-port', type=int, default=None, help='a free port is found when not given')
    if restarts:
        group.add_argument('--max-restarts', type=int, default=0,
                           help='restart the whole group up to K times after a failure, resuming from the '
                                'latest checkpoint')


def already_launched() -> bool:
    """Whether this process was started by torchrun, srun or mpirun."""
    return any(v in os.environ for v in _LAUNCHED_VARS)


def restart_count() -> int:
    """How many times torchrun has restarted this group (0 on the first start)."""
    return int(os.environ.get('TORCHELASTIC_RESTART_COUNT', '0'))


def processes_per_node(args: argparse.Namespace, cuda_devices: int | None = None) -> int:
    """The number of processes to start on this node from ``--gpus``/``--nproc``, checked against the hardware.

    Raises:
        LaunchError: ``--gpus`` on a machine without (enough) GPUs, or both flags given.
    """
    if args.gpus is not None and args.nproc is not None:
        raise LaunchError('give either --gpus N (CUDA) or --nproc N (CPU processes), not both')
    if args.gpus is not None:
        if cuda_devices is None:
            import torch
            cuda_devices = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if cuda_devices == 0:
            raise LaunchError(f'--gpus {args.gpus}: no CUDA GPU is visible on this machine; '
                              f'use --nproc {args.gpus} to train with {args.gpus} CPU processes')
        if args.gpus > cuda_devices:
            visible = os.environ.get('CUDA_VISIBLE_DEVICES')
            limited = f' (CUDA_VISIBLE_DEVICES={visible} limits this process to those)' if visible else ''
            raise LaunchError(f'--gpus {args.gpus}: only {cuda_devices} CUDA GPU(s) are visible here{limited}; '
                              f'use --gpus {cuda_devices} or fewer')
        return args.gpus
    count = args.nproc if args.nproc is not None else 1
    if count < 1:
        raise LaunchError(f'--nproc must be >= 1, got {count}')
    return count


def find_free_port(host: str = '127.0.0.1') -> int:
    """A TCP port that nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def check_port_free(port: int, host: str = '') -> None:
    """Raise a clear error when ``port`` is taken (torchrun would otherwise wait for a rendezvous that never comes).

    Raises:
        LaunchError: The port is in use.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise LaunchError(f'--master-port {port} is already in use on this machine (another training run?); '
                                  'pick another port or leave --master-port out to get a free one') from None
            raise


# torchrun's agent (torch >= 2.4) hosts one TCPStore for the whole run and hands it to every restarted group,
# without a per-attempt namespace: the keys under which each rank of the previous attempt published its address
# ('default_pg/0//cpu//0/<rank>' for gloo, the NCCL unique id for NCCL) are still there, and a restarted rank that
# reads its peer's key before the peer rewrites it connects to a dead process ("Connection refused", or a hang
# when the two ranks disagree on which one connects). This documented opt-out gives every rendezvous round a new
# store (hosted by worker rank 0 on a port the round agrees on) and thus no stale keys; see
# https://github.com/pytorch/pytorch/issues/135712. It changes nothing for a run without restarts.
FRESH_STORE_PER_ROUND_ENV = {'TORCH_DISABLE_SHARE_RDZV_TCP_STORE': '1'}


def torchrun_command(script: str, script_args: list[str], nproc: int, *, nnodes: int = 1, node_rank: int = 0,
                     master_addr: str = '127.0.0.1', master_port: int, max_restarts: int = 0) -> list[str]:
    """The command that runs ``script`` under torchrun with ``--launcher pytorch``.

    Restarts use torchrun's c10d rendezvous (whose rounds can each get a fresh store, see
    :data:`FRESH_STORE_PER_ROUND_ENV`); the static one hands every restarted group the same store.
    """
    cmd = [sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={nproc}', f'--nnodes={nnodes}']
    if max_restarts > 0:
        cmd += ['--rdzv_backend=c10d', f'--rdzv_endpoint={master_addr}:{master_port}',
                f'--rdzv_id=mmext-{master_port}', f'--max_restarts={max_restarts}']
    else:
        cmd += [f'--node_rank={node_rank}', f'--master_addr={master_addr}', f'--master_port={master_port}']
    return cmd + [script, *script_args, '--launcher', 'pytorch']


def strip_launch_flags(argv: list[str]) -> list[str]:
    """``argv`` without the flags that only matter to the outer process (torchrun gets them instead)."""
    with_value = {'--gpus', '--nproc', '--nnodes', '--node-rank', '--master-addr', '--master-port',
                  '--max-restarts', '--launcher'}
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split('=', 1)[0]
        if name in with_value:
            skip = '=' not in arg
            continue
        out.append(arg)
    return out


def relaunch_if_needed(script: str, argv: list[str], args: argparse.Namespace) -> int | None:
    """Re-execute ``script`` under torchrun when more than one process is asked for and none launched us.

    Args:
        script: The tool's path (``tools/train.py``).
        argv: The tool's own arguments.
        args: The parsed arguments (see :func:`add_launch_arguments`).

    Returns:
        torchrun's exit code when the tool ran under it, or None when this process should do the work itself.

    Raises:
        LaunchError: The flags do not fit this machine.
    """
    nproc = processes_per_node(args)
    srun_tasks = int(os.environ.get('SLURM_STEP_NUM_TASKS') or 1)
    if args.launcher == 'none' and srun_tasks > 1 and nproc > 1 and not already_launched():
        raise LaunchError(f'this process is one of {srun_tasks} tasks that srun started, and each would start '
                          f'{nproc} more: give --launcher slurm (one process per task, as tools/slurm_train.sh '
                          f'does) instead of --gpus/--nproc, or run a single task')
    if already_launched() or args.launcher != 'none' or (nproc == 1 and args.nnodes == 1):
        return None
    port = args.master_port
    if port is None:
        if args.nnodes > 1:
            raise LaunchError('--nnodes > 1 needs the same --master-port (and --master-addr) on every node')
        port = find_free_port()
    elif args.node_rank == 0:
        check_port_free(port)
    cmd = torchrun_command(script, strip_launch_flags(argv), nproc, nnodes=args.nnodes, node_rank=args.node_rank,
                           master_addr=args.master_addr, master_port=port,
                           max_restarts=getattr(args, 'max_restarts', 0))
    print(f"mmext: starting {nproc} process(es) on this node under torchrun: {' '.join(cmd[1:])}", flush=True)
    return _run_torchrun(cmd, FRESH_STORE_PER_ROUND_ENV)


def _run_torchrun(cmd: list[str], env: dict[str, str]) -> int:
    """Run torchrun (with ``env`` added to this process's environment) and return its exit code, or
    PREEMPTED_EXIT_CODE when the workers stopped for a preemption. When they failed on a user's mistake, the
    error is repeated as the last line, below torchrun's report (see :func:`report_worker_error`).

    Ctrl-C reaches torchrun and its workers through the process group, so this process ignores it while it
    waits: the workers finish their iteration and save (see PreemptionHook) instead of being killed. A SIGTERM
    or SIGUSR1 sent to this process alone (a scheduler) is passed on to torchrun, which passes it to the workers.
    """
    from mmext.runtime.preemption import PREEMPTED_EXIT_CODE, PREEMPTED_MARKER_ENV
    with tempfile.TemporaryDirectory(prefix='mmext-launch-') as tmp:
        marker, error = os.path.join(tmp, 'preempted'), os.path.join(tmp, 'error')
        child = subprocess.Popen(cmd, env=dict(os.environ, **env, **{PREEMPTED_MARKER_ENV: marker,
                                                                      WORKER_ERROR_ENV: error}))
        forward = {sig: signal.signal(sig, lambda signum, _: child.send_signal(signum))
                   for sig in (signal.SIGTERM, signal.SIGUSR1)}
        forward[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            code = child.wait()
        finally:
            for sig, previous in forward.items():
                signal.signal(sig, previous)
        if os.path.exists(marker):
            return PREEMPTED_EXIT_CODE
        if code != 0 and os.path.exists(error):
            with open(error) as f:
                print(f'error: {f.read()}', file=sys.stderr, flush=True)
        return code


def set_local_rank(local_rank: int | None) -> None:
    """Honour ``--local_rank`` from old launchers: torchrun sets LOCAL_RANK itself."""
    if local_rank is not None and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(local_rank)
