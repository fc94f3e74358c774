"""What the commands share: every error is one line, ``PROG: error: MESSAGE (see PROG --help)``,
with exit code 2 and no usage block; ``--help`` is argparse's."""

import pytest

from inventory_rl.cli import evaluate as evaluate_cli
from inventory_rl.cli import train as train_cli
from inventory_rl.cli import tune as tune_cli

CLIS = {"train.py": train_cli, "evaluate.py": evaluate_cli, "tune.py": tune_cli}


@pytest.mark.parametrize(
    ("prog", "argv", "message"),
    [
        ("train.py", ["--bogus"], "unrecognized arguments: --bogus"),
        ("train.py", ["--n-envs", "0"], "argument --n-envs: must be between 1 and 256, got 0"),
        ("train.py", ["--set", "lead_time=0"], "argument --set: lead_time=0: lead_time: must be at least 1, got 0"),
        ("evaluate.py", ["--episodes", "1"], "argument --episodes: must be at least 2, got 1"),
        ("evaluate.py", ["--scenario", "atlantis"], "argument --scenario: no scenario 'atlantis'"),
        ("tune.py", [], "the following arguments are required: --n-trials"),
        ("tune.py", ["--n-trials", "1", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        ("tune.py", ["--n-trials", "1", "--agent", "clever"], "argument --agent: invalid choice: 'clever'"),
    ],
)
def test_an_error_is_one_line_without_the_usage_block(prog, argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        CLIS[prog].main(argv)
    assert exit_info.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{prog}: error: {message}") and line.endswith(f" (see {prog} --help)"), line
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("prog", CLIS)
def test_help_is_argparses(prog, capsys):
    with pytest.raises(SystemExit) as exit_info:
        CLIS[prog].main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {prog} ") and "options:" in out
