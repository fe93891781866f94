"""The build's DuckDB memory limit: ingest's connection and dbt's profile take the same value."""

import os
import subprocess
import sys
import textwrap

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
    assert limit_of(tmp_path) == "2.0 GiB"  # the default, 2.2 GB


def test_dbt_profile_has_the_same_default():
    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    setting = profile["talent_warehouse"]["outputs"]["build"]["config_options"]["memory_limit"]
    assert f"'TALENT_DUCKDB_MEMORY_LIMIT', '{DEFAULT_MEMORY_LIMIT}'" in setting


def test_dbts_connection_has_the_limit_from_its_config_options(tmp_path):
    """dbt-duckdb opens the build database with the limit, and its profile has no per-cursor
    `settings` (it runs those again on every node's cursor; `SET memory_limit` waited there)."""
    script = textwrap.dedent(f"""
        import os
        from argparse import Namespace
        from dbt_common.context import set_invocation_context
        from dbt.flags import set_from_args
        from dbt.config.profile import Profile, read_profile
        from dbt.config.renderer import ProfileRenderer
        from dbt.adapters.duckdb.environments.local import LocalEnvironment

        set_invocation_context(os.environ)
        set_from_args(Namespace(), None)
        profile = Profile.from_raw_profiles(read_profile({str(PROJECT_DIR)!r}), "talent_warehouse", ProfileRenderer({{}}))
        environment = LocalEnvironment(profile.credentials)  # it closes the database when collected
        handle = environment.handle()
        print(handle.cursor().execute("select current_setting('memory_limit')").fetchone()[0], profile.credentials.settings, sep="|")
    """)
    env = {**os.environ, "TALENT_BUILD_DB": str(tmp_path / "build.duckdb"), "TALENT_DUCKDB_MEMORY_LIMIT": "1GB"}
    out = subprocess.run([sys.executable, "-c", script], env=env, check=False, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    limit, settings = out.stdout.strip().split("|")
    assert limit == "953.6 MiB"  # DuckDB shows 10^9 bytes in binary units
    assert settings in ("None", "{}")
