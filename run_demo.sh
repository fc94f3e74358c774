#!/usr/bin/env bash
# The demo: the dashboard on http://localhost:8501 (watch the agent learn, replay it, play against it).
# Creates the virtual environment (.venv) if it is missing and installs requirements.txt.
# Without a trained model yet (logs/real_inventory_model.zip), it first starts the quick
# training run in the background, so the Training page shows the agent learning live from
# the first minute; that run goes on after the dashboard is closed and saves the model.
set -euo pipefail
cd "$(dirname "$0")"

source ./setup_venv.sh requirements.txt

if [ ! -f logs/real_inventory_model.zip ]; then
  mkdir -p logs
  .venv/bin/python train.py --preset quick --log-dir logs >logs/train_quick.log 2>&1 &
  echo "No trained model yet: training in the background (process $!, output in logs/train_quick.log)."
fi

echo "Opening the dashboard on http://localhost:8501 (Ctrl-C to stop it) ..."
exec .venv/bin/python -m streamlit run dashboard.py --server.port 8501 --server.showEmailPrompt false \
  --browser.gatherUsageStats false --client.toolbarMode minimal -- --log-dir logs
