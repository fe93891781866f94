"""Set Superset up on the published warehouse and start it: `make bi` runs this with bi/.venv's Python.

    bi/.venv/bin/python bi/setup.py [--warehouse FILE] [--host 127.0.0.1] [--port 8088] [--setup-only]

In one process (Superset's CLI would start the app once per command, ~15 s each):

1. the metadata database (SQLite under TALENT_BI_HOME, default data/bi/) is migrated;
2. the admin user exists: password from TALENT_BI_PASSWORD, else generated once into
   data/bi/admin_password (mode 0600) and printed the first time;
3. roles and permissions are synced (``superset init``) when the Superset version changed;
4. the dashboards of bi/assets/ (Superset's v1 YAML import format, kept in the repo) are imported
   with the database connection and the datasets, overwriting what was there:
   - the connection opens the published file read-only, with external access disabled and no
     extension downloads, one connection per query (so a file swapped in by `os.replace` is seen
     at the next query, without a restart);
   - one dataset per table of the published file (schemas marts and audit), columns typed as in
     the file, with the Chinese labels and descriptions of the dbt docs (publish/docs.py);
5. gunicorn serves it on 127.0.0.1 only (unless --host says otherwise).
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import sys
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

BI_DIR = Path(__file__).resolve().parent
ROOT = BI_DIR.parent
ASSETS = BI_DIR / "assets"
NAMESPACE = uuid.UUID("6f1c2a52-7d1e-4b8e-9a55-2f0d3c7a9b10")  # the uuids of bi/assets derive from it
DATABASE_NAME = "高技能人才数据仓库"
DEFAULT_WAREHOUSE = "data/warehouse/talent.duckdb"

os.environ.setdefault("SUPERSET_CONFIG_PATH", str(BI_DIR / "superset_config.py"))
os.environ.setdefault("SUPERSET_LOAD_EXAMPLES", "no")
sys.path.insert(0, str(ROOT))  # publish.docs: standard library only

from publish.docs import published_docs


def dataset_uuid(table: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"dataset/{table}"))


DATABASE_UUID = str(uuid.uuid5(NAMESPACE, "database/talent_warehouse"))


def bi_home() -> Path:
    home = Path(os.environ.get("TALENT_BI_HOME") or ROOT / "data" / "bi").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def admin_password() -> tuple[str, bool]:
    """(password, generated now?)"""
    if os.environ.get("TALENT_BI_PASSWORD"):
        return os.environ["TALENT_BI_PASSWORD"], False
    path = bi_home() / "admin_password"
    if path.exists():
        return path.read_text().strip(), False
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password)
    return password, True


def database_yaml(warehouse: Path) -> dict:
    return {
        "database_name": DATABASE_NAME,
        "sqlalchemy_uri": f"duckdb:///{warehouse}",
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_csv_upload": False,
        "extra": {
            "engine_params": {
                "connect_args": {
                    "read_only": True,
                    "config": {
                        "enable_external_access": False,
                        "autoinstall_known_extensions": False,
                        "autoload_known_extensions": False,
                    },
                }
            },
            "metadata_cache_timeout": {"schema_cache_timeout": 0, "table_cache_timeout": 0},
            "disable_data_preview": False,
            "allows_virtual_table_explore": True,
        },
        "uuid": DATABASE_UUID,
        "version": "1.0.0",
    }


TEMPORAL = ("DATE", "TIMESTAMP")


def datasets_yaml(warehouse: Path, docs: dict) -> dict[str, dict]:
    """One dataset per table of the published file (read with DuckDB 1.x, read-only)."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True, config={"enable_external_access": False})
    try:
        columns = con.execute(
            "select schema_name, table_name, column_name, data_type from duckdb_columns() "
            "where schema_name in ('marts', 'audit') order by schema_name, table_name, column_index"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, dict] = {}
    for schema, table, column, dtype in columns:
        key = f"{schema}.{table}"
        doc = docs.get(key)
        if key not in out:
            out[key] = {
                "table_name": table,
                "schema": schema,
                "description": doc.comment() if doc else None,
                "main_dttm_col": None,
                "default_endpoint": None,
                "offset": 0,
                "cache_timeout": None,
                "sql": None,
                "params": {"label_zh": doc.label_zh} if doc else None,
                "template_params": None,
                "filter_select_enabled": True,
                "fetch_values_predicate": None,
                "extra": None,
                "normalize_columns": False,
                "always_filter_main_dttm": False,
                "uuid": dataset_uuid(key),
                "metrics": [
                    {"metric_name": "count", "verbose_name": "行数", "metric_type": "count",
                     "expression": "COUNT(*)", "description": None, "d3format": None, "extra": None,
                     "warning_text": None}
                ],
                "columns": [],
                "version": "1.0.0",
                "database_uuid": DATABASE_UUID,
            }
        c = doc.column(column) if doc else None
        is_dttm = dtype.startswith(TEMPORAL)
        out[key]["columns"].append({
            "column_name": column,
            "verbose_name": c.label_zh if c else None,
            "description": c.description if c and c.description else None,
            "type": dtype,
            "is_dttm": is_dttm,
            "is_active": True,
            "groupby": True,
            "filterable": True,
            "expression": None,
            "python_date_format": None,
            "advanced_data_type": None,
            "extra": None,
        })
        if is_dttm and out[key]["main_dttm_col"] is None:
            out[key]["main_dttm_col"] = column
    return out


