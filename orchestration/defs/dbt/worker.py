"""A warm dbt process for one build: started with the run, it imports dbt and parses the project
while the refresh ingests, then waits for the build's arguments and runs it on the manifest it
holds in memory.

What it saves against starting `dbt build` when the build step begins (measured on the embedded
sample): importing dbt in a new process (~3 s) and loading the partial-parse state (~1.4 s), both
now done on the other core while this run ingests. It speaks dbt's own protocol to dagster-dbt:
every event of info level or above is one JSON line on standard output (what ``dbt
--log-format json`` prints), and the exit code is dbt's (0 success, 1 a node failed, 2 dbt could
not run), so `DbtCliInvocation` streams it as it would stream a dbt subprocess.

It compiles dbt's Jinja templates once per copy of the project, not once per run
(`orchestration.defs.dbt.templates`): ~2 s of dbt's threads on a region night. Likewise the JSON
schemas dbt checks its configuration with (`orchestration.defs.dbt.schemas`): ~0.6 s of the parse.

Its build hands dbt's threads the ready node on the longest remaining chain first, and only when a
thread is free (`orchestration.defs.dbt.schedule`): dbt's own loop queues every ready node at once,
first in first out, so side tests ran while the chain that sets the build's length waited.

    python -m orchestration.defs.dbt.worker '<parse arguments as a JSON list>'
    stdin: one line, the build's arguments as a JSON list (end of input: exit 0 without building)

    python -m orchestration.defs.dbt.worker
    stdin: first a line {"env": {...}, "parse": [...]}, the build's environment and parse
    arguments, then the build's line as above. Started so (`invocation.prestart`) before the run
    knows its settings, the process imports dbt meanwhile and touches no file until that line.

Only dbt Core and the standard library are imported here: nothing of Dagster.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from pathlib import Path

SHOWN_LEVELS = frozenset({"info", "warn", "error"})  # what dbt prints on standard output
ORPHANED = 3  # exit status when the run that started this process is gone (nobody reads it)


def end_with_parent(poll_seconds: float = 0.5) -> None:
    """End this process as soon as the run process that started it is gone.

    A build whose run died (killed, out of memory, stopped by `timeout`) has nobody to report to,
    and it holds the build database open: DuckDB's lock would refuse it to every later refresh for as
    long as the build lives. And it would live forever: its next event written to the broken pipe
    raises on one of dbt's threads, which loses the callback that marks its node done, and the build
    waits for that node without end. So a thread here watches the parent, and `emit` ends the
    process on a broken pipe (whichever comes first). The build database then holds what dbt had
    committed, as after a failed build: DuckDB rolls back the open transaction when the file is next
    opened, nothing was published, and the next run builds again.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(ORPHANED)

    threading.Thread(target=watch, name="talent-end-with-parent", daemon=True).start()


def drop_debug_events() -> None:
    """Make dbt drop its debug-level events where they are fired, before they become messages.

    A build fires a dozen debug events a node (each SQL statement, each connection opened and
    closed), and dbt turns every event into a protobuf message before asking its loggers whether
    they want it: on a night's build that was about a quarter of dbt's own Python time, for a
    debug log nobody reads unless asked (`TALENT_DBT_LOG_LEVEL=debug` keeps them, in dbt.log).
    What dagster-dbt reads (info and above, on standard output) is unchanged.
    """
    from dbt_common.events.base_types import EventLevel
    from dbt_common.events.event_manager import EventManager

    fire = EventManager.fire_event
    quiet = (EventLevel.DEBUG, EventLevel.TEST)

    def fire_event(self, e, level=None, node=None, force_warn_or_error_handling=False):
        if not force_warn_or_error_handling and (level or e.level_tag()) in quiet:
            return None
        return fire(self, e, level, node, force_warn_or_error_handling)

    EventManager.fire_event = fire_event
    _build_quiet_events_lazily(quiet)


PENDING = "_talent_pending"  # an event's constructor arguments, until something reads the event


def _build_quiet_events_lazily(quiet) -> None:
    """Make a debug-level event object build its protobuf message only when something reads it.

    dbt builds each event's message in the event's constructor (`BaseEvent.__init__`: protobuf's
    `ParseDict` of its arguments) before `fire_event` decides, so a dropped debug event still cost
    its message: a region night constructs ~4,700 of them (three per SQL statement, four per node),
    ~1 s of dbt's threads under the interpreter lock. A quiet-level event now keeps its arguments,
    and the first read of any of its attributes (what firing it at another level does, through
    `msg_from_base_event`) or write builds the message from them, as the constructor would have.
    Events of other levels build at once, as before.
    """
    from dbt_common.events.base_types import BaseEvent

    init, get_attr, set_attr = BaseEvent.__init__, BaseEvent.__getattr__, BaseEvent.__setattr__
    if getattr(init, "_talent_lazy", False):
        return

    def build(event) -> None:
        pending = event.__dict__.pop(PENDING, None)
        if pending is not None:
            init(event, *pending[0], **pending[1])

    def __init__(self, *args, **kwargs):
        object.__setattr__(self, PENDING, (args, kwargs))
        if type(self).level_tag(self) not in quiet:
            build(self)

    def __getattr__(self, key):  # only for what normal lookup did not find: pb_msg and its fields
        if PENDING in self.__dict__:
            build(self)
            return getattr(self, key)
        return get_attr(self, key)

    def __setattr__(self, key, value):
        if key != "pb_msg" and PENDING in self.__dict__:
            build(self)
        set_attr(self, key, value)

    __init__._talent_lazy = True
    BaseEvent.__init__, BaseEvent.__getattr__, BaseEvent.__setattr__ = __init__, __getattr__, __setattr__


