#!/usr/bin/env bash
# The demo: the dashboard on http://localhost:8501 (watch the agent learn, replay it, play against it).
# Creates the virtual environment (.venv) if it is missing and installs requirements.txt and the
# project. Without a trained model yet (logs/real_inventory_model.zip), it first starts the quick
# training run in the background, so the Training page shows the agent learning live from the
# first minute; that run goes on after the dashboard is closed and saves the model. A second
# start says where the dashboard already runs and exits with 2 (inventory_rl/cli/demo.py).
set -euo pipefail
cd "$(dirname "$0")"

source ./setup_venv.sh requirements.txt

exec .venv/bin/python -m inventory_rl.cli.demo --log-dir logs "$@"
