"""One run at a time, whatever starts it: the build lock, the resource every step holds, the run queue."""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.defs.guard import HeldBuildLock, build_lock_resource
from orchestration.defs.schedules import BUILD_TAG
from orchestration.lock import LOCK_FILE, BuildBusy, build_lock, holds_lock, read_holder
from orchestration.settings import WarehouseSettings

REPO = Path(__file__).resolve().parents[2]

HOLD = """
import sys, time
from orchestration.lock import build_lock
with build_lock(sys.argv[1], "refresh run abc (job nightly_refresh)"):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


@pytest.fixture
def other_holder(tmp_path):
    """Another process holding the build lock of tmp_path/build until the fixture ends."""
    build = tmp_path / "build"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(build)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    yield build, proc
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0


def test_a_busy_lock_names_its_holder(other_holder):
    build, proc = other_holder
    with pytest.raises(BuildBusy) as busy, build_lock(build, "talent refresh"):
        pass
    text = str(busy.value)
    assert text.startswith(f"another refresh is running on {build.resolve()} since ")
    assert f"pid {proc.pid} (refresh run abc (job nightly_refresh))" in text
    holder = read_holder(build)
    assert holder["pid"] == proc.pid and holder["what"] == "refresh run abc (job nightly_refresh)"


def test_waiting_for_a_busy_lock_says_so_then_gives_up(other_holder):
    build, proc = other_holder
    said = []
    with (
        pytest.raises(BuildBusy, match=r"still busy after waiting 1 s"),
        build_lock(build, "talent export eligibility", wait=1, on_wait=said.append),
    ):
        pass
    assert len(said) == 1 and f"pid {proc.pid}" in said[0] and "waiting up to 1 s" in said[0]


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path):
    build = tmp_path / "build"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(build)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    proc.kill()
    proc.wait()
    with build_lock(build, "talent refresh") as holder:
        assert holder["pid"] == os.getpid()
        assert read_holder(build)["pid"] == os.getpid()
    assert read_holder(build) == {}  # released: nobody named


def test_the_lock_is_reentrant_in_one_thread_and_private(tmp_path):
    build = tmp_path / "build"
    with build_lock(build, "talent refresh") as outer:
        with build_lock(build, "refresh run x") as inner:
            assert inner is outer and holds_lock(build)
        assert holds_lock(build)
    assert not holds_lock(build)
    assert stat.S_IMODE(build.stat().st_mode) == 0o700
    assert stat.S_IMODE((build / LOCK_FILE).stat().st_mode) == 0o600


def test_another_thread_of_the_same_process_is_refused(tmp_path):
    import threading

    build = tmp_path / "build"
    errors = []

    def second():
        try:
            with build_lock(build, "refresh (second thread)"):
                pass
        except BuildBusy as exc:
            errors.append(str(exc))

    with build_lock(build, "refresh (first thread)"):
        t = threading.Thread(target=second)
        t.start()
        t.join()
    assert len(errors) == 1 and "refresh (first thread)" in errors[0]


def test_every_asset_and_check_of_the_job_holds_the_build_lock():
    job = defs.resolve_job_def("nightly_refresh")
    nodes = {node.name: node.definition.required_resource_keys for node in job.graph.node_dict.values()}
    assert len(nodes) > 10
    missing = sorted(name for name, keys in nodes.items() if "build_lock" not in keys)
    assert missing == []


def test_the_resource_holds_the_lock_and_a_private_umask_for_the_whole_run(tmp_path):
    """A two-asset job with the real resource: each step sees the lock held and umask 0o077;
    a second run on the same build folder fails at its start, naming the first."""
    seen = []

    @dg.asset
    def first(build_lock: dg.ResourceParam[HeldBuildLock], settings: WarehouseSettings):
        umask = os.umask(0o022)
        os.umask(umask)
        seen.append((holds_lock(settings.build_dir), umask, build_lock.holder["pid"]))

    @dg.asset(deps=[first])
    def second(build_lock: dg.ResourceParam[HeldBuildLock], settings: WarehouseSettings):
        seen.append((holds_lock(settings.build_dir), None, build_lock.holder["pid"]))

    settings = WarehouseSettings(warehouse_path=str(tmp_path / "wh" / "talent.duckdb"))
    job = dg.define_asset_job("j", executor_def=dg.in_process_executor)
    jdefs = dg.Definitions(
        assets=[first, second], jobs=[job], resources={"settings": settings, "build_lock": build_lock_resource}
    )
    before = os.umask(0o022)
    os.umask(before)
    result = jdefs.resolve_job_def("j").execute_in_process(raise_on_error=False)
    assert result.success
    assert seen == [(True, 0o077, os.getpid()), (True, None, os.getpid())]
    after = os.umask(0o022)
    os.umask(after)
    assert after == before and not holds_lock(settings.build_dir)

    # another thread stands for another process here (the same refusal path)
    with (
        build_lock(settings.build_dir, "refresh run first (job nightly_refresh)"),
        pytest.raises(dg.DagsterResourceFunctionError) as refused,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        pool.submit(lambda: jdefs.resolve_job_def("j").execute_in_process()).result()
    assert isinstance(refused.value.__cause__, BuildBusy)
    assert "another refresh is running on" in str(refused.value.__cause__)
    assert "refresh run first (job nightly_refresh)" in str(refused.value.__cause__)


def test_dagster_yaml_queues_refreshes_one_at_a_time(tmp_path):
    """The instance configured by the repository's dagster.yaml: the daemon's run queue launches one
    queued refresh when none is running, and none while one is."""
    from dagster._core.remote_origin import (
        RegisteredCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.test_utils import create_run_for_test
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    job_tags = defs.resolve_job_def("nightly_refresh").tags
    assert BUILD_TAG in job_tags
    with dg.DagsterInstance.from_config(str(home)) as instance:
        config = instance.get_concurrency_config().run_queue_config
        assert config.max_concurrent_runs == 1
        assert [(limit["key"], limit["limit"]) for limit in config.tag_concurrency_limits] == [(BUILD_TAG, 1)]
        daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
        origin = RemoteJobOrigin(
            RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("talent_warehouse"), "__repository__"),
            "nightly_refresh",
        )
        queued = [
            create_run_for_test(
                instance,
                job_name="nightly_refresh",
                status=dg.DagsterRunStatus.QUEUED,
                tags=job_tags,
                remote_job_origin=origin,
            )
            for _ in range(2)
        ]
        chosen = daemon._get_runs_to_dequeue(instance, instance.get_concurrency_config(), None)
        assert [r.run_id for r in chosen] == [queued[0].run_id]
        create_run_for_test(instance, job_name="nightly_refresh", status=dg.DagsterRunStatus.STARTED, tags=job_tags)
        assert daemon._get_runs_to_dequeue(instance, instance.get_concurrency_config(), None) == []
