#!/usr/bin/env bash
# Train on a Slurm cluster: srun starts one task per GPU (or per CPU process), each runs tools/train.py with
# --launcher slurm.
# Usage: [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] [PYTHON=python] \
#        tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [tools/train.py args...]
# GPUS=16 GPUS_PER_NODE=8 spans two nodes. NPROC=2 NPROC_PER_NODE=2 runs CPU tasks (gloo, no --gres) instead.
# Inside a batch job (sbatch --signal=USR1@120 --requeue ...: the signal goes to the tasks, not B:), a run stopped
# by Slurm's signal saves and exits 75; this script then requeues the job (scontrol requeue), and the requeued job
# (SLURM_RESTART_COUNT > 0) continues with --resume.
set -uo pipefail
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
PYTHON=${PYTHON:-python}
if [ -n "${NPROC:-}" ]; then
  TASKS=(--ntasks="$NPROC" --ntasks-per-node="${NPROC_PER_NODE:-$NPROC}")
else
  GPUS=${GPUS:-8}
  GPUS_PER_NODE=${GPUS_PER_NODE:-8}
  TASKS=(--gres=gpu:"$GPUS_PER_NODE" --ntasks="$GPUS" --ntasks-per-node="$GPUS_PER_NODE")
fi
RESUME=()
if [ "${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then
  RESUME=(--resume)  # a requeued job: continue from the checkpoint its previous run saved
fi
cd "$(dirname "$0")/.." || exit 1
# shellcheck disable=SC2086  # SRUN_ARGS is a list of words
srun -p "$PARTITION" --job-name="$JOB_NAME" "${TASKS[@]}" --cpus-per-task="$CPUS_PER_TASK" --kill-on-bad-exit=1 \
  $SRUN_ARGS "$PYTHON" -u tools/train.py "$CONFIG" --work-dir="$WORK_DIR" --launcher slurm "$@" "${RESUME[@]}"
code=$?
if [ "$code" -eq 75 ] && [ -n "${SLURM_JOB_ID:-}" ]; then
  echo "slurm_train.sh: stopped by a signal and saved (exit 75); requeueing job $SLURM_JOB_ID to continue"
  scontrol requeue "$SLURM_JOB_ID" || echo "slurm_train.sh: scontrol requeue failed: run this script again with --resume"
fi
exit "$code"
