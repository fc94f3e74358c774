"""Tune PPO's settings with Optuna, one study shared by many workers: ``python tune.py --help``
(also ``inventory-rl tune``). The command is ``inventory_rl.cli.tune``; the study and its trials
are ``inventory_rl.training.tuning``.
"""

import sys

from inventory_rl.cli.tune import main

if __name__ == "__main__":
    sys.exit(main())
