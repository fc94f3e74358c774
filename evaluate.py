"""Measure the agent against the classic rules on the same episodes: ``python evaluate.py --help``
(also ``inventory-rl evaluate``). The command is ``inventory_rl.cli.evaluate``; the report's
arithmetic is ``inventory_rl.evaluation.report``.
"""

import sys

from inventory_rl.cli.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
