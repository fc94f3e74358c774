"""Train the PPO inventory agent: ``python train.py --help`` (also ``inventory-rl train``).

The command is ``inventory_rl.cli.train``; a run is assembled in ``inventory_rl.training.run``.
"""

import sys

from inventory_rl.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
