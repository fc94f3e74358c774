"""The README's Python snippet runs as written against a real trained model."""

import re
import shutil

from tests import ROOT


def readme_snippet(heading: str) -> str:
    """The first python code block after ``heading`` in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_trained_model_snippet_plays_an_episode(run_dir, tmp_path, monkeypatch, capsys):
    shutil.copytree(run_dir, tmp_path / "logs")
    monkeypatch.chdir(tmp_path)  # the snippet loads logs/real_inventory_model.zip
    namespace: dict = {}
    exec(compile(readme_snippet("## Using a trained model from Python"), "README.md", "exec"), namespace)
    assert namespace["truncated"]  # it played the whole episode
    assert "fill rate" in capsys.readouterr().out
