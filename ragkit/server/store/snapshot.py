"""The stored state of a data folder as plain rows, to compare before and after.

"A rejected request changes nothing" is checked by the test suite and the hostile-input
campaign (``bench/hostile_campaign.py``) the same way: snapshot every SQLite file of the
server's data folder, send the request, snapshot again, compare. Reading through a
read-only connection sees the last committed state (WAL), so it works while a server runs.

Example::

    before = snapshot(data_dir)
    ...  # a request answered 4xx
    assert snapshot(data_dir) == before
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

__all__ = ["Snapshot", "snapshot"]

#: ``{"file/table": sorted rows}`` for every table of every database in a data folder.
Snapshot = dict[str, list[tuple[Any, ...]]]

_SKIPPED_TABLES = ("_migrations", "sqlite_sequence")


def snapshot(data_dir: Path) -> Snapshot:
    """Every row of every table of every ``*.sqlite3`` file directly in ``data_dir``."""
    state: Snapshot = {}
    for path in sorted(data_dir.glob("*.sqlite3")):
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
                if row[0] not in _SKIPPED_TABLES and not row[0].startswith("sqlite_")
            ]
            for table in tables:
                rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
                state[f"{path.name}/{table}"] = sorted(rows, key=repr)
        finally:
            conn.close()
    return state
