"""Errors as a step may record them: never the text of a library's exception.

Parsers and databases quote the row they choked on (polars, DuckDB, the csv module), and Dagster
stores a failed step's message and traceback in its run storage, and prints them. Inside
:func:`recorded_safely`, an exception raised by our own code (whose messages we write, and which
never hold landed values) passes as it is; any other becomes a :class:`StepFailed` naming only its
class and the place in our code where it was raised, with the original suppressed.
"""

from __future__ import annotations

from contextlib import contextmanager

OUR_PACKAGES = ("ingest", "synth", "expectations", "orchestration", "publish", "talent")


class StepFailed(RuntimeError):
    """A library error, reduced to its class and place."""


def ours(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] in OUR_PACKAGES


@contextmanager
def recorded_safely(step: str):
    from ingest.load import describe_error

    failure = None
    try:
        yield
    except Exception as exc:
        if ours(exc):
            raise
        failure = StepFailed(f"{step} failed: {describe_error(exc)}")
    if failure is not None:
        raise failure from None
