"""Pseudonymisation: person keys are HMAC-SHA256 of the normalised ID number, computed in DuckDB.

The key comes from ``TALENT_PII_KEY``. When it is unset (the embedded sample, a developer's machine),
a random key is generated once, kept in ``<warehouse dir>/.pii_key`` (mode 600) and a warning says
so: the same key must be used on every run, or person keys change and the raw layer no longer joins.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ENV_VAR = "TALENT_PII_KEY"
KEY_FILE = ".pii_key"
BLOCK = 64  # SHA-256 block size


class PiiKeyMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class PiiKey:
    secret: bytes
    origin: str  # "environment" or the key file's path

    @property
    def fingerprint(self) -> str:
        """Identifies the key without revealing it (stored in the build DB to detect a key change)."""
        return hmac.new(self.secret, b"talent-warehouse key fingerprint", hashlib.sha256).hexdigest()[:16]

    def pads(self) -> tuple[bytes, bytes]:
        key = hashlib.sha256(self.secret).digest() if len(self.secret) > BLOCK else self.secret
        key = key.ljust(BLOCK, b"\0")
        return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)

    def hash_one(self, id_number: str) -> str:
        """Reference implementation (tests, one-off look-ups); the hot path uses :func:`hmac_sql`."""
        return hmac.new(self.secret, id_number.encode(), hashlib.sha256).hexdigest()


def resolve_key(warehouse_dir: Path, *, create: bool = True) -> PiiKey:
    value = os.environ.get(ENV_VAR, "")
    if value:
        return PiiKey(value.encode(), "environment")
    path = warehouse_dir / KEY_FILE
    if path.exists():
        return PiiKey(path.read_text().strip().encode(), str(path))
    if not create:
        raise PiiKeyMissing(
            f"{ENV_VAR} is not set and no key file exists at {path}: the PII key that pseudonymised "
            "the warehouse is needed. Set TALENT_PII_KEY to the key used for ingest."
        )
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_hex(32) + "\n")
    path.chmod(0o600)
    log.warning(
        "%s is not set: generated a PII key at %s. Keep it with the warehouse (losing it changes "
        "every person key); set %s in production.",
        ENV_VAR,
        path,
        ENV_VAR,
    )
    return PiiKey(path.read_text().strip().encode(), str(path))


def hmac_sql(column: str) -> str:
    """DuckDB expression computing hex HMAC-SHA256 of ``column``; bind ``$ipad`` and ``$opad``."""
    return f"sha256($opad::blob || unhex(sha256($ipad::blob || encode({column}))))"
