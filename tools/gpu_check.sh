#!/usr/bin/env bash
# The GPU check (make gpu-check): mmcv's CUDA ops, the demo on one GPU with and without --amp, on two under NCCL
# when there are two, tools/test.py on the checkpoint, images/s per run; at most 8 minutes (tools/gpu_check.py).
# Usage: tools/gpu_check.sh [VENV] [tools/gpu_check.py options]     (VENV: the CUDA stack, default .venv)
set -euo pipefail
venv=${1:-.venv}
shift || true
python3 tools/stack_device.py require-gpu  # one line and exit 1 on a machine without a GPU, before any import
"$venv/bin/python" tools/check_stack.py
exec "$venv/bin/python" tools/gpu_check.py "$@"
