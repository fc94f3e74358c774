"""``inventory-rl``: the project's commands under one name, for an installed package::

    inventory-rl train --preset quick          # = python train.py --preset quick
    inventory-rl evaluate --scenario costs     # = python evaluate.py ...
    inventory-rl tune --n-trials 20            # = python tune.py ...
    inventory-rl dashboard [--log-dir DIR]     # = streamlit run dashboard.py -- --log-dir DIR
    inventory-rl demo                          # = ./run_demo.sh without the set-up
    inventory-rl scenarios                     # the shipped scenarios

Each command takes the options of its script; ``inventory-rl COMMAND --help`` lists them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

STREAMLIT_OPTIONS = ("--server.", "--browser.", "--theme.", "--client.")
USAGE = "usage: inventory-rl {train,evaluate,tune,dashboard,demo,scenarios} [options]   (inventory-rl COMMAND --help)"


def _train(argv: list[str]) -> int:
    from inventory_rl.cli.train import main

    return main(argv)


def _evaluate(argv: list[str]) -> int:
    from inventory_rl.cli.evaluate import main

    return main(argv)


def _tune(argv: list[str]) -> int:
    from inventory_rl.cli.tune import main

    return main(argv)


def _scenarios(argv: list[str]) -> int:
    from inventory_rl.cli.common import print_scenarios

    if argv:
        print("usage: inventory-rl scenarios   (takes no options)", file=sys.stderr)
        return 2
    print_scenarios()
    return 0


def _dashboard(argv: list[str]) -> int:
    """Streamlit on the app's entry script (see ``dashboard_command``)."""
    return subprocess.call(dashboard_command(argv))


def _demo(argv: list[str]) -> int:
    from inventory_rl.cli.demo import main

    return main(argv)


def dashboard_command(argv: Sequence[str]) -> list[str]:
    """``streamlit run`` on ``inventory_rl/app/dashboard.py``: Streamlit's own options, written
    ``--server.port=8502`` or ``--server.port 8502``, go to Streamlit, the rest (``--log-dir DIR``) to
    the app. The server listens on this machine only unless ``--server.address=...`` says otherwise."""
    script = Path(__file__).resolve().parent.parent / "app" / "dashboard.py"
    streamlit_options, app_options = [], []
    words = iter(argv)
    for arg in words:
        if not arg.startswith(STREAMLIT_OPTIONS):
            app_options.append(arg)
        elif "=" in arg:
            streamlit_options.append(arg)
        else:  # ``--server.port 8502``: Streamlit reads only the ``=`` form when other options follow
            streamlit_options.append(f"{arg}={next(words, '')}")
    if not any(arg.startswith("--server.address") for arg in streamlit_options):
        streamlit_options.append("--server.address=localhost")
    return [sys.executable, "-m", "streamlit", "run", str(script), *streamlit_options, "--", *app_options]


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "train": _train,
    "evaluate": _evaluate,
    "tune": _tune,
    "dashboard": _dashboard,
    "demo": _demo,
    "scenarios": _scenarios,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``inventory-rl COMMAND ...``; 2 with the usage line for an unknown command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not args else sys.stdout)
        return 2 if not args else 0
    command = COMMANDS.get(args[0])
    if command is None:
        print(f"{USAGE}\ninventory-rl: error: unknown command {args[0]!r}", file=sys.stderr)
        return 2
    return command(args[1:])


if __name__ == "__main__":
    sys.exit(main())
