"""Who may do what on a corpus: roles, their order, and the checks services call.

Roles are concentric: READER (get, list, query, ground answers) < WRITER (also change
documents and chunks, manage READER/WRITER permissions) < OWNER (also update and delete
the corpus, manage every permission). A principal's role is the highest granted by any
permission matching it: its USER email, one of its GROUP emails, or EVERYONE.

A caller with no role on a corpus gets the same PERMISSION_DENIED whether or not the corpus
exists, so it learns nothing about other people's corpora.
"""

from __future__ import annotations

from ragkit.server.errors import ApiError, permission_denied
from ragkit.server.principal import Principal
from ragkit.server.store.corpora import find_corpus
from ragkit.server.store.dialect import Connection
from ragkit.server.store.permissions import roles_of
from ragkit.server.store.records import CorpusRecord
from ragkit.types import Role

__all__ = ["authorize", "denied", "rank", "role_of"]

_RANK = {Role.READER: 1, Role.WRITER: 2, Role.OWNER: 3}


def rank(role: Role | None) -> int:
    """0 for no role, then READER < WRITER < OWNER."""
    return _RANK.get(role, 0) if role is not None else 0


def denied(resource: str) -> ApiError:
    """The error for a resource the caller cannot see (or that does not exist)."""
    return permission_denied(f"Permission denied on resource {resource} (or it may not exist).")


def role_of(conn: Connection, corpus_id: int, who: Principal) -> Role | None:
    """The caller's effective role on the corpus, ``None`` if it has none."""
    roles = [Role.parse(value) for value in roles_of(conn, corpus_id, who)]
    return max(roles, key=rank, default=None)


def authorize(
    conn: Connection, who: Principal, corpus_id: str, needed: Role
) -> tuple[CorpusRecord, Role]:
    """The corpus and the caller's role, if that role is at least ``needed``.

    Raises:
        ApiError: PERMISSION_DENIED if the corpus does not exist, the caller has no role
            on it, or a lower role than ``needed``.
    """
    resource = f"corpora/{corpus_id}"
    corpus = find_corpus(conn, corpus_id)
    role = role_of(conn, corpus.id, who) if corpus is not None else None
    if corpus is None or role is None:
        raise denied(resource)
    if rank(role) < rank(needed):
        raise permission_denied(
            f"Permission denied on resource {resource}: this needs the {needed.name} role "
            f"and {who.email} has {role.name}."
        )
    return corpus, role
