#!/usr/bin/env bash
# The CUDA stack into a virtual environment: torch 2.13.0's CUDA build, mmcv 2.1.0 WITH its CUDA kernels, the rest.
# Usage: MMEXT_DEVICE=cuda tools/install_stack.sh VENV_DIR   (tools/install_stack.sh comes here on a GPU machine)
#
# Variables (all optional):
#   MMEXT_CUDA_PIP_ARGS   extra pip options for the CUDA downloads (torch, nvcc wheels), e.g. an index URL
#   TORCH_CUDA_ARCH_LIST  GPU architectures to compile mmcv for (default: the visible GPUs', else "8.0;9.0")
#   CUDA_HOME             a CUDA toolkit to compile with (default: nvcc on PATH when it matches torch's CUDA,
#                         else nvcc and headers as Python wheels, linked together under VENV/cuda)
#   MMEXT_WHEEL_CACHE     where built mmcv wheels are kept (default ~/.cache/mmext/wheels)
#   MAX_JOBS              parallel compile jobs (default: the number of cores)
#
# The same order as the CPU stack: torch first (asked for as "==2.13.0,!=2.13.0+cpu", so that a CPU wheel on a
# find-links or another index cannot stand in for it), then mmcv against it, then the rest. The mmcv build is
# kept in MMEXT_WHEEL_CACHE under its torch, CUDA and architectures, never in pip's own cache: there it would
# share its key with the CPU build of the same sdist, and either set-up could install the other's wheel.
set -euo pipefail
venv=${1:-.venv}
py="$venv/bin/python"
pip=("$py" -m pip install --disable-pip-version-check --progress-bar off)
read -r -a cuda_pip <<< "${MMEXT_CUDA_PIP_ARGS:-}"
dev() { "$py" tools/stack_device.py "$@"; }
build() { "$py" tools/cuda_build.py "$@"; }
# torch 2.13.0 from PyPI is built with CUDA 13.0; the real version is read from torch once it is installed.
TORCH_CUDA_DEFAULT=13.0
# Measured here: the CUDA torch with its nvidia-* wheels takes 4.3 GB in the venv and 3.0 GB of downloads
# in pip's cache; the margin covers the nvcc wheels and the mmcv build.
NEED_GB=10

echo "[stack] device: cuda (MMEXT_DEVICE=cpu for the CPU stack)"
torch_cuda() { "$py" -c "import torch; print(torch.version.cuda or '')" 2>/dev/null || true; }
cuda=$(torch_cuda)
if [ -z "$cuda" ]; then
  dev check-gpus --cuda "$TORCH_CUDA_DEFAULT"
  dev disk "$venv" --need-gb "$NEED_GB"
  cache=$("$py" -m pip cache dir 2>/dev/null || true)
  if [ -n "$cache" ]; then dev disk "$cache" --need-gb "$NEED_GB"; fi
fi

echo "[stack] 1/6 torch 2.13.0 (CUDA build; a few GB of nvidia-* wheels the first time)"
"${pip[@]}" "${cuda_pip[@]}" "torch==2.13.0,!=2.13.0+cpu"
cuda=$(torch_cuda)
if [ -z "$cuda" ]; then
  echo "error: the torch in $venv has no CUDA (torch.version.cuda is None): check MMEXT_CUDA_PIP_ARGS and pip's" \
       "index; 'pip install torch==2.13.0' from PyPI is the CUDA build" >&2
  exit 1
fi
dev check-gpus --cuda "$cuda" --torch-archs "$("$py" -c 'import torch; print(torch._C._cuda_getArchFlags())')"
archs=$(dev arch-list)
echo "[stack] 2/6 mmengine 0.10.7"
"${pip[@]}" "mmengine==0.10.7"
if "$py" tools/cuda_kernels.py --mmcv --need "$archs" >/dev/null 2>&1; then
  echo "[stack] 3-4/6 mmcv 2.1.0 with CUDA kernels for $archs is already installed"
else
  torch_version=$("$py" -c "from importlib import metadata; print(metadata.version('torch'))")
  cache_root=${MMEXT_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmext/wheels}
  wheel=$(build cached-mmcv "$cache_root" --torch "$torch_version" --cuda "$cuda" --arch-list "$archs")
  if [ -z "$wheel" ]; then
    echo "[stack] 3/6 the mmcv build tools and a CUDA $cuda toolkit"
    "${pip[@]}" "setuptools<70" wheel ninja
    home=$(build toolkit --cuda "$cuda")
    if [ "$home" = wheels ]; then
      "${pip[@]}" "${cuda_pip[@]}" "nvidia-cuda-nvcc==$cuda.*" "nvidia-cuda-runtime==$cuda.*" \
        "nvidia-cuda-crt==$cuda.*" "nvidia-cuda-cccl==$cuda.*" "nvidia-nvvm==$cuda.*"
      nvidia_dir=$("$py" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")/nvidia/cu${cuda%%.*}
      home=$(build cuda-home "$nvidia_dir" "$venv/cuda")
    fi
    out="$cache_root/$(build mmcv-cache-name --torch "$torch_version" --cuda "$cuda" --arch-list "$archs")"
    echo "[stack] 4/6 mmcv 2.1.0 with CUDA kernels for $archs, nvcc from $home (long: see README)"
    start=$(date +%s)
    rm -rf "$out.partial" && mkdir -p "$out.partial"
    PATH="$home/bin:$PATH" CUDA_HOME="$home" FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="$archs" \
      MAX_JOBS=${MAX_JOBS:-$(nproc)} "$py" -m pip wheel --disable-pip-version-check --progress-bar off \
      --no-deps --no-build-isolation --no-cache-dir -w "$out.partial" "mmcv==2.1.0"
    rm -rf "$out" && mv "$out.partial" "$out"  # only a finished build is ever found in the cache
    echo "[stack] mmcv 2.1.0 built in $(( $(date +%s) - start )) s, kept in $out"
    wheel=$(ls "$out"/mmcv-2.1.0-*.whl)
  else
    echo "[stack] 3-4/6 mmcv 2.1.0 with CUDA kernels from $wheel"
  fi
  "${pip[@]}" --no-deps --force-reinstall "$wheel"
fi
"${pip[@]}" "mmcv==2.1.0"  # its dependencies (addict, yapf, ...); the mmcv installed above satisfies it
echo "[stack] 5/6 mmdet 3.3.0 and the rest (requirements.txt)"
"${pip[@]}" -r requirements.txt
echo "[stack] 6/6 mmext (editable)"
"${pip[@]}" --no-deps -e .
"$py" tools/check_stack.py --write-stamp
