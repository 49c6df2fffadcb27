"""The shared body of ``tools/train.py`` and ``tools/test.py``: relaunch under torchrun when asked, run the job,
print its summary once (rank 0), turn a user's mistake into one ``error:`` line with exit code 1, and end the
process group so that no rank aborts on its way out."""
from __future__ import annotations

import argparse
import signal
import sys
from typing import Callable


def run_job(script: str, argv: list[str], args: argparse.Namespace, job: Callable[[], str],
            check: Callable[[], None] | None = None) -> int:
    """Run ``job`` in this process, or this script under torchrun when several processes are asked for.

    Args:
        script: The tool's path, re-executed by torchrun.
        argv: The tool's own arguments.
        args: The parsed arguments (with the flags of ``mmext.engine.commands.launch.add_launch_arguments``).
        job: Does the work and returns the summary to print.
        check: Raises an MmextError for flags this machine cannot honour; run before torchrun starts workers
            that would each fail on them (and torchrun would add its report of the failures).

    Returns:
        The exit code: 0, 1 for a user's mistake, 75 after a preemption, or torchrun's when it ran the job.
    """
    from mmengine.dist import get_rank

    from mmext.compat.distributed import close_process_group
    from mmext.engine.commands.launch import relaunch_if_needed, report_worker_error, set_local_rank
    from mmext.errors import MmextError
    try:
        if check is not None:
            check()
        code = relaunch_if_needed(script, argv, args)
        if code is not None:
            return code
        set_local_rank(args.local_rank)
        summary = job()
    except MmextError as err:
        if get_rank() == 0 or not err.on_every_rank:  # an error that every rank raised is said once
            print(f'error: {err}', file=sys.stderr)
            report_worker_error(str(err), None if err.on_every_rank else get_rank())
        if not err.on_every_rank:
            return 1  # the barrier in close_process_group could wait for ranks that are still training
        code, summary = 1, None
    except SystemExit as stop:  # a preemption (PreemptionHook): the ranks agreed to stop after the same iteration
        code, summary = stop.code, None
        # Saved, and on the way out: as soon as the first rank exits with 75, srun (--kill-on-bad-exit) and torchrun
        # send SIGTERM to the others, which would turn their 75 into "terminated". Every rank ignores it from here,
        # before the barrier below, so none exits before all do.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    else:
        code = 0
    # Out of the except blocks: the error's traceback holds the runner, and through it the process group that
    # close_process_group must free.
    if summary is not None and get_rank() == 0:
        print(summary, flush=True)
    close_process_group()
    return code
