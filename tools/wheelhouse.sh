#!/usr/bin/env bash
# Every wheel of the CUDA stack in one folder, for a GPU machine that reaches no package registry (make wheelhouse).
# Usage: tools/wheelhouse.sh [VENV] [DIR]   (VENV: a finished CUDA set-up, default .venv-cuda; DIR: wheelhouse)
# Then, on the GPU machine, with this checkout and DIR copied over:
#   MMEXT_WHEEL_CACHE=$PWD/wheelhouse/mmcv PIP_NO_INDEX=1 PIP_FIND_LINKS=$PWD/wheelhouse make gpu-check
# The mmcv build comes from MMEXT_WHEEL_CACHE (nothing is compiled there); it must cover that machine's GPUs
# (TORCH_CUDA_ARCH_LIST of the build, "8.0;9.0" by default).
set -euo pipefail
venv=${1:-.venv-cuda}
dir=${2:-wheelhouse}
py="$venv/bin/python"
read -r -a cuda_pip <<< "${MMEXT_CUDA_PIP_ARGS:-}"
download=("$py" -m pip download --disable-pip-version-check --progress-bar off -d "$dir")
cache_root=${MMEXT_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmext/wheels}
builds=$(ls -d "$cache_root"/mmcv-2.1.0-torch*-cuda*-arch* 2>/dev/null | grep -v '\.partial$' || true)
if [ -z "$builds" ]; then
  echo "error: no mmcv CUDA build in $cache_root: run MMEXT_DEVICE=cuda make setup VENV=$venv first" >&2
  exit 1
fi
mkdir -p "$dir/mmcv"
echo "[wheelhouse] the mmcv CUDA builds: $(basename -a $builds | tr '\n' ' ')"
cp -r $builds "$dir/mmcv/"
echo "[wheelhouse] torch 2.13.0 (CUDA build) and its nvidia-* wheels"
"${download[@]}" "${cuda_pip[@]}" "torch==2.13.0,!=2.13.0+cpu"
echo "[wheelhouse] the mmcv build tools and mmengine, then mmcv's own dependencies"
"${download[@]}" "setuptools<70" wheel ninja "mmengine==0.10.7"
"${download[@]}" "$(ls "$dir"/mmcv/*/mmcv-2.1.0-*.whl | head -1)"
rm -f "$dir"/mmcv-2.1.0-*.whl  # the copy pip download makes: mmcv comes from $dir/mmcv (MMEXT_WHEEL_CACHE) only
echo "[wheelhouse] requirements.txt"
"${download[@]}" -r requirements.txt
echo "[wheelhouse] $(ls "$dir"/*.whl | wc -l) wheels, $(du -sh "$dir" | cut -f1) in $dir"
