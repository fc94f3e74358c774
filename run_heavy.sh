#!/usr/bin/env bash
# Heavy training: the heavy preset (1,000,000 timesteps; about 6 minutes on a 2-core machine).
# Creates the virtual environment (.venv) if it is missing, installs requirements.txt,
# trains, then says where the model and logs are. Extra arguments go to train.py,
# e.g. ./run_heavy.sh --seed 3
set -euo pipefail
cd "$(dirname "$0")"

source ./setup_venv.sh requirements.txt

.venv/bin/python train.py --preset heavy --log-dir logs "$@"

# train.py has said where the model, checkpoints and logs are.
echo "TensorBoard: .venv/bin/tensorboard --logdir logs/sb3_logs   Dashboard: ./run_demo.sh"
