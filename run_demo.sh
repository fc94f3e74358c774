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
  owner=$(cat logs/train.lock 2>/dev/null || true)
  if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then
    # train.py holds logs/train.lock (with its process id) while it trains, and refuses a second run.
    echo "A training run (process $owner) is already writing to logs/: the dashboard follows it."
  else
    .venv/bin/python train.py --preset quick --log-dir logs >>logs/train_quick.log 2>&1 &
    echo "No trained model yet: training in the background (process $!, output in logs/train_quick.log)."
  fi
fi

echo "Opening the dashboard on http://localhost:8501 (Ctrl-C to stop it) ..."
exec .venv/bin/python -m streamlit run dashboard.py --server.port 8501 --server.showEmailPrompt false \
  --browser.gatherUsageStats false --client.toolbarMode minimal -- --log-dir logs
