"""What `talent refresh` prints: progress, a one-screen summary, errors by class and place only."""

from __future__ import annotations

import io
from dataclasses import dataclass

from rich.console import Console

from orchestration.defs.dbt.assets import NodeLog
from orchestration.run import RefreshOutcome, error_classes
from orchestration.settings import WarehouseSettings
from talent.console import ConsoleReporter, error_line, stage_of, summary

ID_NUMBER = "650102199001010012"  # what a reader's error message could quote


def _text(renderable) -> str:
    out = io.StringIO()
    Console(file=out, width=200).print(renderable)
    return out.getvalue()


def test_an_error_is_shown_by_class_and_place_never_by_its_text():
    def read_row():
        raise ValueError(f"could not parse row 7: 张三,{ID_NUMBER}")

    try:
        try:
            read_row()
        except ValueError as inner:
            raise RuntimeError(f"ingest failed on {ID_NUMBER}") from inner
    except RuntimeError as exc:
        line = error_line(exc)
    assert line.startswith("RuntimeError <- ValueError at test_console.py:")
    assert ID_NUMBER not in line and "张三" not in line


@dataclass
class _ErrorInfo:  # the shape of Dagster's SerializableErrorInfo
    message: str
    cls_name: str | None
    cause: _ErrorInfo | None = None


def test_a_failed_step_is_named_with_its_exception_classes():
    error = _ErrorInfo(f"boom {ID_NUMBER}", "DagsterExecutionStepExecutionError", _ErrorInfo(ID_NUMBER, "ComputeError"))
    assert error_classes(error) == "DagsterExecutionStepExecutionError <- ComputeError"


def test_summary_gives_each_stage_its_time_and_share_and_every_failure():
    outcome = RefreshOutcome(
        success=False,
        published=False,
        up_to_date=False,
        run_id="0123456789abcdef",
        seconds=40.0,
        failed_checks=["marts/mart_high_skill_ratio: ge_mart_high_skill_ratio (rows: ...)"],
        warnings=["raw/certifications: ge_raw_certifications_advisory (...)"],
        failed_steps=["warehouse__published (PersonalDataFound)"],
        step_seconds={"ingest_landing": 4.0, "dbt_models": 20.0, "raw__certifications_ge_raw_certifications": 1.0,
                      "marts__mart_high_skill_ratio_ge_mart_high_skill_ratio": 1.0, "warehouse__published": 2.0},
        ingest_summary="2 new files (2 loaded): 3060 rows landed, 3005 loaded, 55 quarantined in 0.8 s",
    )
    reporter = ConsoleReporter(Console(file=io.StringIO()), verbose=False)
    reporter.finish("dbt", detail="Done. PASS=305 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=305")
    reporter.log_file("dbt", "/b/logs/dbt-1.log")
    text = _text(summary(outcome, reporter, WarehouseSettings(as_of="2026-07-01"), {"warnings": 3, "path": "/b/logs/refresh.log"}))
    assert "NOT published" in text and "as of 2026-07-01" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.strip()}
    assert "20.0 s" in lines["dbt"] and "50 %" in lines["dbt"] and "PASS=305" in lines["dbt"]
    assert "2.0 s" in lines["checks"] and "5 %" in lines["checks"]
    assert "4.0 s" in lines["ingest"] and "3060 rows landed" in lines["ingest"]
    assert "12.0 s" in lines["start-up"]  # 40 s less the steps' 28 s
    assert "mart_high_skill_ratio" in lines["failed"] and "advisory" in lines["warning"]
    assert "PersonalDataFound" in text and "/b/logs/dbt-1.log" in text and "3 warnings: /b/logs/refresh.log" in text


def test_steps_belong_to_their_stage():
    assert stage_of("ingest_landing") == "ingest" and stage_of("dbt_models") == "dbt"
    assert stage_of("warehouse__published") == "publish"
    assert stage_of("raw__certifications_ge_raw_certifications") == "checks"


def test_dbt_node_log_counts_finished_nodes_and_keeps_the_closing_line(tmp_path):
    totals = []
    log = NodeLog(tmp_path / "logs" / "dbt.log", on_node=totals.append)
    log.write("1 of 3 START sql view model staging.a ........ [RUN]\n")
    log.write("1 of 3 OK created sql view model staging.a ... [\x1b[32mOK\x1b[0m in 0.1s]\n")
    log.write("2 of 3 PASS not_null_a_id .................. [\x1b[32mPASS\x1b[0m in 0.1s]\n")
    log.write("3 of 3 FAIL 1 unique_a_id .................. [\x1b[31mFAIL 1\x1b[0m in 0.1s]\n")
    log.write("Done. PASS=1 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=3\n")
    log.close()
    assert totals == [3, 3, 3]  # the START line is not a finished node
    assert log.done_line == "Done. PASS=1 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=3"
    text = (tmp_path / "logs" / "dbt.log").read_text()
    assert "\x1b[" not in text and "[OK in 0.1s]" in text


def test_a_failed_step_shows_the_message_of_an_error_written_for_operators():
    """`BuildRefused` and its kinds say what to do, and quote no landed value: their text is shown;
    any other class's is not."""
    refused = _ErrorInfo(
        "ingest.load.BuildInUse: build.duckdb is open in another process (python3.11, PID 4242), ...\n",
        "BuildInUse",
    )
    error = _ErrorInfo(f"boom {ID_NUMBER}", "DagsterExecutionStepExecutionError", refused)
    assert error_classes(error) == (
        "DagsterExecutionStepExecutionError <- BuildInUse: build.duckdb is open in another process "
        "(python3.11, PID 4242), ..."
    )
    hidden = _ErrorInfo(f"boom {ID_NUMBER}", "DagsterExecutionStepExecutionError", _ErrorInfo(f"x {ID_NUMBER}", "IOException"))
    assert ID_NUMBER not in error_classes(hidden)


def test_the_errors_shown_with_their_message_are_the_build_refusals():
    from ingest.load import BuildRefused
    from orchestration.run import EXPLAINED_ERRORS

    assert {cls.__name__ for cls in (BuildRefused, *BuildRefused.__subclasses__())} == EXPLAINED_ERRORS
