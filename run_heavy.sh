#!/usr/bin/env bash
# Heavy training: the heavy preset (1,000,000 timesteps; about 6 minutes on a 2-core machine),
# into logs/heavy (the demo's run stays in logs/). Creates the virtual environment (.venv) if it
# is missing, installs requirements.txt, trains, then says where the model and logs are. Extra
# arguments go to train.py, e.g. ./run_heavy.sh --seed 3. Once logs/heavy holds a model,
# train.py refuses to replace it: ./run_heavy.sh --overwrite replaces it, --log-dir DIR trains elsewhere.
set -euo pipefail
cd "$(dirname "$0")"

source ./setup_venv.sh requirements.txt

.venv/bin/python train.py --preset heavy --log-dir logs/heavy "$@"

# train.py has said where the model (logs/heavy/real_inventory_model.zip), checkpoints and logs are.
echo "TensorBoard: .venv/bin/tensorboard --logdir logs/heavy/sb3_logs   Dashboard: .venv/bin/streamlit run dashboard.py (it lists every run under logs/)"
