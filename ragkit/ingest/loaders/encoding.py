"""Character-encoding detection for text-based files, without a chardet dependency.

Order of evidence: a byte-order mark, then UTF-32/UTF-16 recognised by their zero bytes, then
strict UTF-8, then a charset the document declares (HTML ``<meta charset>``), then Windows-1252 and
finally Latin-1, which decodes anything, so binary data is rejected on its control characters.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from ragkit.ingest.errors import UndecodableFileError

__all__ = ["decode_text", "normalize_lines"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Share of the high (or low) bytes that must be zero to call BOM-less data UTF-16: mostly-ASCII
#: UTF-16 has ~100% there, while other encodings have almost no zero bytes at all.
_UTF16_ZERO_SHARE = 0.3
#: Text may hold a few stray control characters; more than this share means binary data.
_MAX_CONTROL_SHARE = 0.05
#: C0 controls other than tab, newlines, form feed and escape, plus DEL.
_BLANK_LINE = re.compile(r"^[ \t\f\v]+$", re.MULTILINE)
_CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def decode_text(data: bytes, path: Path, *, declared: str | None = None) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding_name)`` with newlines left as found.

    Args:
        data: The raw file bytes.
        path: Used in the error only.
        declared: A charset the document itself declares (e.g. HTML ``<meta charset>``), tried
            after the unambiguous checks and before the Windows-1252/Latin-1 fallback.

    Raises:
        UndecodableFileError: The bytes are not text (binary data or a broken BOM'd file).
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(codec), codec, path)
            except UnicodeDecodeError as exc:
                raise UndecodableFileError(
                    path, f"invalid {codec} data after its BOM: {exc}"
                ) from exc
    # UTF-16/32 before UTF-8: ASCII-only UTF-16 is also valid (NUL-riddled) UTF-8.
    for codec in _wide_codecs(data):
        try:
            return _checked(data.decode(codec), codec, path)
        except UnicodeDecodeError:
            continue
    try:
        return _checked(data.decode("utf-8"), "utf-8", path)
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise UndecodableFileError(path, "binary data (NUL bytes), not text")
    for codec in _fallbacks(declared):
        try:
            return _checked(data.decode(codec), codec, path)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def normalize_lines(text: str) -> str:
    """Turn ``\\r\\n`` and lone ``\\r`` into ``\\n``, and whitespace-only lines into empty ones.

    Empty lines are what the chunker reads as paragraph breaks.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _BLANK_LINE.sub("", text)


def _wide_codecs(data: bytes) -> list[str]:
    """UTF-32/UTF-16 variants that BOM-less ``data`` may be in, from its zero bytes."""
    if len(data) < 2 or len(data) % 2 or b"\x00" not in data[:65_536]:
        return []
    candidates = []
    if len(data) % 4 == 0:
        # UTF-32's top byte is always zero (code points end at U+10FFFF); UTF-16 text read as
        # UTF-32 yields code points beyond that, so the caller's strict decode settles it.
        if not data[3::4].strip(b"\x00"):
            candidates.append("utf-32-le")
        elif not data[0::4].strip(b"\x00"):
            candidates.append("utf-32-be")
    sample = data[:65_536]
    even_zeros = sample[0::2].count(0) / (len(sample) / 2)
    odd_zeros = sample[1::2].count(0) / (len(sample) / 2)
    if odd_zeros >= _UTF16_ZERO_SHARE and even_zeros < odd_zeros / 4:
        candidates.append("utf-16-le")
    elif even_zeros >= _UTF16_ZERO_SHARE and odd_zeros < even_zeros / 4:
        candidates.append("utf-16-be")
    return candidates


def _fallbacks(declared: str | None) -> list[str]:
    codecs_to_try = ["cp1252", "latin-1"]
    if declared:
        try:
            name = codecs.lookup(declared).name
        except LookupError:
            return codecs_to_try
        codecs_to_try.insert(0, name)
    return codecs_to_try


def _checked(text: str, codec: str, path: Path) -> tuple[str, str]:
    sample = text[:65_536]
    if sample:
        controls = len(_CONTROL_CHARS.findall(sample))
        if controls / len(sample) > _MAX_CONTROL_SHARE:
            raise UndecodableFileError(path, "binary data (control characters), not text")
    return text, codec
