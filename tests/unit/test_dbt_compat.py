"""dagster-dbt without dbt-core in the Dagster process (orchestration.defs.dbt.compat): the
definitions load without importing dbt, and dagster-dbt's own status and node-type enums convert
dbt's events as dbt-core's would. Each check runs in a fresh interpreter: in this one, another
test may have imported dbt first."""

from __future__ import annotations

from tests.support import fresh_python


def test_the_definitions_load_without_dbt_core_and_dbt_stays_importable():
    out = fresh_python(
        "import json, sys\n"
        "from orchestration.definitions import defs\n"
        "import dagster_dbt.compat as compat\n"
        "loaded = sorted(m for m in sys.modules if m == 'dbt' or m.startswith('dbt.'))\n"
        "jobs = [j.name for j in defs.resolve_all_job_defs()]\n"
        "from dbt.version import __version__\n"  # the mark was removed: dbt imports as usual
        "print(json.dumps({'loaded': loaded, 'engine': str(compat.DBT_PYTHON_VERSION), 'jobs': jobs,\n"
        "                  'dbt': __version__}))\n"
    )
    assert out["loaded"] == []
    assert out["engine"] == "None"  # dagster-dbt took its own enums
    assert "nightly_refresh" in out["jobs"]
    assert out["dbt"].startswith("1.")


def test_dagster_dbts_own_enums_carry_dbt_cores_values():
    """Every member dagster-dbt's enums name has the value of dbt-core's member of that name, and
    the members its event conversion compares with exist in dbt-core."""
    out = fresh_python(
        "import json\n"
        "import orchestration.defs.dbt.compat\n"
        "from dagster_dbt import compat\n"
        "from dbt.artifacts.schemas.results import NodeStatus, TestStatus\n"
        "from dbt.node_types import NodeType\n"
        "pairs = {'NodeStatus': NodeStatus, 'TestStatus': TestStatus, 'NodeType': NodeType}\n"
        "out = {}\n"
        "for name, real in pairs.items():\n"
        "    own = getattr(compat, name)\n"
        "    assert own is not real\n"
        "    out[name] = {m.name: [m.value, getattr(real, m.name).value if hasattr(real, m.name) else None] for m in own}\n"
        "print(json.dumps(out))\n"
    )
    for enum, members in out.items():
        differing = {name: pair for name, pair in members.items() if pair[1] is not None and pair[0] != pair[1]}
        assert differing == {}, enum
    used = {"NodeStatus": ["Success", "Skipped", "Warn"], "TestStatus": ["Pass", "Warn"], "NodeType": ["Test", "Snapshot"]}
    for enum, names in used.items():
        for name in names:
            own, real = out[enum][name]
            assert own == real, (enum, name)


def test_a_dbt_test_result_becomes_a_check_that_passes_fails_or_warns():
    """dagster-dbt's converter, with its own enums, on a dbt test result event for a real test node
    of the manifest: 'pass' passes; 'fail' fails with severity ERROR; 'warn' fails with WARN."""
    out = fresh_python(
        "import json\n"
        "import orchestration.defs.dbt.compat\n"
        "from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage\n"
        "from orchestration.defs.dbt.resources import dbt_project\n"
        "from orchestration.defs.dbt.translator import TalentDbtTranslator\n"
        "manifest = json.loads(dbt_project().manifest_path.read_text())\n"
        "uid = next(u for u in sorted(manifest['nodes']) if u.startswith('test.') and 'not_null_int_as_of_dates' in u)\n"
        "out = {}\n"
        "for status in ('pass', 'fail', 'warn', 'skipped'):\n"
        "    event = {'info': {'name': 'LogTestResult', 'msg': '', 'invocation_id': 'x'},\n"
        "             'data': {'status': status, 'num_failures': 0 if status == 'pass' else 2,\n"
        "                      'node_info': {'unique_id': uid, 'node_status': status}}}\n"
        "    done = list(DbtCoreCliEventMessage(raw_event=event, event_history_metadata={})\n"
        "                .to_default_asset_events(manifest=manifest, dagster_dbt_translator=TalentDbtTranslator()))\n"
        "    out[status] = [[type(e).__name__, e.passed, e.severity.value, e.asset_key.to_user_string()] for e in done]\n"
        "print(json.dumps(out))\n"
    )
    assert out["pass"] == [["AssetCheckEvaluation", True, "ERROR", "intermediate/int_as_of_dates"]]
    assert out["fail"] == [["AssetCheckEvaluation", False, "ERROR", "intermediate/int_as_of_dates"]]
    assert out["warn"] == [["AssetCheckEvaluation", False, "WARN", "intermediate/int_as_of_dates"]]
    assert out["skipped"] == []  # a skipped test is no evaluation
