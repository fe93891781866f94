"""Text encodings of landed CSV files: which one a file is in, and UTF-8 copies of the others.

The contract allows UTF-8 (with or without BOM) and GB18030/GBK; Windows tools also write UTF-16,
with or without a BOM. The encoding is guessed from the first bytes (BOM, then the pattern of zero
bytes that UTF-16 leaves in ASCII text, then whether the head is valid UTF-8, then GB18030), and
confirmed by decoding the whole file strictly: a file that is not valid in the guessed encoding is
tried in the next candidate, and rejected when none fits. Nothing is decoded with replacement
characters: a wrong guess must not turn into silently wrong values.

Files in another encoding than UTF-8 are re-encoded once, streaming (constant memory), into a private
temporary UTF-8 file, so that the native CSV reader can read them.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

HEAD = 1 << 16  # bytes looked at to guess
CHUNK = 1 << 22  # bytes decoded at a time when re-encoding


class EncodingError(Exception):
    """The file is not valid text in any candidate encoding. The message never quotes the bytes."""


@dataclass(frozen=True)
class Encoding:
    codec: str  # a Python codec name
    bom: int = 0  # bytes of byte-order mark to skip

    @property
    def label(self) -> str:
        return {"utf-8": "UTF-8", "gb18030": "GB18030", "utf-16-le": "UTF-16LE", "utf-16-be": "UTF-16BE"}.get(
            self.codec, self.codec
        )


UTF8 = Encoding("utf-8")


def candidates(head: bytes) -> list[Encoding]:
    """Encodings to try, most likely first, from the first bytes of a file."""
    if head.startswith(codecs.BOM_UTF8):
        return [Encoding("utf-8", 3)]
    if head.startswith(codecs.BOM_UTF16_LE):
        return [Encoding("utf-16-le", 2)]
    if head.startswith(codecs.BOM_UTF16_BE):
        return [Encoding("utf-16-be", 2)]
    utf16 = _utf16_without_bom(head)
    if utf16:
        return [Encoding(utf16)]
    found = [UTF8, Encoding("gb18030")]
    if not _valid_prefix(head, "utf-8"):
        found.reverse()
    return found


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text of a CSV export has a zero byte beside every ASCII character (commas, digits)."""
    sample = head[: 4096 - 4096 % 2]
    half = len(sample) // 2
    if half < 8:
        return None
    zeros_even = sample[0::2].count(0)
    zeros_odd = sample[1::2].count(0)
    if zeros_odd > 0.3 * half and zeros_even < 0.05 * half:
        return "utf-16-le"
    if zeros_even > 0.3 * half and zeros_odd < 0.05 * half:
        return "utf-16-be"
    return None


def _valid_prefix(data: bytes, codec: str) -> bool:
    """Valid in ``codec`` apart from a character cut at the end of the sample."""
    try:
        codecs.getincrementaldecoder(codec)("strict").decode(data, final=False)
        return True
    except UnicodeDecodeError:
        return False


def decode(data: bytes, options: list[Encoding]) -> tuple[str, Encoding]:
    """The whole file as text in the first encoding it is valid in."""
    problems = []
    for enc in options:
        try:
            return data[enc.bom :].decode(enc.codec), enc
        except UnicodeDecodeError as exc:
            problems.append(f"not {enc.label} (invalid byte at offset {exc.start + enc.bom})")
    raise EncodingError("text encoding not recognised: " + "; ".join(problems))


def to_utf8(path: Path, enc: Encoding, out: Path) -> None:
    """Re-encode ``path`` into ``out`` as UTF-8 without BOM, streaming; EncodingError when invalid."""
    decoder = codecs.getincrementaldecoder(enc.codec)("strict")
    offset = 0
    with path.open("rb") as src, out.open("wb") as dst:
        src.seek(enc.bom)
        offset = enc.bom
        while True:
            block = src.read(CHUNK)
            try:
                dst.write(decoder.decode(block, final=not block).encode("utf-8"))
            except UnicodeDecodeError as exc:
                raise EncodingError(
                    f"not valid {enc.label}: invalid byte at offset {offset + exc.start}"
                ) from None
            if not block:
                break
            offset += len(block)
