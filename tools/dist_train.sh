#!/usr/bin/env bash
# Train on GPUS processes of this node under torchrun (PyTorch's own launcher).
# Usage: tools/dist_train.sh CONFIG GPUS [tools/train.py args...]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR and PORT the same way on every node, e.g.
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 PORT=29500 tools/dist_train.sh CONFIG 8   # on node 0
#   NNODES=2 NODE_RANK=1 MASTER_ADDR=10.0.0.1 PORT=29500 tools/dist_train.sh CONFIG 8   # on node 1
set -euo pipefail
CONFIG=$1
GPUS=$2
shift 2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PORT=${PORT:-29500}
cd "$(dirname "$0")/.."
exec python -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
  --nproc_per_node="$GPUS" --master_port="$PORT" tools/train.py "$CONFIG" --launcher pytorch "$@"
