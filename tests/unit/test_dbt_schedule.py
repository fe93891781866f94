"""The order in which the warm dbt process's threads take a build's nodes (orchestration.defs.dbt.schedule)."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestration.defs.dbt.schedule import DEFAULT_COST, critical_path_scores, last_build_costs

# a chain that decides the build's length (model -> its test -> the next model), and cheap side nodes
SUCCESSORS = {
    "stg": ["latest", "side_a"],
    "latest": ["test_latest"],
    "test_latest": ["periods"],
    "periods": ["ratio"],
    "ratio": [],
    "side_a": ["side_test"],
    "side_test": [],
    "lonely": [],
}
COSTS = {"stg": 0.1, "latest": 1.5, "test_latest": 0.3, "periods": 2.0, "ratio": 3.0, "side_a": 0.2, "side_test": 0.05, "lonely": 0.04}


def test_a_node_scores_minus_its_longest_chain_to_the_end():
    scores = critical_path_scores(SUCCESSORS, SUCCESSORS, COSTS)
    assert scores["ratio"] == -3.0
    assert scores["periods"] == -5.0
    assert scores["latest"] == pytest.approx(-6.8)
    assert scores["stg"] == pytest.approx(-6.9)  # through latest, not through the side branch
    assert scores["side_a"] == pytest.approx(-0.25)
    # ready together, the chain goes first: lower scores leave dbt's priority queue first
    assert sorted(["side_a", "latest", "lonely"], key=scores.get) == ["latest", "side_a", "lonely"]


def test_nodes_the_last_build_did_not_run_count_as_its_median_node():
    costs = {"a": 1.0, "b": 3.0, "c": 2.0}
    scores = critical_path_scores(["a", "new", "b", "c"], {"new": ["a"]}, costs)
    assert scores["new"] == -(2.0 + 1.0)
    assert critical_path_scores(["x"], {}, {}) == {"x": -DEFAULT_COST}


def test_a_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        critical_path_scores(["a", "b"], {"a": ["b"], "b": ["a"]}, {})


def test_the_last_builds_times_come_from_its_run_results(tmp_path: Path):
    path = tmp_path / "run_results.json"
    assert last_build_costs(path) == {}  # no build yet
    path.write_text(json.dumps({"results": [
        {"unique_id": "model.p.a", "execution_time": 1.25},
        {"unique_id": "test.p.t", "execution_time": 0},
        {"unique_id": "model.p.broken"},
    ]}))  # fmt: skip
    assert last_build_costs(path) == {"model.p.a": 1.25, "test.p.t": 0.0}
    path.write_text("{not json")
    assert last_build_costs(path) == {}


def test_dbts_queue_gives_the_critical_chain_first_and_a_node_only_to_a_free_thread(tmp_path: Path):
    """dbt's own GraphQueue, patched: with one thread, the second node is given out only once the
    first is done, and then the ready node on the longest chain goes first (a fresh interpreter:
    the patch is process-wide)."""
    results = tmp_path / "run_results.json"
    results.write_text(json.dumps({"results": [{"unique_id": k, "execution_time": v} for k, v in COSTS.items()]}))
    script = textwrap.dedent(f"""
        import threading, time
        from pathlib import Path
        import networkx as nx
        from orchestration.defs.dbt.schedule import prioritise_critical_path
        from dbt.graph.queue import GraphQueue

        assert prioritise_critical_path(Path({str(results)!r}))
        graph = nx.DiGraph()
        for node, children in {SUCCESSORS!r}.items():
            graph.add_node(node)
            graph.add_edges_from((node, child) for child in children)

        class Manifest:
            def expect(self, node_id):
                return node_id

        queue = GraphQueue(graph, Manifest(), set(graph.nodes()))
        queue.talent_threads = 1
        order = [queue.get()]
        got = []
        taker = threading.Thread(target=lambda: got.append(queue.get()))
        taker.start()
        time.sleep(0.3)
        waited = not got  # the one thread is busy: nothing is given out
        queue.mark_done(order[0])
        taker.join(5)
        order += got
        queue.mark_done(got[0])
        while len(queue) > 0:
            node = queue.get()
            order.append(node)
            queue.mark_done(node)
        print(waited, ",".join(order))
    """)
    out = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    waited, order = out.stdout.split()
    assert waited == "True"
    # stg first; then the chain before side_a, although latest and side_a became ready together
    assert order.split(",") == ["stg", "latest", "test_latest", "periods", "ratio", "side_a", "side_test", "lonely"]
