"""Who is calling: the identity every service method receives from the HTTP layer.

The HTTP layer authenticates a request (API key, bearer token, auth file) and hands the
service a :class:`Principal`; the service decides what that principal may do from the
corpus's permissions. Without an auth file the server runs single-user and every request
acts as :data:`LOCAL_USER`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LOCAL_USER", "Principal"]


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    Attributes:
        email: the caller's address, matched case-insensitively against USER permissions.
        groups: group addresses the caller belongs to, matched against GROUP permissions.
    """

    email: str
    groups: frozenset[str] = frozenset()


#: The caller in single-user mode (no auth file): owner of everything it creates.
LOCAL_USER = Principal("local@ragkit.local")
