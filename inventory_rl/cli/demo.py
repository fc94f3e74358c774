"""The demo: the dashboard on http://localhost:8501, and, while there is no trained model yet, the
quick training run in the background, so that the Training page shows the agent learning live.

    python -m inventory_rl.cli.demo [--log-dir logs] [--port 8501]    (run_demo.sh / run_demo.bat)

A second start does not start a second dashboard or a training run that the first one's lock
would refuse: it says where the dashboard already is and exits with 2. The background run goes
on after the dashboard is closed and saves the model (its output: ``LOG_DIR/train_quick.log``).
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from inventory_rl.cli.main import dashboard_command
from inventory_rl.runs.layout import MODEL_NAME
from inventory_rl.runs.lock import training_owner

HOST = "localhost"  # the dashboard is served on this machine only (see the README to share it)


def dashboard_running(port: int) -> bool:
    """Whether a Streamlit app answers its health check on ``port`` of this machine."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def port_taken(port: int) -> bool:
    """Whether some program already listens on ``port`` of this machine."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def start_training(log_dir: Path) -> str:
    """What the demo does about training: nothing with a model, follow a run that holds the lock,
    else start the quick preset in the background, detached from this terminal."""
    if (log_dir / MODEL_NAME).is_file():
        return f"Trained model found in {log_dir}/."
    owner = training_owner(log_dir)
    if owner is not None:
        return f"A training run (process {owner}) is already writing to {log_dir}/: the dashboard follows it."
    log_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "inventory_rl.cli.main", "train", "--preset", "quick", "--log-dir", str(log_dir)]
    with open(log_dir / "train_quick.log", "ab") as output:
        detached = {"start_new_session": True} if sys.platform != "win32" else {"creationflags": 0x00000008}
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **detached
        )
    return (
        f"No trained model yet: training in the background (process {process.pid}, output in "
        f"{log_dir / 'train_quick.log'})."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Start the demo; 2 (with one line) when its dashboard or another program already has the port."""
    parser = argparse.ArgumentParser(prog="run_demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--log-dir", type=Path, default=Path("logs"), help="the demo's run folder (default: logs)")
    parser.add_argument("--port", type=int, default=8501, help="the dashboard's port (default: 8501)")
    args = parser.parse_args(argv)
    address = f"http://{HOST}:{args.port}"
    if dashboard_running(args.port):
        print(f"The dashboard is already running at {address}: open that address in your browser.", file=sys.stderr)
        return 2
    if port_taken(args.port):
        print(f"Port {args.port} is used by another program: start the demo with --port N.", file=sys.stderr)
        return 2
    print(start_training(args.log_dir))
    print(f"Opening the dashboard on {address} (Ctrl-C to stop it) ...", flush=True)
    options = [f"--server.port={args.port}", f"--server.address={HOST}", "--server.showEmailPrompt=false"]
    options += ["--browser.gatherUsageStats=false", "--client.toolbarMode=minimal", "--log-dir", str(args.log_dir)]
    try:
        return subprocess.call(dashboard_command(options))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
