"""The README's Python snippet runs as written against real trained models of every kind of scenario:
the original warehouse (points), one counted in money with a free order size (``costs``) and the
one-product lost-sales benchmark; each plays its own scenario and says points or money."""

import re
import shutil
import subprocess
import sys

import pytest

from tests import ROOT


def readme_snippet(heading: str) -> str:
    """The first python code block after ``heading`` in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


@pytest.fixture(scope="module")
def lost_sales_run(tmp_path_factory):
    """A tiny lost-sales run (short episodes: the scenario's are 1,000 days; Deep Controlled Learning runs)."""
    log_dir = tmp_path_factory.mktemp("lost-sales")
    command = [sys.executable, "train.py", "--scenario", "lost-sales", "--set", "episode_days=60"]
    command += ["--total-timesteps", "512", "--n-envs", "2", "--log-dir", str(log_dir)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return log_dir


@pytest.mark.parametrize(("kind", "unit"), [("default", "points"), ("costs", "money"), ("lost-sales", "money")])
def test_the_trained_model_snippet_plays_an_episode(kind, unit, request, tmp_path, monkeypatch, capsys):
    run = {
        "default": lambda: request.getfixturevalue("run_dir"),
        "costs": lambda: request.getfixturevalue("scenario_runs")["costs"],
        "lost-sales": lambda: request.getfixturevalue("lost_sales_run"),
    }[kind]()
    shutil.copytree(run, tmp_path / "logs")
    monkeypatch.chdir(tmp_path)  # the snippet loads logs/real_inventory_model.zip
    namespace: dict = {}
    exec(compile(readme_snippet("## Using a trained model from Python"), "README.md", "exec"), namespace)
    assert namespace["truncated"]  # it played the whole episode, in the model's own scenario
    assert namespace["env"].unwrapped.config == namespace["config"]
    printed = capsys.readouterr().out
    assert "episode reward" in printed and f" {unit}, fill rate" in printed
