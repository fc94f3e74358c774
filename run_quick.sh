#!/usr/bin/env bash
# Quick training: the quick preset (100,000 timesteps; about 40 s on a 2-core machine),
# into logs/quick (the demo's run stays in logs/). Creates the virtual environment (.venv) if it
# is missing, installs requirements.txt, trains, then says where the model and logs are. Extra
# arguments go to train.py, e.g. ./run_quick.sh --seed 3. Once logs/quick holds a model,
# train.py refuses to replace it: ./run_quick.sh --overwrite replaces it, --log-dir DIR trains elsewhere.
set -euo pipefail
cd "$(dirname "$0")"

source ./setup_venv.sh requirements.txt

.venv/bin/python train.py --preset quick --log-dir logs/quick "$@"

# train.py has said where the model (logs/quick/real_inventory_model.zip), checkpoints and logs are.
echo "TensorBoard: .venv/bin/tensorboard --logdir logs/quick/sb3_logs   Dashboard: .venv/bin/streamlit run dashboard.py (it lists every run under logs/)"
