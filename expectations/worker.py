"""Great Expectations suites in a process of their own, warmed up while a refresh starts.

Importing Great Expectations takes about 8 s of one core (about 5 s here, where scipy and altair,
which the suites do not use, load lazily: `defer_imports`), and its first suite runs right after
ingest (the raw-layer checks gate dbt). A refresh started from the command line therefore starts
this worker first: it imports Great Expectations and creates its context on the second core while
the refresh process imports Dagster, loads the definitions and ingests. The asset checks then hand
their suites to it (:func:`run_suite_on`) and get a :class:`~expectations.runner.SuiteResult` back.
Without a worker (``dagster dev``, the daemon, tests), suites run in the calling process.

The worker opens the build database read-only for each suite and closes it after, so it never
holds the file while ingest, dbt or publish write it. It reports a failure by its error class and
the suite, never by the error's text (DuckDB and polars messages can quote rows).
"""

from __future__ import annotations

import contextlib
import gc
import importlib.abc
import importlib.util
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from expectations.runner import SuiteResult


class WorkerFailed(RuntimeError):
    """The worker could not run a suite (its error class and the suite, no message text)."""


@dataclass(frozen=True)
class _Failure:
    error_class: str
    suite: str


class SuiteWorker:
    """One child process that imports Great Expectations at once and then runs suites on request."""

    def __init__(self, log_path: Path | None = None):
        self._lock = threading.Lock()
        self._served = False
        log = log_path.open("ab") if log_path else subprocess.DEVNULL
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "expectations.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env={**os.environ, "GX_ANALYTICS_ENABLED": "false"},
                cwd=Path(__file__).resolve().parents[1],
            )
        finally:
            if log_path:
                log.close()

    def run(self, build_db: Path, suite: str, tested_through: str | None) -> SuiteResult:
        with self._lock:
            self._served = True
            try:
                pickle.dump((str(build_db), suite, tested_through), self._proc.stdin)
                self._proc.stdin.flush()
                reply = pickle.load(self._proc.stdout)
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                raise WorkerFailed(f"the suite worker stopped ({type(exc).__name__}) while running {suite}") from None
        if isinstance(reply, _Failure):
            raise WorkerFailed(f"{reply.error_class} in suite {reply.suite} (in the suite worker)")
        return reply

    def close(self) -> None:
        """Stop the worker: at once if it was never asked for a suite (a run that stopped after
        ingest need not wait for Great Expectations to finish importing), else when it has read
        the end of its input."""
        if not self._served:
            self._proc.kill()
        with contextlib.suppress(OSError):
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


_worker: SuiteWorker | None = None


@contextmanager
def suite_worker(log_path: Path | None = None) -> Iterator[SuiteWorker]:
    """Start a worker for the duration of the block; suites run there meanwhile."""
    global _worker
    worker = SuiteWorker(log_path)
    previous, _worker = _worker, worker
    try:
        yield worker
    finally:
        _worker = previous
        worker.close()


def run_suite_on(build_db: Path, suite: str, tested_through: str | None = None) -> SuiteResult:
    """Run a suite on the build database: in the worker when one is running, else here."""
    if _worker is not None:
        return _worker.run(build_db, suite, tested_through)
    import duckdb

    from expectations.runner import run_suite

    con = duckdb.connect(str(build_db), read_only=True)
    try:
        return run_suite(con, suite, tested_through)
    finally:
        con.close()


DEFERRED_PACKAGES = ("scipy", "altair")


class _DeferredImports(importlib.abc.MetaPathFinder):
    """Finds the modules of `packages` as the other finders do, but loads them lazily
    (`importlib.util.LazyLoader`): a module is executed when one of its attributes is first used.

    Great Expectations imports scipy and altair at its own import (statistical expectations,
    plots) for about 3 s of the worker's ~8 s of a core, at the start of a refresh when both cores
    are busy; the suites here use neither. A suite that did would load them at that moment.
    """

    def __init__(self, packages: tuple[str, ...]):
        self.packages = frozenset(packages)

    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] not in self.packages:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


def defer_imports(packages: tuple[str, ...] = DEFERRED_PACKAGES) -> None:
    """Load `packages` lazily in this process from now on (the suite worker's own process)."""
    if not any(isinstance(finder, _DeferredImports) for finder in sys.meta_path):
        sys.meta_path.insert(0, _DeferredImports(packages))


def _serve() -> None:
    """The worker's loop: (build_db, suite, tested_through) in, SuiteResult (or _Failure) out, on stdin/stdout."""
    defer_imports()
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # anything printed goes to the log, not the pipe
    gc.disable()  # importing Great Expectations makes long-lived objects, hardly any garbage
    import duckdb

    from expectations.runner import _batch_definition, run_suite
    from expectations.worker import _Failure  # this module by its name: what the parent unpickles

    _batch_definition()  # the expensive part, done before the first request arrives
    gc.freeze()  # out of every later collection, the last one at exit included
    gc.enable()
    while True:
        try:
            build_db, suite, tested_through = pickle.load(requests)
        except EOFError:
            gc.freeze()  # the process ends: no last collection over the suites' objects either
            return
        try:
            con = duckdb.connect(build_db, read_only=True)
            try:
                reply = run_suite(con, suite, tested_through)
            finally:
                con.close()
        except Exception as exc:  # noqa: BLE001 - reported by class, never by text
            reply = _Failure(type(exc).__name__, suite)
        pickle.dump(reply, replies)
        replies.flush()


if __name__ == "__main__":
    _serve()
