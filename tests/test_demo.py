"""The demo's start (``run_demo.sh`` / ``run_demo.bat`` -> ``inventory_rl/cli/demo.py``): a second
start says where the dashboard already runs and exits with 2, and nothing announces a training
run that the log directory's lock would refuse."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from inventory_rl.cli import demo
from inventory_rl.runs.layout import MODEL_NAME
from inventory_rl.runs.lock import training_lock, training_owner
from tests import ROOT


class Health(BaseHTTPRequestHandler):
    """Answers Streamlit's health check as a running dashboard does."""

    def do_GET(self):
        self.send_response(200 if self.path == "/_stcore/health" else 404)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def running_dashboard():
    server = HTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_a_second_start_names_the_running_dashboard_and_exits_2(running_dashboard, tmp_path, capsys):
    code = demo.main(["--port", str(running_dashboard), "--log-dir", str(tmp_path / "logs")])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        f"The dashboard is already running at http://localhost:{running_dashboard}: open that address in your browser."
    )
    assert not (tmp_path / "logs").exists()  # no training started, nothing written


def test_a_port_held_by_another_program_is_one_line_and_exit_2(tmp_path, capsys):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        assert demo.main(["--port", str(port), "--log-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"Port {port} is used by another program: start the demo with --port N."


def test_training_is_announced_only_when_it_can_run(tmp_path):
    log_dir = tmp_path / "logs"
    with training_lock(log_dir):  # another run trains here: the demo follows it
        assert training_owner(log_dir) is not None
        message = demo.start_training(log_dir)
    assert message.startswith("A training run (process ") and "the dashboard follows it" in message
    assert training_owner(log_dir) is None  # released: a stale lock file is no run
    (log_dir / MODEL_NAME).write_bytes(b"a model")
    assert demo.start_training(log_dir) == f"Trained model found in {log_dir}/."


def test_the_lock_held_by_another_process_is_seen(tmp_path):
    hold = (
        "import sys, time\nfrom inventory_rl.runs.lock import training_lock\n"
        "with training_lock(sys.argv[1]):\n print('held', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen([sys.executable, "-c", hold, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert training_owner(tmp_path) == str(holder.pid)
    finally:
        holder.kill()
        holder.wait()
    assert training_owner(tmp_path) is None


def test_the_demo_scripts_start_the_demo_module():
    for script in ("run_demo.sh", "run_demo.bat"):
        text = (ROOT / script).read_text()
        assert "-m inventory_rl.cli.demo --log-dir logs" in text
    assert subprocess.run(["bash", "-n", str(ROOT / "run_demo.sh")]).returncode == 0


def test_two_real_starts_one_dashboard(tmp_path):
    """The issue's case for real: the second start of the demo says where the first one's
    dashboard runs and exits with 2 (a model is there, so neither starts a training run)."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    (log_dir / MODEL_NAME).write_bytes(b"a model")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "inventory_rl.cli.demo", "--port", str(port), "--log-dir", str(log_dir)]
    first = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while not demo.dashboard_running(port):
            assert first.poll() is None and time.monotonic() < deadline, "the first dashboard did not start"
            time.sleep(0.2)
        second = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert (
            second.stderr.strip()
            == f"The dashboard is already running at http://localhost:{port}: open that address in your browser."
        )
    finally:
        os.killpg(first.pid, signal.SIGTERM)
        first.wait(timeout=30)
