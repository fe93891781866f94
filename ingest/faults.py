"""Fault points: where the fault-injection tests kill a run, to prove that nothing is lost.

``fault_point(name)`` does nothing unless the environment variable ``TALENT_FAULT`` equals ``name``;
then the process kills itself with SIGKILL on the spot (no cleanup, no flush: as the kernel's OOM
killer or a power cut would). The variable is read once per process.
"""

from __future__ import annotations

import os
import signal

_FAULT = os.environ.get("TALENT_FAULT", "")


def fault_point(name: str) -> None:
    if _FAULT and _FAULT == name:
        os.kill(os.getpid(), signal.SIGKILL)
