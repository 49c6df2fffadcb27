# Two commands do everything on a fresh machine: `make demo` and `make test` (see README.md).
# The stack is the CPU or the CUDA one (MMEXT_DEVICE=cpu|cuda; default: the venv's, else cuda with an NVIDIA driver).
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_CONFIG ?= configs/demo/retinanet_r18_fpn_10e_demo.py
DEMO_WORK_DIR ?= work_dirs/demo
ARGS ?=
CUDA_VENV ?= .venv-cuda

.PHONY: setup demo test bench check-cuda-stack gpu-check wheelhouse

# Checks what is installed (a second or two) and runs the installer only when something is missing.
setup:
	@if [ -x $(PY) ] && $(PY) tools/check_stack.py; then :; else bash tools/install_stack.sh $(VENV); fi

demo: setup
	$(PY) tools/make_demo_data.py --out-dir data/demo
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_WORK_DIR) $(ARGS)

test: setup
	$(PY) -m pytest $(ARGS)

bench: setup
	$(PY) benchmarks/run.py $(ARGS)

# The CUDA stack set up in $(CUDA_VENV) and checked on this machine, GPU or not (long the first time; not in CI).
check-cuda-stack:
	bash tools/check_cuda_stack.sh $(CUDA_VENV)

# Every CUDA path run once on this machine's GPUs, at most 8 minutes (tools/gpu_check.py).
gpu-check:
	@python3 tools/stack_device.py require-gpu
	@$(MAKE) --no-print-directory setup
	bash tools/gpu_check.sh $(VENV) $(ARGS)

# The CUDA stack's wheels in wheelhouse/, for a GPU machine without a package registry (see README).
wheelhouse:
	bash tools/wheelhouse.sh $(CUDA_VENV) wheelhouse
