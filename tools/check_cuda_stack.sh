#!/usr/bin/env bash
# make check-cuda-stack: the CUDA stack set up by tools/install_stack.sh (MMEXT_DEVICE=cuda) in its own venv and
# checked on this machine, with or without a GPU: (a) torch's CUDA build installs, (b) mmcv 2.1.0 compiles with its
# CUDA kernels (timed), (c) mmcv.ops imports and its extension holds CUDA kernels, (d) the whole test suite passes
# on the CUDA build of torch, (e) `make demo` trains with it. Prints every figure at the end; log in VENV.check.log.
# Usage: tools/check_cuda_stack.sh [VENV]    (default .venv-cuda; TORCH_CUDA_ARCH_LIST default "8.0;9.0")
set -euo pipefail
venv=${1:-.venv-cuda}
py="$venv/bin/python"
export MMEXT_DEVICE=cuda TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-8.0;9.0}
log="$venv.check.log"
: > "$log"
figures=()
say() { echo "[check-cuda-stack] $*" | tee -a "$log"; }
figure() { figures+=("$*"); say "$*"; }
step() {  # step NAME COMMAND...: run it, its output into the log, and time it
  local name=$1 start=$SECONDS
  shift
  say "$name: $*"
  if ! "$@" 2>&1 | tee -a "$log"; then say "$name FAILED (see $log)"; exit 1; fi
  elapsed=$(( SECONDS - start ))
}

step "set-up (a, b)" bash tools/install_stack.sh "$venv"
figure "set-up: ${elapsed} s in all (tools/install_stack.sh $venv, MMEXT_DEVICE=cuda)"
figure "(a) torch: $("$py" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda,
  "| GPU visible:", torch.cuda.is_available())')"
built=$(grep -o 'mmcv 2.1.0 built in [0-9]* s' "$log" | tail -1 || true)
figure "(b) mmcv 2.1.0 CUDA build: ${built:-taken from the wheel cache (an earlier run built it)}," \
  "TORCH_CUDA_ARCH_LIST=$TORCH_CUDA_ARCH_LIST, MAX_JOBS=${MAX_JOBS:-$(nproc)}"

ext=$("$py" -c "import mmcv.ops, mmcv, glob, os; print(glob.glob(os.path.join(os.path.dirname(mmcv.__file__),
  '_ext*.so'))[0])")
figure "(c) import mmcv.ops: ok; $("$py" tools/cuda_kernels.py --mmcv --need "$TORCH_CUDA_ARCH_LIST")"
launchers=$(nm -D --defined-only "$ext" | c++filt | grep -c 'CUDAKernelLauncher' || true)
figure "(c) $(basename "$ext"): $(du -h "$ext" | cut -f1), $launchers exported *CUDAKernelLauncher functions (nm -D)"
if command -v cuobjdump >/dev/null; then
  figure "(c) cuobjdump --list-elf: $(cuobjdump --list-elf "$ext" | grep -c 'ELF file') cubins"
fi

step "(d) test suite" "$py" -m pytest -q
figure "(d) pytest on the CUDA torch: $(grep -E '^[0-9]+ passed|^=+ .*(passed|failed)' "$log" | tail -1), ${elapsed} s"

step "(e) make demo" make demo VENV="$venv"
figure "(e) make demo VENV=$venv: ${elapsed} s; $(grep -E 'bbox mAP \(val\)' "$log" | tail -1 | sed 's/^ *//')"

say "summary"
printf '  %s\n' "${figures[@]}" | tee -a "$log"
