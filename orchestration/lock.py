"""The build lock: one run at a time on a build folder, whatever starts it.

Every run of the Dagster job (the schedule, the Dagster UI, ``talent refresh``) takes it through the
``build_lock`` resource (:mod:`orchestration.defs.guard`); ``talent export`` takes it to read the
build and append to the export log. It is an exclusive ``flock`` on ``<build dir>/refresh.lock``:

- the kernel releases it when its holder dies, however it dies (SIGKILL, OOM, power cut), so a
  killed run never leaves a stale lock behind;
- the holder writes who it is into the file (pid, host, since when, what), so the one refused can say
  who holds it;
- it is re-entrant within one thread of one process: ``talent refresh`` takes it before starting the
  job (to refuse at once, before Dagster starts) and the job's resource takes it again, in the same
  thread, without deadlocking on itself.

Refreshes refuse at once when the lock is busy (a second refresh would only redo the first one's
work); ``talent export`` waits for it, up to a timeout.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.private import private_dir, private_umask

LOCK_FILE = "refresh.lock"


class BuildBusy(RuntimeError):
    """Another run holds the build lock; the message names it (what, pid, since when)."""


@dataclass
class _Held:
    fd: int
    thread: int
    holder: dict
    depth: int = 1


_held: dict[Path, _Held] = {}
_registry = threading.Lock()


def read_holder(build_dir: Path) -> dict:
    """What the lock file says about its holder ({} when nobody wrote there or it is unreadable)."""
    try:
        text = (Path(build_dir) / LOCK_FILE).read_text()
        holder = json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def describe_holder(build_dir: Path, holder: dict) -> str:
    what = holder.get("what") or "another run"
    since = holder.get("since") or "an unknown time"
    pid = holder.get("pid", "unknown")
    host = holder.get("host")
    where = f"pid {pid}" + (f" on {host}" if host and host != socket.gethostname() else "")
    if "refresh" in what:
        return f"another refresh is running on {build_dir} since {since}, {where} ({what})"
    return f"{build_dir} is in use by {what} since {since}, {where}"


@contextmanager
def build_lock(
    build_dir: Path,
    what: str,
    *,
    wait: float = 0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[dict]:
    """Hold the build folder's lock inside the block; yields the holder record written to the file.

    ``what`` says who holds it (shown to anyone refused). With ``wait`` = 0 a busy lock raises
    :class:`BuildBusy` at once; with ``wait`` > 0 it is retried until that many seconds have passed,
    after calling ``on_wait`` once with a sentence naming the holder.
    """
    build_dir = Path(build_dir).resolve()
    with _registry:
        held = _held.get(build_dir)
        if held is not None and held.thread == threading.get_ident():
            held.depth += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield held.holder
        finally:
            with _registry:
                held.depth -= 1
        return
    if held is not None:  # another thread of this process: as busy as another process
        raise BuildBusy(describe_holder(build_dir, held.holder))

    private_dir(build_dir)
    with private_umask():
        fd = os.open(build_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd, build_dir, wait, on_wait)
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
            "what": what,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder, ensure_ascii=False) + "\n").encode(), 0)
        with _registry:
            _held[build_dir] = _Held(fd, threading.get_ident(), holder)
        try:
            yield holder
        finally:
            with _registry:
                _held.pop(build_dir, None)
            os.ftruncate(fd, 0)  # nobody holds it: nothing to name
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, build_dir: Path, wait: float, on_wait) -> None:
    deadline = time.monotonic() + max(wait, 0)
    announced = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        busy = describe_holder(build_dir, read_holder(build_dir))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if wait > 0:
                raise BuildBusy(f"{busy}; still busy after waiting {wait:.0f} s") from None
            raise BuildBusy(busy) from None
        if not announced and on_wait is not None:
            on_wait(f"{busy}: waiting up to {wait:.0f} s for it to finish")
            announced = True
        time.sleep(min(0.5, remaining))


def holds_lock(build_dir: Path) -> bool:
    """Whether this thread holds the build lock of ``build_dir`` (what the full-refresh reset checks)."""
    with _registry:
        held = _held.get(Path(build_dir).resolve())
    return held is not None and held.thread == threading.get_ident()
