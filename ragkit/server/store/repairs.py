"""One-off repairs of data that older versions let in, run as numbered migrations.

Before request JSON was parsed strictly, custom metadata could be stored with values no
response can carry: ``numericValue`` NaN or ±Infinity (from ``NaN``, ``Infinity`` or an
overflowing ``1e999``), and strings holding an unpaired UTF-16 surrogate (``"\\ud800"``).
Every read that returned such a document or chunk failed, for every user, until it was
deleted. :func:`repair_unrenderable_metadata` rewrites those entries once, keeping what
the caller sent as closely as JSON allows:

- a non-finite number becomes the string value proto3 JSON spells it with (``"NaN"``,
  ``"Infinity"``, ``"-Infinity"``), so the key stays visible and can be fixed by a patch;
- an unpaired surrogate in a key or string becomes U+FFFD (the replacement character).

The metadata filter rows of each repaired record are rebuilt to match.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ragkit.server.store.dialect import Connection
from ragkit.server.store.metadata import Level, replace_metadata

__all__ = ["repair_unrenderable_metadata", "renderable_metadata"]

_TABLES: dict[Level, str] = {"document": "documents", "chunk": "chunks"}


def _text(value: str) -> str:
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _number_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def renderable_metadata(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``entries`` with non-finite numbers and unpaired surrogates replaced (see module)."""
    repaired = []
    for entry in entries:
        fixed: dict[str, Any] = {"key": _text(str(entry.get("key", "")))}
        number = entry.get("numericValue")
        if number is not None and not math.isfinite(float(number)):
            fixed["stringValue"] = _number_text(float(number))
        elif number is not None:
            fixed["numericValue"] = number
        if entry.get("stringValue") is not None:
            fixed["stringValue"] = _text(entry["stringValue"])
        if entry.get("stringListValue") is not None:
            values = entry["stringListValue"].get("values") or []
            fixed["stringListValue"] = {"values": [_text(v) for v in values]}
        repaired.append(fixed)
    return repaired


def repair_unrenderable_metadata(conn: Connection) -> None:
    """Rewrite the custom metadata of documents and chunks that no response could render."""
    for level, table in _TABLES.items():
        # Candidates only: json.dumps writes these values as NaN/Infinity or \\udXXX escapes.
        rows = conn.execute(
            f"SELECT id, corpus_id, custom_metadata FROM {table}"
            " WHERE custom_metadata LIKE '%NaN%' OR custom_metadata LIKE '%Infinity%'"
            " OR custom_metadata LIKE '%\\ud%'"
        ).fetchall()
        for owner_id, corpus_id, stored in rows:
            entries = json.loads(stored)
            repaired = renderable_metadata(entries)
            if repaired == entries:
                continue
            conn.execute(
                f"UPDATE {table} SET custom_metadata = ? WHERE id = ?",
                (json.dumps(repaired), owner_id),
            )
            replace_metadata(conn, level, corpus_id, [(owner_id, repaired)])
