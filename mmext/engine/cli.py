"""The shared body of ``tools/train.py`` and ``tools/test.py``: relaunch under torchrun when asked, run the job,
print its summary once (rank 0), and turn a user's mistake into one ``error:`` line with exit code 1."""
from __future__ import annotations

import argparse
import sys
from typing import Callable


def run_job(script: str, argv: list[str], args: argparse.Namespace, job: Callable[[], str]) -> int:
    """Run ``job`` in this process, or this script under torchrun when several processes are asked for.

    Args:
        script: The tool's path, re-executed by torchrun.
        argv: The tool's own arguments.
        args: The parsed arguments (with the flags of ``mmext.engine.launch.add_launch_arguments``).
        job: Does the work and returns the summary to print.

    Returns:
        The exit code: 0, 1 for a user's mistake, or torchrun's (75 after a preemption).
    """
    from mmext.engine.launch import relaunch_if_needed
    from mmext.engine.train import set_local_rank
    from mmext.errors import MmextError
    try:
        code = relaunch_if_needed(script, argv, args)
        if code is not None:
            return code
        set_local_rank(args.local_rank)
        summary = job()
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    from mmengine.dist import get_rank

    from mmext.compat.distributed import close_process_group
    if get_rank() == 0:
        print(summary, flush=True)
    close_process_group()
    return 0
