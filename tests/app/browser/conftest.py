"""Fixtures for driving the dashboard in a real browser: Debian's Chromium through Playwright's
sync API (never ``playwright install``), a ``streamlit run`` server per log directory, the log
directories beyond conftest's default run (a lead-time run; a showcase with evaluation reports
and a tuning study), and where the screenshots go.

The tests always take the README's screenshots; they land in ``docs/`` only when asked
(the option is defined in ``tests/conftest.py``):

    python -m pytest tests/browser --screenshots docs
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from inventory_rl.agent.trained import load_agent
from inventory_rl.runs.layout import MODEL_NAME
from tests import ROOT
from tests.app.test_dashboard_models import make_study, write_report

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_SECONDS = 60


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig, tmp_path_factory) -> Path:
    """``--screenshots DIR`` if given (created if missing), else a temporary directory: a plain
    test run never rewrites the README's images."""
    chosen = pytestconfig.getoption("screenshots", default=None)
    if chosen is None:
        return tmp_path_factory.mktemp("screenshots")
    folder = Path(chosen).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chromium_path() -> str | None:
    """``$CHROMIUM_PATH``, else the ``chromium`` on the PATH (Debian's package)."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def lead_time_run(scenario_runs) -> Path:
    """The ``lead-time`` run's log directory."""
    return scenario_runs["lead-time"]


@pytest.fixture(scope="session")
def showcase(scenario_runs, tmp_path_factory) -> Path:
    """A copy of the ``costs`` run with what the Compare and Tuning pages read: evaluation reports
    (the default scenario, costs, and the lost-sales family against the optimum) and a study."""
    log_dir = tmp_path_factory.mktemp("showcase") / "logs"
    shutil.copytree(scenario_runs["costs"], log_dir)
    episodes = 20
    write_report(log_dir / "evaluation_default.json", "default", (), episodes, ("proportional", "newsvendor", "oracle"))
    agent, _ = load_agent(log_dir / MODEL_NAME)
    rules = ("proportional", "newsvendor", "base-stock")
    write_report(log_dir / "evaluation_costs.json", "costs", (), episodes, rules, agent)
    for cost in (4, 9):
        overrides = ["lead_time=2", f"lost_sale_cost={cost}", "episode_days=200"]
        rules = ("optimal", "newsvendor", "base-stock")
        write_report(log_dir / f"evaluation_lost_sales_p{cost}.json", "lost-sales", overrides, episodes, rules)
    make_study(log_dir / "tuning.db", finished=12)
    return log_dir


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium: install it (apt-get install chromium) or set CHROMIUM_PATH")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def dashboard_server(log_dir: Path):
    """``streamlit run dashboard.py -- --log-dir LOG_DIR`` on a free port; yields its URL."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none", "--client.toolbarMode", "minimal", "--", "--log-dir", str(log_dir)]
    server = subprocess.Popen(
        command, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the dashboard server did not start (exit code {server.poll()})") from None
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


@pytest.fixture
def open_dashboard(browser):
    """Open the dashboard of a log directory, at one of its pages' URL paths (the default page
    without one), in a fresh tall page (1280x1600, for screenshots).

    Returns the page; uncaught page errors are collected in ``page.errors``.
    """
    with contextlib.ExitStack() as stack:

        def open_for(log_dir: Path, url_path: str = ""):
            url = stack.enter_context(dashboard_server(log_dir))
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            stack.callback(page.close)
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            page.goto(f"{url}/{url_path}")
            page.wait_for_selector(
                "[data-testid='stApp'][data-test-script-state='notRunning'][data-test-connection-state='CONNECTED']",
                timeout=SERVER_START_SECONDS * 1000,
            )
            return page

        yield open_for
