"""The ``build_lock`` resource: every asset and check of a run holds the build lock through it.

With the in-process executor a run's resources are set up once, before its first step, and torn down
after its last, so the lock (:func:`orchestration.lock.build_lock`) is held for the whole run,
whatever started it: the schedule, the Dagster UI (a whole job or a few assets) or ``talent
refresh``. A second run on the same build folder fails at its start with a message naming the holder.
Once the lock is held, temp files left by killed runs are removed. For the run's duration the process
umask is 0o077: whatever the run creates (build database, dbt's files, the marker) is private; the
published file and folder are given their modes explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class HeldBuildLock:
    """What an asset sees: the lock is held by this run (the resource's value)."""

    build_dir: str
    holder: dict


@dg.resource(
    required_resource_keys={"settings"},
    description="Holds the build folder's exclusive lock for the whole run (umask 0o077 meanwhile).",
)
def build_lock_resource(init_context: dg.InitResourceContext):
    from ingest.private import private_umask
    from orchestration.lock import build_lock
    from publish.state import remove_stale_marker_temp
    from publish.warehouse import remove_stale_temps

    settings = init_context.resources.settings
    run = init_context.dagster_run
    what = f"refresh run {run.run_id} (job {run.job_name})" if run else "refresh"
    with build_lock(settings.build_dir, what) as holder, private_umask():
        # Nobody else is publishing now: what a killed run left half-written goes.
        for path in remove_stale_temps(settings.warehouse) + remove_stale_marker_temp(settings.build_dir):
            init_context.log.info("removed %s, left by an earlier run that did not finish", path)
        yield HeldBuildLock(str(settings.build_dir), holder)
