"""The Dagster graph as operators see it: keys, checks, job and schedule (a change shows in review).

`test_the_whole_asset_graph_matches_its_snapshot` compares every asset key, check and dependency with
the committed file `tests/unit/snapshots/asset_graph.txt`. After a deliberate change of the graph
(a model, a check, a suite added or removed), regenerate it with one command and commit the diff:

    UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/unit/test_definitions.py -k snapshot
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg

from expectations.runner import SUITES
from orchestration.definitions import defs
from orchestration.defs.dbt.assets import dbt_build_args, dbt_target_path
from orchestration.defs.dbt.invocation import dbt_env, nightly_exclusions
from orchestration.settings import WarehouseSettings

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.txt"


def asset_graph_lines() -> list[str]:
    """The graph as sorted lines: `asset A <- B` per dependency (`asset A` when it has none, with its
    group), `check A: name [blocking|warn]` per check and `check A: name <- B` per additional dependency."""
    graph = defs.resolve_asset_graph()
    lines = []
    for key in graph.get_all_asset_keys():
        node, name = graph.get(key), key.to_user_string()
        lines.append(f"asset {name} (group {node.group_name})")
        lines += [f"asset {name} <- {parent.to_user_string()}" for parent in node.parent_keys]
    for check in graph.asset_check_keys:
        spec, where = graph.get_check_spec(check), f"check {check.asset_key.to_user_string()}: {check.name}"
        lines.append(f"{where} [{'blocking' if spec.blocking else 'warn'}]")
        lines += [f"{where} <- {dep.asset_key.to_user_string()}" for dep in spec.additional_deps]
    return sorted(lines)


def test_the_whole_asset_graph_matches_its_snapshot():
    lines = asset_graph_lines()
    if os.environ.get("UPDATE_SNAPSHOT") == "1":
        SNAPSHOT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    added, removed = sorted(set(lines) - set(expected)), sorted(set(expected) - set(lines))
    assert lines == expected, (
        f"the asset graph changed: added {added[:20]}, removed {removed[:20]} (and maybe reordered). "
        "If that is meant, regenerate the snapshot: UPDATE_SNAPSHOT=1 .venv/bin/pytest "
        "tests/unit/test_definitions.py -k snapshot"
    )


def test_the_snapshot_names_every_suite_of_expectations_as_a_check():
    text = SNAPSHOT.read_text(encoding="utf-8")
    for suite, spec in SUITES.items():
        table = spec.tables[0].replace(".", "/")
        assert f"check {table}: ge_{suite} [{'blocking' if spec.blocking else 'warn'}]" in text


def _keys():
    return {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}


def test_asset_graph_has_ingest_dbt_and_publish_layers():
    keys = _keys()
    assert {"raw/certifications", "raw/load_ledger", "raw/quarantine", "warehouse/published"} <= keys
    assert {"marts/mart_high_skill_ratio", "marts/mart_target_progress", "marts/mart_policy_scorecard"} <= keys
    assert "staging/stg_raw__certifications" in keys and "intermediate/int_certificates_latest" in keys


MARTS = {
    "audit_unmatched_providers",
    "mart_apprenticeship_annual",
    "mart_carrier_compliance",
    "mart_certificate_rewards",
    "mart_competition_results",
    "mart_graduate_certificates",
    "mart_high_skill_ratio",
    "mart_new_carriers",
    "mart_policy_scorecard",
    "mart_promotion_followup",
    "mart_target_progress",
    "mart_title_eligibility",
    "mart_training_level_mix",
}
SCORECARD_SLICES = {  # intermediate/int_scorecard__<slice> -> the mart it maps to scorecard rows
    "headline_ratio": "mart_target_progress",
    "apprenticeship": "mart_apprenticeship_annual",
    "project_training": "mart_training_level_mix",
    "carrier_compliance": "mart_carrier_compliance",
    "new_carriers": "mart_new_carriers",
    "graduate_certificates": "mart_graduate_certificates",
    "competition_promotion": "mart_promotion_followup",
    "title_direct": "mart_title_eligibility",
    "certificate_rewards": "mart_certificate_rewards",
}


def test_mart_asset_keys_are_the_published_tables():
    assert {k for k in _keys() if k.startswith("marts/")} == {f"marts/{m}" for m in MARTS}


def test_the_scorecard_is_the_union_of_one_slice_asset_per_mart():
    graph = defs.resolve_asset_graph()

    def parents(key: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(dg.AssetKey(key.split("/"))).parent_keys}

    slices = {f"intermediate/int_scorecard__{s}" for s in SCORECARD_SLICES}
    assert parents("marts/mart_policy_scorecard") == slices | {
        "reference/ref_policy_targets",
        "intermediate/int_scorecard_years",
        "intermediate/int_reporting_units",
    }
    for name, mart in SCORECARD_SLICES.items():
        assert f"marts/{mart}" in parents(f"intermediate/int_scorecard__{name}"), name
    # the reporting units come from the two seeds and feed the marts that report per unit
    assert parents("intermediate/int_reporting_units") == {"reference/ref_prefectures", "reference/ref_region"}
    assert "intermediate/int_reporting_units" in parents("marts/mart_high_skill_ratio")


def test_publish_waits_for_every_mart():
    graph = defs.resolve_asset_graph()
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey(["warehouse", "published"])).parent_keys}
    marts = {k for k in _keys() if k.startswith("marts/")}
    assert marts and marts <= parents


def test_every_suite_is_a_check_with_its_blocking_flag():
    graph = defs.resolve_asset_graph()
    names = {key.name: key for key in graph.asset_check_keys}
    for suite, spec in SUITES.items():
        key = names[f"ge_{suite}"]
        assert key.asset_key.to_user_string() == spec.tables[0].replace(".", "/")
        assert graph.get_check_spec(key).blocking is spec.blocking


def test_nightly_job_and_schedule():
    job = defs.resolve_job_def("nightly_refresh")
    assert job.executor_def.name == "in_process"
    schedule = defs.resolve_schedule_def("nightly_refresh_0200")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.job_name == "nightly_refresh"


def test_sensors_alert_on_failure_and_success_and_the_landing_sensor_is_off():
    sensors = {s.name: s for s in defs.sensors}
    assert set(sensors) == {"alert_on_run_failure", "report_finished_run", "landing_sensor", "freshness_checks_sensor"}
    running = dg.DefaultSensorStatus.RUNNING
    assert sensors["alert_on_run_failure"].default_status == running
    assert sensors["report_finished_run"].default_status == running
    assert sensors["freshness_checks_sensor"].default_status == running
    assert sensors["landing_sensor"].default_status == dg.DefaultSensorStatus.STOPPED
    assert sensors["landing_sensor"].job_name == "nightly_refresh"


def test_freshness_checks_on_the_published_file_and_every_raw_source_left_out_of_the_nightly_job():
    from ingest import contract

    graph = defs.resolve_asset_graph()
    fresh = {k.asset_key.to_user_string() for k in graph.asset_check_keys if k.name == "freshness_check"}
    assert fresh == {"warehouse/published", *(f"raw/{s}" for s in contract.SOURCES)}
    job = defs.resolve_job_def("nightly_refresh")
    assert not [n for n in job.graph.node_names() if n.startswith("freshness_check")]
    assert any(n.startswith("ge_") or "ge_" in n for n in job.graph.node_names())
    # the published asset's policy fails past TALENT_STALE_HOURS (30 by default), what `talent status` uses
    policy = graph.get(dg.AssetKey(["warehouse", "published"])).freshness_policy
    assert policy.fail_window.to_timedelta().total_seconds() == 30 * 3600


def test_dbt_is_invoked_once_with_the_run_settings():
    args = dbt_build_args(WarehouseSettings(as_of="2025-12-31", full_refresh=True, min_age=18))
    assert args[0] == "build" and args[-1] == "--full-refresh"
    assert json.loads(args[2]) == {"min_age": 18, "max_age": 60}
    assert dbt_build_args(WarehouseSettings(as_of="2025-12-31"))[-1] != "--full-refresh"
    assert args[3:5] == ["--exclude-resource-type", "unit_test"]  # those run in the test suite


def test_the_as_of_date_travels_in_the_environment_so_dbt_partial_parse_stays_valid():
    # --vars must not change from one night to the next: any change re-parses the whole project
    night_1 = dbt_build_args(WarehouseSettings(as_of="2025-12-30"))
    night_2 = dbt_build_args(WarehouseSettings(as_of="2025-12-31"))
    assert night_1 == night_2
    env = dbt_env(WarehouseSettings(as_of="2025-12-31", build_path="/srv/b"), "2025-12-30 02:00:01.5")
    assert env == {
        "TALENT_BUILD_DB": "/srv/b/build.duckdb",
        "TALENT_DUCKDB_MEMORY_LIMIT": "2.2GB",
        "TALENT_DBT_AS_OF_DATE": "2025-12-31",
        "TALENT_DBT_TESTED_THROUGH": "2025-12-30 02:00:01.5",
    }
    # a full refresh, or nothing published yet: every row is tested
    assert dbt_env(WarehouseSettings(full_refresh=True), "2025-12-30 02:00:01.5")["TALENT_DBT_TESTED_THROUGH"] == ""
    assert dbt_env(WarehouseSettings(), None)["TALENT_DBT_TESTED_THROUGH"] == ""


def test_dbt_keeps_one_target_folder_per_build_so_its_parse_state_is_reused():
    settings = WarehouseSettings(build_path="/srv/b")
    assert dbt_target_path(settings) == Path("/srv/b/dbt")
    assert dbt_target_path(WarehouseSettings(build_path="/srv/b", as_of="2020-01-01")) == dbt_target_path(settings)


def test_the_quick_up_to_date_check_reads_the_manifest_dagster_reads():
    from orchestration.defs.dbt.resources import dbt_project
    from orchestration.run import MANIFEST

    assert MANIFEST == dbt_project().manifest_path


def test_a_night_leaves_out_what_did_not_change_since_the_last_publish():
    night = WarehouseSettings(as_of="2025-12-31")
    marker = {"manifest_sha256": "abc", "ledger_last_load": "2025-12-30 02:00:00"}
    args = nightly_exclusions(night, marker, "abc", {"certifications"})
    assert args[0] == "--exclude" and args[2:] == ["--indirect-selection", "cautious"]
    left_out = args[1].split()
    assert left_out[0] == "resource_type:seed"
    assert set(left_out[1:]) == {f"stg_raw__{s}" for s in ("trainings", "competitions", "honours", "carriers", "graduates")}
    assert dbt_build_args(night, args)[-4:] == args
    # a changed project, nothing published yet, or a full refresh: everything is built and tested
    assert nightly_exclusions(night, marker, "def", {"certifications"}) == []
    assert nightly_exclusions(night, None, "abc", {"certifications"}) == []
    assert nightly_exclusions(WarehouseSettings(full_refresh=True), marker, "abc", set()) == []




def test_the_warm_dbt_process_parses_with_the_builds_vars_and_target_folder():
    from orchestration.defs.dbt.invocation import location_args, worker_command

    settings = WarehouseSettings(build_path="/srv/b", min_age=18)
    command = worker_command(settings)
    assert command[1:3] == ["-m", "orchestration.defs.dbt.worker"]
    parse_args = json.loads(command[3])
    build = dbt_build_args(settings)
    assert parse_args[:2] == build[1:3] == ["--vars", '{"max_age": 60, "min_age": 18}']  # else dbt re-parses
    assert parse_args[2:] == location_args(settings)
    assert location_args(settings)[location_args(settings).index("--target-path") + 1] == "/srv/b/dbt"
