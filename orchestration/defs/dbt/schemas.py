"""dbt's JSON schemas of its configuration classes built once per copy of the dbt project, not
once per run.

Before it parses, dbt checks ``dbt_project.yml``, the profile, the packages and the selectors
against JSON schemas that it builds from its dataclasses (`dbtClassMixin.json_schema`, through
mashumaro), in every process anew: seven schemas, 0.56–0.8 s of a region night's 1.3–1.9 s partial
parse, which the night's dbt step waits for. The schemas depend only on the classes, that is on the
installed dbt, its adapter and mashumaro, not on the project.

`KeptSchemas` keeps them in one file of the project's ``target`` folder, beside the compiled Jinja
(`orchestration.defs.dbt.templates`, whose `KeptFile` writes both), valid for one Python and
those packages' versions; a class's schema is built as dbt builds it when the file lacks it. A
class that defines its own `json_schema` (dbt's artifacts) keeps it.

Only the standard library and what dbt imports: the warm dbt process installs it (`install`)
before its parse, and saves it after its build.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from pathlib import Path

from orchestration.defs.dbt.templates import KeptFile, versions_header

FILE_NAME = "json_schemas.marshal"
PACKAGES = ("mashumaro", "dbt-common", "dbt-core", "dbt-adapters", "dbt-duckdb")


class KeptSchemas:
    """JSON schemas of dbt's classes by the class's dotted name, loaded from and saved to one file."""

    def __init__(self, path: Path):
        self.file = KeptFile(path, versions_header("talent-json-schemas", PACKAGES))
        self._kept = self.file.load()
        self.hits = 0
        self.built = 0

    def schema(self, cls: type, build: Callable[[type], dict]) -> dict:
        """`cls`'s schema as `build(cls)` makes it, built at most once per file."""
        key = f"{cls.__module__}.{cls.__qualname__}"
        schema = self._kept.get(key)
        if schema is None:
            schema = self._kept[key] = build(cls)
            self.built += 1
        else:
            self.hits += 1
        return schema

    def save(self) -> None:
        """Write the file when a schema was built in this process (atomically: `KeptFile`). A
        schema that holds more than plain data (a full parse's test configurations have an enum
        member as a default) is not kept: it is built again in each process, as before."""
        if self.built:
            self.file.write({key: schema for key, schema in self._kept.items() if _plain(schema)})


def _plain(schema: dict) -> bool:
    """Whether `marshal` writes `schema` as it is (dicts, lists, strings, numbers, None)."""
    try:
        marshal.dumps(schema)
    except ValueError:
        return False
    return True


def install(folder: Path) -> KeptSchemas | None:
    """Make dbt take its classes' JSON schemas from a `KeptSchemas` in `folder` (the dbt project's
    target folder). None, and dbt unchanged, when `json_schema` is not the cached class method this
    was written for (another dbt: it then builds them as it always does)."""
    from dbt_common.dataclass_schema import dbtClassMixin

    method = dbtClassMixin.__dict__.get("json_schema")
    build = getattr(method, "__func__", None)
    if not isinstance(method, classmethod) or not callable(getattr(build, "cache_info", None)):
        return None
    kept = KeptSchemas(folder / FILE_NAME)

    def json_schema(cls) -> dict:
        return kept.schema(cls, build)

    dbtClassMixin.json_schema = classmethod(json_schema)
    return kept
