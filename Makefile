# Two commands do everything on a fresh machine: `make demo` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_CONFIG ?= configs/demo/retinanet_r18_fpn_10e_demo.py
DEMO_WORK_DIR ?= work_dirs/demo
ARGS ?=

.PHONY: setup demo test bench

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
