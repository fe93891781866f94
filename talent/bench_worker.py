"""One measured refresh in its own process, for `talent bench`: prints the outcome as JSON.

The benchmark runs every measured refresh as a child process so that its peak memory (the child's
own and its dbt subprocess's, from ``wait4``) and its wall time belong to that run alone.
"""

import json
import logging
import sys
from dataclasses import asdict

from orchestration.run import refresh
from orchestration.settings import WarehouseSettings


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.ERROR)
    config = json.loads(argv[0])
    outcome = refresh(WarehouseSettings(**config), log_level="ERROR")
    print("BENCH-OUTCOME " + json.dumps(asdict(outcome)))
    return 0 if outcome.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
