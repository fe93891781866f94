"""The warm dbt process ends when the run process that started it is gone
(`orchestration.defs.dbt.worker.end_with_parent`), even while it writes nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# the run: starts a child that watches it and then only sleeps, says the child's pid, is killed
RUN = """
import os, signal, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=sys.argv[2])
assert child.stdout.readline() == b"watching\\n"
print(child.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""
CHILD = """
import time
from orchestration.defs.dbt.worker import end_with_parent
end_with_parent(poll_seconds=0.05)
print("watching", flush=True)
time.sleep(120)
"""


def _ended(pid: int) -> bool:
    """Whether process `pid` has ended (a zombie not yet reaped by init has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def test_the_process_ends_soon_after_its_parent_is_killed():
    run = subprocess.run([sys.executable, "-c", RUN, CHILD, str(REPO)], check=False, capture_output=True, text=True, timeout=60)
    assert run.returncode == -9, run.stderr[-2000:]
    child = int(run.stdout.split()[0])
    deadline = time.monotonic() + 10
    while not _ended(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    ended = _ended(child)
    if not ended:
        subprocess.run(["kill", "-9", str(child)], check=False)  # leave nothing behind
    assert ended, "the child slept on after its parent was killed"