def name_flag_sources_cheaply() -> bool:
    """Make dbt name a behavior flag's source from the callers' module names, not `inspect.stack()`.

    Every adapter dbt makes (one for the parse, one for the build) renders its behavior flags, and
    each flag names the module that declared it, found by `inspect.stack()` (evaluated even when the
    flag names its source): that reads the source line of every frame and looks each frame's file
    up among the ~3,000 loaded modules (a partial parse, which a night's build waits for: 0.88–1.13 s
    with it, 0.74–1.03 s without; the build's start pays it again). The first calling module other
    than dbt's behavior-flag module is found here from each frame's globals, as dbt finds it from
    the frame's file. Returns False, and leaves dbt as it is, when its method is not the one this
    was written for."""
    from dbt_common import behavior_flags
    from dbt_common.behavior_flags import BehaviorFlagRendered

    method = BehaviorFlagRendered.__dict__.get("_default_source")
    code = getattr(getattr(method, "__func__", None), "__code__", None)
    if not isinstance(method, staticmethod) or code is None or {"stack", "getmodule"} - set(code.co_names):
        return False
    flags_module = behavior_flags.__name__

    def _default_source() -> str:
        frame = sys._getframe(1)
        while frame is not None:
            name = frame.f_globals.get("__name__")
            if name and name != flags_module:
                return name
            frame = frame.f_back
        return "Unknown"

    BehaviorFlagRendered._default_source = staticmethod(_default_source)
    return True


def _project_target(parse_args: list[str]) -> Path:
    """The dbt project's own target folder (what `make install`'s parse writes), where the compiled
    templates and the JSON schemas are kept for every build of this copy of the project."""
    if "--project-dir" in parse_args:
        return Path(parse_args[parse_args.index("--project-dir") + 1]) / "target"
    return Path("dbt_project") / "target"


def main(argv: list[str]) -> int:
    # dbt's import and parse make the objects the process keeps to its end, and little garbage:
    # no cyclic collection meanwhile, then they are frozen out of every later one
    gc.disable()
    end_with_parent()
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    from orchestration.defs.dbt.schedule import prioritise_critical_path
    from orchestration.defs.dbt.schemas import install as install_schemas
    from orchestration.defs.dbt.templates import install as install_templates

    if argv:
        parse_args = json.loads(argv[0])
    else:  # started ahead of the run: the environment and parse arguments come when it knows them
        first = sys.stdin.readline()
        if not first:
            return 0
        job = json.loads(first)
        os.environ.update(job["env"])
        parse_args = job["parse"]
    target = _project_target(parse_args)
    kept = [k for k in (install_templates(target), install_schemas(target)) if k is not None]
    file_level = os.environ.get("TALENT_DBT_LOG_LEVEL", "info").strip().lower() or "info"
    if file_level not in ("debug", "test"):
        drop_debug_events()
    name_flag_sources_cheaply()
    # standard output carries events only; dbt.log in the target folder gets file_level and above
    log_flags = ["--log-level", "none", "--log-level-file", file_level]
    # the parse writes no manifest.json: the build writes it when it ends (~0.4 s of the core the
    # run needs while it ingests); partial_parse.msgpack is written as before
    parsed = dbtRunner().invoke(["parse", *parse_args, *log_flags, "--no-write-json"])
    gc.freeze()
    gc.enable()
    # a failed parse is reported by the build, which parses again and fails the same way
    manifest = parsed.result if parsed.success else None

    line = sys.stdin.readline()
    if not line:  # the run ended (or died) before its build step: nothing to build
        for k in kept:
            k.save()
        return 0
    build_args = json.loads(line)
    if "--target-path" in build_args:  # the last build's times there order this one's nodes
        prioritise_critical_path(Path(build_args[build_args.index("--target-path") + 1]) / "run_results.json")

    out = sys.stdout
    lock = threading.Lock()

    def emit(msg) -> None:  # called on dbt's threads
        if msg.info.level not in SHOWN_LEVELS:
            return
        text = json.dumps(msg_to_dict(msg))
        with lock:
            try:
                out.write(text + "\n")
                out.flush()
            except BrokenPipeError:  # the run is gone (`end_with_parent`)
                os._exit(ORPHANED)

    built = dbtRunner(manifest=manifest, callbacks=[emit]).invoke([*build_args, *log_flags])
    gc.freeze()  # the process ends here: no last collection over all of dbt's objects at exit
    for k in kept:
        k.save()
    if built.exception is not None:
        return 2
    return 0 if built.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
