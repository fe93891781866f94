"""What a refresh shows while it runs, stage by stage: a console's progress bars, or nothing.

The assets report their stage (``ingest``, ``dbt``, ``checks``, ``publish``) to the reporter that
is active in the process. `talent refresh` installs one that draws a progress bar per stage; under
``dagster dev``, the daemon and the tests none is installed, and reports go nowhere.

The reporter also says where dbt's per-node log goes: with no console attached it is written to
the step's standard output as well as to the log file (Dagster captures it there); under `talent
refresh` only to the log file, unless the operator asked for ``-v``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

STAGES = ("ingest", "dbt", "checks", "publish")


class Reporter:
    """Receives stage progress; this base class ignores it (no console attached)."""

    echo_logs = True  # also write dbt's per-node log to standard output

    def start(self, stage: str, total: int | None = None, detail: str = "") -> None:
        """A stage begins; `total` is the number of steps it will report, when known."""

    def advance(self, stage: str, steps: int = 1, detail: str = "") -> None:
        """`steps` more steps of the stage are done."""

    def update(self, stage: str, completed: int, total: int | None = None) -> None:
        """`completed` steps of the stage (of `total`, when known) are done."""

    def finish(self, stage: str, detail: str = "") -> None:
        """The stage is over; `detail` is one short line for the summary."""

    def log_file(self, stage: str, path: str) -> None:
        """The stage wrote its detailed log to `path`."""


_NOBODY = Reporter()
_current: Reporter = _NOBODY


def reporter() -> Reporter:
    """The reporter of this process (a silent one unless a console installed its own)."""
    return _current


@contextmanager
def reporting(to: Reporter) -> Iterator[Reporter]:
    """Install `to` as this process's reporter for the duration of the block."""
    global _current
    previous, _current = _current, to
    try:
        yield to
    finally:
        _current = previous
