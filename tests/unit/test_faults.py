"""Fault points: each is in the code once, and fires only when TALENT_FAULT names it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from ingest.faults import CONTENT_POINTS, EXPORT_POINTS, POINTS

REPO = Path(__file__).resolve().parents[2]
PASS = """
from ingest.faults import fault_point
print("before", flush=True)
fault_point("other.point")
fault_point("publish.before_replace")
print("after", flush=True)
"""


def run(fault: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TALENT_FAULT"}
    if fault is not None:
        env["TALENT_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-c", PASS], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_every_fault_point_is_in_the_code_exactly_once():
    """The fault-injection tests kill runs at these names: a refactor must keep them."""
    calls: dict[str, int] = {}
    for package in ("ingest", "orchestration", "publish", "talent"):
        for path in (REPO / package).rglob("*.py"):
            if path == REPO / "ingest" / "faults.py":  # its docstring shows an example
                continue
            for name in re.findall(r'fault_point\("([^"]+)"\)', path.read_text()):
                calls[name] = calls.get(name, 0) + 1
    assert calls == {name: 1 for name in (*POINTS, *EXPORT_POINTS, *CONTENT_POINTS)}


def test_a_point_kills_only_when_named():
    assert run(None).stdout.split() == ["before", "after"]
    assert run("ingest.after_restricted").stdout.split() == ["before", "after"]
    killed = run("publish.before_replace")
    assert killed.returncode == -signal.SIGKILL and killed.stdout.split() == ["before"]


def test_stop_freezes_the_process_until_continued():
    env = {**os.environ, "TALENT_FAULT": "publish.before_replace:stop"}
    proc = subprocess.Popen([sys.executable, "-c", PASS], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status) and os.WSTOPSIG(status) == signal.SIGSTOP
    os.kill(proc.pid, signal.SIGCONT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0 and out.split() == ["before", "after"]
