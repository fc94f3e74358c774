#!/usr/bin/env bash
# Heavy training: the heavy preset (1,000,000 timesteps; about 6 minutes on a 2-core machine).
# Creates the virtual environment (.venv) if it is missing, installs requirements.txt,
# trains, then says where the model and logs are. Extra arguments go to train.py,
# e.g. ./run_heavy.sh --seed 3
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment in .venv ..."
  python3 -m venv .venv
fi
echo "Installing requirements ..."
.venv/bin/python -m pip install --quiet -r requirements.txt

.venv/bin/python train.py --preset heavy --log-dir logs "$@"

echo
echo "Model:       logs/real_inventory_model.zip (checkpoints in logs/checkpoints/)"
echo "Run config:  logs/run_config.json    Live stream: logs/stream_data.json"
echo "TensorBoard: .venv/bin/tensorboard --logdir logs/sb3_logs   (then open http://localhost:6006)"
echo "Dashboard:   .venv/bin/streamlit run dashboard.py"
