"""The build's DuckDB memory limit: ingest's connection and dbt's profile take the same value."""

import yaml

from ingest.load import connect_build
from ingest.memory import DEFAULT_MEMORY_LIMIT
from ingest.pii import resolve_key
from orchestration.defs.dbt.invocation import PROJECT_DIR, dbt_env
from orchestration.settings import WarehouseSettings


def limit_of(tmp_path) -> str:
    con = connect_build(tmp_path / "b/build.duckdb", tmp_path / "r/restricted.duckdb", resolve_key(tmp_path / "k"))
    try:
        return con.execute("select current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()


def test_ingest_spills_beyond_the_limit_set_in_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TALENT_DUCKDB_MEMORY_LIMIT", "1GB")
    assert limit_of(tmp_path) == "953.6 MiB"  # DuckDB shows 10^9 bytes in binary units
    assert dbt_env(WarehouseSettings(), None)["TALENT_DUCKDB_MEMORY_LIMIT"] == "1GB"
    monkeypatch.delenv("TALENT_DUCKDB_MEMORY_LIMIT")
    assert limit_of(tmp_path) == "2.3 GiB"  # the default, 2.5 GB


def test_dbt_profile_has_the_same_default():
    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    setting = profile["talent_warehouse"]["outputs"]["build"]["config_options"]["memory_limit"]
    assert f"'TALENT_DUCKDB_MEMORY_LIMIT', '{DEFAULT_MEMORY_LIMIT}'" in setting
