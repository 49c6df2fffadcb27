#!/usr/bin/env bash
# Install mmext's stack into a virtual environment, in the order that works on current PyTorch.
# Usage: tools/install_stack.sh VENV_DIR   (MMEXT_DEVICE=cpu|cuda to choose; default: the stack VENV was set up
#                                           with, else cuda when an NVIDIA driver is found: tools/stack_device.py)
#
# Order matters:
#   1. torch 2.13.0 first: the CPU wheel on the machine's find-links satisfies it, and because it is installed
#      before anything else, no later package can pull a CUDA build or a second torch.
#   2. setuptools<70 for the mmcv 2.1.0 build only (its setup.py imports pkg_resources), then mmcv built from
#      source WITH its compiled ops (nms, RoIAlign, ...) against that torch (--no-build-isolation). pip caches
#      the built wheel, so this takes about 8 minutes once per machine and seconds afterwards.
#   3. setuptools back to what torch declares (>=77.0.3) but below 81, which dropped pkg_resources (mmengine
#      imports it to find configs of installed packages), then mmdet and the rest, then mmext (editable).
# The CUDA stack (tools/install_cuda_stack.sh) keeps this order with the CUDA torch and mmcv's CUDA kernels.
set -euo pipefail
venv=${1:-.venv}
py="$venv/bin/python"
pip=("$py" -m pip install --disable-pip-version-check --progress-bar off)
# A venv whose Python or pip does not run (its creation was interrupted, its folder moved) is made anew; a
# folder that is not a venv at all is never deleted.
if [ -e "$venv" ] && ! "$py" -c 'import pip' 2>/dev/null; then
  if [ ! -f "$venv/pyvenv.cfg" ]; then
    echo "error: $venv exists but is not a virtual environment: remove it or give another VENV" >&2; exit 1
  fi
  echo "[stack] $venv is incomplete (its python or pip does not run): making it anew"
  rm -rf "$venv"
fi
if [ ! -x "$py" ]; then
  echo "[stack] creating $venv"
  python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
fi
device=$("$py" tools/stack_device.py choose --venv "$venv")
export MMEXT_DEVICE=$device  # tools/check_stack.py --write-stamp records the same choice
if [ "$device" = cuda ]; then
  exec bash tools/install_cuda_stack.sh "$venv"
fi
# A venv set up with the CUDA stack (MMEXT_DEVICE=cpu asks to switch) loses its CUDA packages first.
if [ "$("$py" tools/stack_device.py recorded "$venv")" = cuda ]; then
  echo "[stack] $venv holds the CUDA stack and MMEXT_DEVICE=cpu asks for the CPU one: removing torch, mmcv and" \
       "the CUDA packages first"
  "$py" -m pip uninstall -y --disable-pip-version-check torch mmcv $("$py" tools/stack_device.py cuda-packages)
fi

echo "[stack] 1/5 torch 2.13.0 (CPU build)"
"${pip[@]}" "torch==2.13.0"
mmcv_with_ops() {
  "$py" -c "from importlib import metadata as m; import sys; sys.exit(0 if m.version('mmcv') == '2.1.0' and any(
    str(f).startswith('mmcv/_ext') for f in m.files('mmcv') or ()) else 1)" 2>/dev/null
}
if mmcv_with_ops; then
  echo "[stack] 2-3/5 mmcv 2.1.0 with its compiled ops is already installed"
  "${pip[@]}" "mmengine==0.10.7"
else
  echo "[stack] 2/5 mmengine 0.10.7 and the mmcv build tools"
  "${pip[@]}" "setuptools<70" wheel ninja "mmengine==0.10.7"
  echo "[stack] 3/5 mmcv 2.1.0 with compiled ops (about 8 minutes on 2 cores the first time)"
  MAX_JOBS=${MAX_JOBS:-$(nproc)} "${pip[@]}" --no-build-isolation "mmcv==2.1.0"
fi
echo "[stack] 4/5 mmdet 3.3.0 and the rest (requirements.txt)"
"${pip[@]}" -r requirements.txt
echo "[stack] 5/5 mmext (editable)"
"${pip[@]}" --no-deps -e .
"$py" tools/check_stack.py --write-stamp
