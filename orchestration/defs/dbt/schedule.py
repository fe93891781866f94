"""The order in which dbt's threads take the nodes of a build: longest remaining path first.

dbt's queue (`dbt.graph.queue.GraphQueue`) hands a free thread the ready node of the lowest
topological level. In a night at region scale that puts the cheap tests of side branches
(carriers, trainings, the scorecard's small marts) before the next step of the chain that decides
the build's length (`int_certificates_latest`, its tests, `int_person_standing_periods`, its
tests, `mart_high_skill_ratio`): a free thread took a side node while the chain's next node was
ready, about 0.5 s at each of four links. Here a node's priority is the time from its start to the
end of the build along its longest chain of descendants (its "bottom level"), measured as each
node's time in the last build (``run_results.json``); a node the last build did not run counts as
the median node. This is list scheduling by critical path; it changes the order only, never what
runs or what it reads.

Only the standard library here: the warm dbt process (`orchestration.defs.dbt.worker`) installs it
(`prioritise_critical_path`) before its build.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping
from pathlib import Path

DEFAULT_COST = 0.05  # seconds: a node's typical time when no earlier build says otherwise


def last_build_costs(run_results: Path) -> dict[str, float]:
    """Each node's time in the build that wrote `run_results` (dbt's artifact); {} if none."""
    try:
        results = json.loads(run_results.read_text())["results"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    costs = {}
    for result in results:
        if isinstance(result, dict) and isinstance(result.get("execution_time"), (int, float)):
            costs[str(result.get("unique_id"))] = float(result["execution_time"])
    return costs


def critical_path_scores(
    nodes: Iterable[str], successors: Mapping[str, Iterable[str]], costs: Mapping[str, float]
) -> dict[str, float]:
    """Score of each node for dbt's priority queue (lower goes first): minus its bottom level,
    the cost of the node plus the greatest bottom level among its successors (pure: unit-tested).
    Ties keep dbt's order (the queue then compares unique ids)."""
    nodes = list(nodes)
    default = statistics.median(costs.values()) if costs else DEFAULT_COST
    bottom: dict[str, float] = {}
    for node in _reverse_topological(nodes, successors):
        below = [bottom[s] for s in successors.get(node, ())]
        bottom[node] = costs.get(node, default) + max(below, default=0.0)
    return {node: -round(bottom[node], 6) for node in nodes}


def _reverse_topological(nodes: list[str], successors: Mapping[str, Iterable[str]]) -> list[str]:
    """Nodes, every one after all its successors (depth-first, iterative: graphs of thousands)."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for root in nodes:
        if root in state:
            continue
        stack = [(root, iter(successors.get(root, ())))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                state[node] = 2
                order.append(node)
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(successors.get(child, ()))))
            elif state[child] == 1:
                raise ValueError(f"the build graph has a cycle through {child}")
    return order


def prioritise_critical_path(run_results: Path) -> bool:
    """Make dbt's build take its ready nodes by `critical_path_scores`, with the times of the build
    that wrote `run_results`, and hand a thread its next node only when the thread is free.

    dbt's loop takes every ready node off its priority queue at once and queues it in its thread
    pool, first in first out: the priority then only orders nodes that became ready together. Here
    the queue gives out a node only while fewer nodes than dbt's threads are running, so that the
    choice is made when a thread frees up, among everything ready then. Returns False, and leaves
    dbt as it is, if this dbt's queue lacks what this relies on."""
    from dbt.graph.queue import GraphQueue
    from dbt.task.runnable import GraphRunnableTask

    needed = [(GraphQueue, "_get_scores"), (GraphQueue, "get"), (GraphRunnableTask, "run_queue")]
    if not all(callable(getattr(owner, name, None)) for owner, name in needed):
        return False
    costs = last_build_costs(run_results)
    queue_get, run_queue = GraphQueue.get, GraphRunnableTask.run_queue

    def _get_scores(self, graph) -> dict[str, float]:
        return critical_path_scores(graph.nodes(), {n: list(graph.successors(n)) for n in graph.nodes()}, costs)

    def get(self, block: bool = True, timeout: float | None = None):
        limit = getattr(self, "talent_threads", None)
        if limit:
            with self.some_task_done:  # dbt's lock; mark_done notifies it when a node ends
                while len(self.in_progress) >= limit:
                    self.some_task_done.wait()
        return queue_get(self, block, timeout)

    def run_queue_in_turn(self, pool) -> None:
        if self.job_queue is not None:
            self.job_queue.talent_threads = max(1, int(getattr(self.config, "threads", 1) or 1))
        return run_queue(self, pool)

    GraphQueue._get_scores = _get_scores
    GraphQueue.get = get
    GraphRunnableTask.run_queue = run_queue_in_turn
    return True