def bundle(warehouse: Path, docs: dict) -> bytes:
    """The import bundle: bi/assets' charts and dashboards, plus the connection and the datasets."""
    import yaml

    root = "talent_bi"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(f"{root}/metadata.yaml", yaml.safe_dump(
            {"version": "1.0.0", "type": "Dashboard", "timestamp": datetime.now(UTC).isoformat()}
        ))
        z.writestr(f"{root}/databases/talent_warehouse.yaml", yaml.safe_dump(database_yaml(warehouse), allow_unicode=True))
        for key, dataset in datasets_yaml(warehouse, docs).items():
            z.writestr(f"{root}/datasets/talent_warehouse/{key}.yaml", yaml.safe_dump(dataset, allow_unicode=True))
        for kind in ("charts", "dashboards"):
            for path in sorted((ASSETS / kind).glob("*.yaml")):
                z.writestr(f"{root}/{kind}/{path.name}", path.read_text(encoding="utf-8"))
    return buffer.getvalue()


def setup(warehouse: Path) -> None:
    if not warehouse.exists():
        sys.exit(f"{warehouse} does not exist: run `make refresh` first (it publishes the warehouse)")
    password, generated = admin_password()
    docs = published_docs()
    home = bi_home()

    from flask import g
    from flask_migrate import upgrade
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import appbuilder, security_manager
        from superset.commands.dashboard.importers.dispatcher import ImportDashboardsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle
        from superset.extensions import db

        upgrade(directory=str(Path(sys.modules["superset"].__file__).parent / "migrations"))
        version_marker = home / "superset_version"
        version = app.config["VERSION_STRING"]
        if not version_marker.exists() or version_marker.read_text() != version:
            appbuilder.add_permissions(update_perms=True)
            security_manager.sync_role_definitions()
            db.session.commit()
            version_marker.write_text(version)
        user = security_manager.find_user(username="admin")
        if user is None:
            security_manager.add_user(
                "admin", "Talent", "Admin", "admin@localhost", security_manager.find_role("Admin"), password=password
            )
        elif os.environ.get("TALENT_BI_PASSWORD"):
            security_manager.reset_password(user.id, password)
        db.session.commit()
        g.user = security_manager.find_user(username="admin")
        with zipfile.ZipFile(io.BytesIO(bundle(warehouse, docs))) as z:
            contents = get_contents_from_bundle(z)
        ImportDashboardsCommand(contents, overwrite=True).run()
        db.session.commit()
    if generated:
        print(f"Superset admin password (generated once, kept in {home / 'admin_password'}): {password}")


def serve(host: str, port: int) -> None:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    args = [
        str(gunicorn), "--bind", f"{host}:{port}", "--workers", "1", "--worker-class", "gthread",
        "--threads", "8", "--timeout", "120", "--limit-request-line", "0", "--limit-request-field_size", "0",
        "superset.app:create_app()",
    ]
    print(f"Superset on http://{host}:{port}/ (user admin)", flush=True)
    os.execv(args[0], args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path,
                        default=Path(os.environ.get("TALENT_WAREHOUSE") or ROOT / DEFAULT_WAREHOUSE))
    parser.add_argument("--host", default=os.environ.get("TALENT_BI_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("TALENT_BI_PORT", "8088")))
    parser.add_argument("--setup-only", action="store_true", help="import the dashboards, do not serve")
    ns = parser.parse_args()
    setup(ns.warehouse.resolve())
    if not ns.setup_only:
        serve(ns.host, ns.port)


if __name__ == "__main__":
    main()
