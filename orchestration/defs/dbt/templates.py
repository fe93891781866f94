"""dbt's Jinja compiled once per copy of the dbt project, not once per run.

dbt renders every node's SQL, every config value with Jinja in it and every macro it calls from
source: `dbt_common.clients.jinja.get_template` makes a Jinja environment and compiles the string
(parse, generate Python, `compile()`), every run anew. A region night compiled ~690 templates, 510
distinct, for ~2 s of dbt's threads under the one interpreter lock (the nodes' own SQL runs
beside it). The sources are the project's and dbt's macros, the same from one night to the next.

`CompiledTemplates` keeps the code Jinja generates, keyed by the source and by which of dbt's two
environments (text or native) compiled it, in one file of the project's ``target`` folder (beside
the manifest `make install` writes; every build of the project, a full refresh's new build folder
included, finds it), as Jinja's own bytecode caches keep a loader's templates (`marshal`, valid for
one Python, Jinja and dbt). Builds that run side by side (the test suite's) each write their own
temporary file and replace the kept one atomically: a reader sees the old file or a new one. A
template is then made from the kept code exactly as `Environment.from_string` makes it from fresh
code (`Template.from_code`), with the environment, globals and undefined handling of that call.
The file holds project code only (SQL and macro text), no data. A file that does not match (other
versions, damaged, unreadable) is ignored and rewritten.

Only the standard library and what dbt imports: the warm dbt process installs it
(`install`) before its parse and build, and saves it after.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import marshal
import os
import sys
from pathlib import Path

FILE_NAME = "jinja_code.marshal"
MAX_UNUSED = 2000  # templates kept that the last run did not use (old versions of edited models)


def versions_header(kind: str, packages: tuple[str, ...]) -> bytes:
    """The first line of a kept file: what it holds and the Python and package versions it is
    valid for (a file with any other first line is ignored)."""
    versions = [f"{sys.implementation.cache_tag}"]
    for package in packages:
        try:
            versions.append(f"{package}={importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package}=?")
    return (f"{kind} " + " ".join(versions) + "\n").encode()


class KeptFile:
    """A dict the warm dbt process keeps between runs in one file (`marshal`, after a header line
    naming the versions it is valid for), written atomically: each writer through a temporary file
    of its own (builds run side by side in the test suite), so a reader sees the old file or a new
    one. A file that does not match (other versions, damaged, unreadable) reads as empty."""

    def __init__(self, path: Path, header: bytes):
        self.path = path
        self.header = header

    def load(self) -> dict:
        try:
            data = self.path.read_bytes()
        except OSError:
            return {}
        if not data.startswith(self.header):
            return {}
        try:
            kept = marshal.loads(data[len(self.header) :])
        except (EOFError, ValueError, TypeError):
            return {}
        return kept if isinstance(kept, dict) else {}

    def write(self, content: dict) -> None:
        try:
            data = self.header + marshal.dumps(content)
        except ValueError:  # not plain data: nothing is kept, the next run makes it again
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.partial")  # builds run side by side
        try:
            partial.write_bytes(data)
            os.replace(partial, self.path)
        except OSError:  # a full disk, a read-only checkout: the next run builds it again
            with contextlib.suppress(OSError):
                partial.unlink()


class CompiledTemplates:
    """Code objects of compiled Jinja templates, loaded from and saved to one file."""

    def __init__(self, path: Path):
        self.file = KeptFile(path, versions_header("talent-jinja-code", ("jinja2", "dbt-common", "dbt-core")))
        self._kept = self.file.load()
        self._used: dict[tuple[bool, str], object] = {}
        self.hits = 0
        self.compiled = 0

    def code(self, environment, source: str, native: bool):
        """The code `environment.compile(source)` gives, compiled at most once per file."""
        key = (native, source)
        code = self._used.get(key)
        if code is None:
            code = self._kept.get(key)
            if code is None:
                code = environment.compile(source)
                self.compiled += 1
            else:
                self.hits += 1
            self._used[key] = code
        return code

    def save(self) -> None:
        """Write the templates this run used (and those kept before, up to `MAX_UNUSED`) when
        any was compiled; atomically, so that a killed run leaves the old file or the new one."""
        if not self.compiled:
            return
        unused = [(k, v) for k, v in self._kept.items() if k not in self._used][:MAX_UNUSED]
        self.file.write({**dict(unused), **self._used})


def install(folder: Path) -> CompiledTemplates | None:
    """Make dbt compile its templates through a `CompiledTemplates` in `folder` (the dbt
    project's target folder). None, and dbt unchanged, when dbt's `get_template` is not the function
    this was written for (another dbt: it then compiles as it always does)."""
    import dbt.clients.jinja as dbt_jinja
    import dbt_common.clients.jinja as common_jinja

    original = common_jinja.get_template
    if dbt_jinja.get_template is not original or original.__code__.co_varnames[:5] != (
        "string", "ctx", "node", "capture_macros", "native",
    ):  # fmt: skip
        return None
    cache = CompiledTemplates(folder / FILE_NAME)

    def get_template(string, ctx, node=None, capture_macros=False, native=False):
        # dbt_common.clients.jinja.get_template, with the compiled code taken from the cache
        with common_jinja.catch_jinja(node):
            env = common_jinja.get_environment(node, capture_macros, native=native)
            code = cache.code(env, str(string), bool(native))
            return env.template_class.from_code(env, code, env.make_globals(ctx), None)

    common_jinja.get_template = get_template
    dbt_jinja.get_template = get_template
    return cache
