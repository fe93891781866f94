"""The PII key: person keys (HMAC-SHA256 of the ID number) and the restricted store's encryption.

One secret, ``TALENT_PII_KEY``, from which two keys are used:

- the HMAC key of person keys is the secret itself: ``person_key = HMAC-SHA256(secret, id_number)``,
  computed once per distinct ID number by ingest in polars (:func:`hmac_expr`, Rust's RustCrypto
  ``hmac`` through the polars-hash plugin) and where the export needs it in DuckDB (:func:`hmac_sql`),
  both identical to Python's ``hmac`` (tests check all three);
- the AES-256-GCM key that encrypts names and ID numbers in the restricted store is derived from it
  with HKDF-SHA256 (a different ``info`` label), so the two never coincide.

When the variable is unset (the embedded sample, a developer's machine), a random secret is generated
once into a key file (mode 0600, in a 0700 folder of its own, never beside the data it protects) and a
warning says so: the same key must be used on every run, or person keys change and the store cannot
be read.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ingest.private import private_dir, private_umask

log = logging.getLogger(__name__)

ENV_VAR = "TALENT_PII_KEY"
BLOCK = 64  # SHA-256 block size
NONCE = 12  # AES-GCM nonce bytes
STORE_INFO = b"talent-warehouse restricted store AES-256-GCM v1"


class PiiKeyMissing(RuntimeError):
    pass


class SealBroken(RuntimeError):
    """Ciphertext that does not open with this key: another key, or altered bytes."""


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

    def hash_one(self, text: str) -> str:
        """Reference implementation (tests, one-off look-ups); the hot path uses :func:`hmac_expr`."""
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()

    @cached_property
    def _aead(self):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=STORE_INFO).derive(self.secret)
        return AESGCM(key)

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        """AES-256-GCM: a fresh random nonce, then ciphertext and tag. ``aad`` is bound, not hidden."""
        nonce = os.urandom(NONCE)
        return nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, sealed: bytes, aad: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(sealed[:NONCE], sealed[NONCE:], aad)
        except InvalidTag:
            raise SealBroken("restricted data does not open with this PII key (another key, or altered)") from None


def resolve_key(key_file: Path, *, create: bool = True) -> PiiKey:
    value = os.environ.get(ENV_VAR, "")
    if value:
        return PiiKey(value.encode(), "environment")
    if key_file.exists():
        return PiiKey(key_file.read_text().strip().encode(), str(key_file))
    if not create:
        raise PiiKeyMissing(
            f"{ENV_VAR} is not set and no key file exists at {key_file}: the PII key that pseudonymised "
            "the warehouse is needed. Set TALENT_PII_KEY to the key used for ingest."
        )
    private_dir(key_file.parent)
    with private_umask(), open(key_file, "x") as fh:  # mode 0600 from creation; never overwrite a key
        fh.write(secrets.token_hex(32) + "\n")
    log.warning(
        "%s is not set: generated a PII key at %s. Keep it with the warehouse (losing it changes "
        "every person key and locks the restricted store); set %s in production.",
        ENV_VAR,
        key_file,
        ENV_VAR,
    )
    return PiiKey(key_file.read_text().strip().encode(), str(key_file))


def hmac_sql(column: str) -> str:
    """DuckDB expression computing hex HMAC-SHA256 of ``column``; bind ``$ipad`` and ``$opad``."""
    return f"sha256($opad::blob || unhex(sha256($ipad::blob || encode({column}))))"


def hmac_expr(expr, key: PiiKey):
    """polars expression: hex HMAC-SHA256 of the text ``expr`` under ``key`` (null stays null).

    The polars-hash plugin computes it in Rust: 5.5 M ID numbers took 1.9 s of one core against
    10.6 s of CPU for :func:`hmac_sql` in DuckDB (two SHA-256 calls and three string conversions a
    value). The key travels inside the expression: never print or log one."""
    import polars_hash  # noqa: F401 - registers the ``chash`` namespace on polars expressions

    return expr.chash.hmac_sha256(key=key.secret.decode())
