"""Permission rows, and the SQL that finds the ones granting something to a principal.

Grantee types and roles are stored as their proto numbers (``GranteeType``, ``Role``).
Emails compare case-insensitively (``COLLATE NOCASE``).
"""

from __future__ import annotations

from typing import Any

from ragkit.server.principal import Principal
from ragkit.server.store.dialect import Connection, is_postgres
from ragkit.server.store.records import PermissionRecord

__all__ = [
    "EVERYONE",
    "GROUP",
    "USER",
    "count_role",
    "delete_permission",
    "find_duplicate_grant",
    "find_permission",
    "grantee_match_sql",
    "insert_permission",
    "list_permissions",
    "roles_of",
    "update_role",
]

# GranteeType proto numbers.
USER, GROUP, EVERYONE = 1, 2, 3

_COLUMNS = "id, corpus_id, name, grantee_type, email, role"


def _record(row: tuple[Any, ...]) -> PermissionRecord:
    return PermissionRecord(*row)


def grantee_match_sql(who: Principal) -> tuple[str, list[Any]]:
    """A SQL boolean over ``permissions`` rows that grant something to ``who``."""
    groups = sorted(who.groups)
    marks = ", ".join("?" for _ in groups)
    sql = f"(grantee_type = {EVERYONE} OR (grantee_type = {USER} AND email = ?)"
    if groups:
        sql += f" OR (grantee_type = {GROUP} AND email IN ({marks}))"
    return sql + ")", [who.email, *groups]


def roles_of(conn: Connection, corpus_id: int, who: Principal) -> list[int]:
    """Roles (proto numbers) of every permission on the corpus that matches ``who``."""
    match, params = grantee_match_sql(who)
    rows = conn.execute(
        f"SELECT role FROM permissions WHERE corpus_id = ? AND {match}", [corpus_id, *params]
    )
    return [row[0] for row in rows]


def insert_permission(
    conn: Connection,
    corpus_id: int,
    name: str,
    grantee_type: int,
    email: str | None,
    role: int,
) -> PermissionRecord:
    row = conn.execute(
        "INSERT INTO permissions (corpus_id, name, grantee_type, email, role)"
        f" VALUES (?, ?, ?, ?, ?) RETURNING {_COLUMNS}",
        (corpus_id, name, grantee_type, email, role),
    ).fetchone()
    return _record(row)


def find_permission(conn: Connection, corpus_id: int, name: str) -> PermissionRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM permissions WHERE corpus_id = ? AND name = ?", (corpus_id, name)
    ).fetchone()
    return _record(row) if row else None


def find_duplicate_grant(
    conn: Connection, corpus_id: int, grantee_type: int, email: str | None
) -> PermissionRecord | None:
    """The existing permission for the same grantee, if any."""
    # SQLite's IS compares NULLs too; PostgreSQL spells it IS NOT DISTINCT FROM.
    same = "IS NOT DISTINCT FROM" if is_postgres(conn) else "IS"
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM permissions WHERE corpus_id = ? AND grantee_type = ?"
        f" AND email {same} ?",
        (corpus_id, grantee_type, email),
    ).fetchone()
    return _record(row) if row else None


def list_permissions(
    conn: Connection, corpus_id: int, *, after: int | None, limit: int
) -> list[PermissionRecord]:
    """Permissions in creation order (ascending row id), after row id ``after``."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM permissions WHERE corpus_id = ? AND id > ? ORDER BY id LIMIT ?",
        (corpus_id, after or 0, limit),
    )
    return [_record(row) for row in rows]


def count_role(conn: Connection, corpus_id: int, role: int) -> int:
    row = conn.execute(
        "SELECT COUNT(*) FROM permissions WHERE corpus_id = ? AND role = ?", (corpus_id, role)
    ).fetchone()
    return int(row[0])


def update_role(conn: Connection, permission_id: int, role: int) -> PermissionRecord:
    row = conn.execute(
        f"UPDATE permissions SET role = ? WHERE id = ? RETURNING {_COLUMNS}", (role, permission_id)
    ).fetchone()
    return _record(row)


def delete_permission(conn: Connection, permission_id: int) -> None:
    conn.execute("DELETE FROM permissions WHERE id = ?", (permission_id,))
