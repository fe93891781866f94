"""`talent bench` counts a run's memory as the sum of its processes, not the largest of them.

A refresh is three processes alive at once (itself, the dbt process, the suite worker); `wait4`'s
``ru_maxrss`` reports only the largest resident set among them, which would pass a run whose
processes together hold far more.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from talent.bench import tree_rss

ROOT = Path(__file__).resolve().parents[2]

MIB = 2**20

# a child holding `HOLD` MiB that starts a grandchild holding as much, both alive together for a while
PARENT_AND_CHILD = textwrap.dedent(
    """
    import subprocess, sys, time
    HOLD = int(sys.argv[1])
    held = bytearray(HOLD * 2**20)
    for i in range(0, len(held), 4096):
        held[i] = 1  # touched, so resident
    child = subprocess.Popen([sys.executable, "-c", sys.argv[2], str(HOLD)])
    child.wait()
    print("BENCH-RESULT {}")
    """
)
HOLDER = textwrap.dedent(
    """
    import sys, time
    held = bytearray(int(sys.argv[1]) * 2**20)
    for i in range(0, len(held), 4096):
        held[i] = 1
    time.sleep(1.0)
    """
)


def test_peak_memory_is_the_sum_of_a_runs_processes_alive_together():
    hold = 300
    argv = [sys.executable, "-c", PARENT_AND_CHILD, str(hold), HOLDER]
    # measured from a small process, as `talent bench` measures (a child forked from this pytest
    # worker would start with the worker's resident memory in its ru_maxrss)
    measuring = (
        "import json, sys; from talent.bench import measure; run = measure(json.loads(sys.argv[1]), env={}); "
        "print(json.dumps([run.ok, run.peak_mib, run.detail['largest_process_mib']]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", measuring, json.dumps(argv)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    ok, peak, largest = json.loads(done.stdout)
    assert ok
    # each process alone held ~300 MiB (plus the interpreter): that is all wait4 sees
    assert hold <= largest < hold + 150
    # together they held twice that, which is what the run needed
    assert peak >= 2 * hold


def test_tree_rss_counts_a_process_and_its_descendants():
    holder = subprocess.Popen([sys.executable, "-c", PARENT_AND_CHILD, "200", HOLDER])
    try:
        seen = 0
        for _ in range(50):  # until both hold their memory
            seen = max(seen, tree_rss(holder.pid))
            if seen >= 400 * MIB:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert seen >= 400 * MIB
    finally:
        holder.wait(timeout=30)
    assert tree_rss(holder.pid) == 0  # gone: nothing resident, no error
