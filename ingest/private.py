"""Private folders and files: mode 0700 and 0600 from the moment they are created.

The build folder, the restricted store and the key file hold what analysts must not read. Their
modes are set by the process umask at creation (not by a chmod afterwards, which leaves a window),
and a private folder found with wider modes (made by an older version) is narrowed with a warning.
"""

from __future__ import annotations

import logging
import os
import stat
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077


@contextmanager
def private_umask():
    """Files and folders created inside get no group or other permissions."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def private_dir(path: Path) -> Path:
    """``path`` as a folder of mode 0700 (created so, or narrowed with a warning)."""
    path.parent.mkdir(parents=True, exist_ok=True)  # the parents keep the usual modes
    with private_umask():
        path.mkdir(exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("private folder %s had mode %o; narrowed to 0700", path, mode)
        path.chmod(0o700)
    return path
