"""Fault points: places where the fault-injection tests kill a run, to prove it loses nothing.

``fault_point("publish.before_replace")`` does nothing unless the environment variable
``TALENT_FAULT`` names that point when the process starts; then the process sends itself SIGKILL
there (no cleanup, no ``finally``, no flush: what a power cut or the OOM killer does). With
``TALENT_FAULT=<name>:stop`` it sends itself SIGSTOP instead and waits, frozen, holding whatever it
holds (the build lock, open files) until a SIGCONT: how the tests hold a run in the middle to start a
second one beside it. The variable is read once at import, so a point costs a string comparison.

The points, in the order a run passes them:

- ``ingest.after_read``: a file read, its rows staged, not yet written (the journal says "reading
  it": the next run rejects that file, as after an out-of-memory kill while reading);
- ``ingest.before_restricted`` / ``ingest.after_restricted``: around a batch's write of names and ID
  numbers to the restricted store (the build transaction of the batch follows);
- ``ingest.before_commit``: the batch's raw rows, quarantine and ledger rows written, not committed;
- ``dbt.before_build`` / ``dbt.after_build``: around the run's one ``dbt build``;
- ``publish.before_replace`` / ``publish.after_replace``: the new file written and fsynced, before
  and after ``os.replace`` puts it in place (the last-publish marker is written after);

and in ``talent export``: ``export.after_write`` (the list written to its temp file, not yet logged)
and ``export.after_log`` (logged, not yet renamed to its final name).
"""

from __future__ import annotations

import os
import signal

ENV_VAR = "TALENT_FAULT"
POINTS = (  # a run killed at any of these converges on the next run to an uninterrupted run's result
    "ingest.before_restricted",
    "ingest.after_restricted",
    "ingest.before_commit",
    "dbt.before_build",
    "dbt.after_build",
    "publish.before_replace",
    "publish.after_replace",
)
EXPORT_POINTS = ("export.after_write", "export.after_log")
# a run killed here was reading a file: the next run rejects that file (as after an OOM kill)
CONTENT_POINTS = ("ingest.after_read",)

_NAME, _, _ACTION = os.environ.get(ENV_VAR, "").partition(":")


def fault_point(name: str) -> None:
    """Kill (or freeze) this process here when ``TALENT_FAULT`` names this point."""
    if name != _NAME:
        return
    os.kill(os.getpid(), signal.SIGSTOP if _ACTION == "stop" else signal.SIGKILL)
