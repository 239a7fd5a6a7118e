"""Who may call the server: the auth file and credential resolution.

Without an auth file the server is single-user: every request, with or without
credentials, acts as :data:`~ragkit.server.principal.LOCAL_USER`.

With ``--auth-file FILE`` (TOML) each ``[[principal]]`` table is one identity::

    [[principal]]
    email = "alice@example.com"
    groups = ["research@example.com"]        # optional, for GROUP permissions
    api_keys = ["alice-key-1"]               # x-goog-api-key header or ?key=
    bearer_tokens = ["alice-token"]          # Authorization: Bearer ... (or ?access_token=)

    [[principal]]
    email = "bob@example.com"
    api_keys = ["bob-key"]

The file is read once, when the server starts (restart to apply changes), and validated:
a missing or malformed email, an unknown field, a principal without credentials, a
duplicate email or a credential listed twice (in one principal or across principals)
stops the server with a message naming the culprit.

Decision, rejected credentials: any credential the file does not list, and a request with
no credential at all, is answered **401 UNAUTHENTICATED**. Google answers an unknown API
key with 400 INVALID_ARGUMENT; here both kinds of credential identify a principal, so one
status keeps clients simple. The error carries a ``google.rpc.ErrorInfo`` detail with
Google's reason (``API_KEY_INVALID``, ``ACCESS_TOKEN_INVALID`` or ``CREDENTIALS_MISSING``)
for code that inspects it. When a request carries several credentials, each must be
valid and all must name the same principal.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragkit.server.errors import ApiError
from ragkit.server.principal import LOCAL_USER, Principal
from ragkit.types.status import Code

__all__ = [
    "AuthFileError",
    "Authenticator",
    "Credentials",
    "PrincipalEntry",
    "load_auth_file",
    "parse_auth_data",
]

_FIELDS = frozenset({"email", "groups", "api_keys", "bearer_tokens"})


class AuthFileError(ValueError):
    """The auth file is missing, not TOML, or describes principals inconsistently."""


@dataclass(frozen=True)
class PrincipalEntry:
    """One ``[[principal]]`` table: an identity and the credentials that prove it."""

    principal: Principal
    api_keys: tuple[str, ...] = ()
    bearer_tokens: tuple[str, ...] = ()


@dataclass(frozen=True)
class Credentials:
    """What a request presented; ``None`` for each kind it did not send.

    A request may carry the same kind twice (``x-goog-api-key`` and ``?key=``, or
    ``Authorization`` and ``?access_token=``): the others are in ``more_api_keys`` and
    ``more_bearer_tokens``, and every one of them must be valid, for the same principal.
    """

    api_key: str | None = None
    bearer_token: str | None = None
    more_api_keys: tuple[str, ...] = ()
    more_bearer_tokens: tuple[str, ...] = ()


def _strings(value: Any, where: str, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise AuthFileError(f"{where}: '{field}' must be a list of non-empty strings.")
    return tuple(v.strip() for v in value)


def _entry(table: Any, where: str) -> PrincipalEntry:
    if not isinstance(table, dict):
        raise AuthFileError(f"{where}: expected a table.")
    unknown = sorted(set(table) - _FIELDS)
    if unknown:
        raise AuthFileError(
            f"{where}: unknown field(s) {', '.join(unknown)}; "
            f"expected {', '.join(sorted(_FIELDS))}."
        )
    email = table.get("email")
    if not isinstance(email, str) or "@" not in email.strip():
        raise AuthFileError(f"{where}: 'email' is required and must be an email address.")
    groups = _strings(table.get("groups", []), where, "groups")
    keys = _strings(table.get("api_keys", []), where, "api_keys")
    tokens = _strings(table.get("bearer_tokens", []), where, "bearer_tokens")
    if not keys and not tokens:
        raise AuthFileError(
            f"{where} ({email}): no api_keys or bearer_tokens; it could never log in."
        )
    principal = Principal(email.strip(), frozenset(groups))
    return PrincipalEntry(principal, keys, tokens)


def parse_auth_data(data: Mapping[str, Any], source: str = "auth file") -> list[PrincipalEntry]:
    """Validate already-parsed TOML data; see the module docstring for the format."""
    unknown = sorted(set(data) - {"principal"})
    if unknown:
        raise AuthFileError(f"{source}: unknown top-level key(s) {', '.join(unknown)}.")
    tables = data.get("principal")
    if not isinstance(tables, list) or not tables:
        raise AuthFileError(f"{source}: define at least one [[principal]] table.")
    entries = [_entry(t, f"{source}: principal #{i + 1}") for i, t in enumerate(tables)]
    emails: dict[str, int] = {}
    owners: dict[str, str] = {}
    for i, entry in enumerate(entries):
        email = entry.principal.email.lower()
        if email in emails:
            raise AuthFileError(
                f"{source}: principals #{emails[email] + 1} and #{i + 1} share email {email}."
            )
        emails[email] = i
        for credential in (*entry.api_keys, *entry.bearer_tokens):
            if credential in owners:
                raise AuthFileError(
                    f"{source}: a credential of {entry.principal.email} is already listed for "
                    f"{owners[credential]}; every API key and token must be unique."
                )
            owners[credential] = entry.principal.email
    return entries


def load_auth_file(path: Path) -> list[PrincipalEntry]:
    """Read and validate the auth file at ``path``.

    Raises:
        AuthFileError: the file is unreadable, not TOML, or inconsistent.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise AuthFileError(f"Cannot read auth file {path}: {exc.strerror or exc}.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AuthFileError(f"Auth file {path} is not valid TOML: {exc}.") from None
    return parse_auth_data(data, str(path))


def _digest(secret: str) -> bytes:
    # Look credentials up by digest so lookup timing says nothing about the secret.
    return hashlib.sha256(secret.encode("utf-8")).digest()


def _unauthenticated(message: str, reason: str) -> ApiError:
    detail = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": "generativelanguage.googleapis.com"},
    }
    return ApiError(Code.UNAUTHENTICATED, message, details=[detail])


class Authenticator:
    """Maps presented credentials to a :class:`Principal`.

    ``Authenticator(None)`` is single-user mode; ``Authenticator(entries)`` checks
    credentials against the auth file's principals.
    """

    def __init__(self, entries: Iterable[PrincipalEntry] | None) -> None:
        self._keys: dict[bytes, Principal] | None = None
        self._tokens: dict[bytes, Principal] = {}
        if entries is not None:
            self._keys = {}
            for entry in entries:
                self._keys.update((_digest(k), entry.principal) for k in entry.api_keys)
                self._tokens.update((_digest(t), entry.principal) for t in entry.bearer_tokens)

    @classmethod
    def from_file(cls, path: Path | None) -> Authenticator:
        """Single-user when ``path`` is None, else the principals of that auth file."""
        return cls(None if path is None else load_auth_file(path))

    @property
    def single_user(self) -> bool:
        return self._keys is None

    def authenticate(self, credentials: Credentials) -> Principal:
        """The principal ``credentials`` identify.

        Raises:
            ApiError: UNAUTHENTICATED when a credential is unknown, none is given, or two
                credentials name different principals.
        """
        if self._keys is None:
            return LOCAL_USER
        found: list[Principal] = []
        tokens = (credentials.bearer_token, *credentials.more_bearer_tokens)
        for token in (t for t in tokens if t is not None):
            principal = self._tokens.get(_digest(token))
            if principal is None:
                raise _unauthenticated(
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                    "ACCESS_TOKEN_INVALID",
                )
            found.append(principal)
        for key in (k for k in (credentials.api_key, *credentials.more_api_keys) if k is not None):
            principal = self._keys.get(_digest(key))
            if principal is None:
                raise _unauthenticated(
                    "API key not valid. Please pass a valid API key.", "API_KEY_INVALID"
                )
            found.append(principal)
        if not found:
            raise _unauthenticated(
                "Request is missing required authentication credential. Expected an API key "
                "(x-goog-api-key header or ?key=) or a bearer token.",
                "CREDENTIALS_MISSING",
            )
        if any(p != found[0] for p in found[1:]):
            raise _unauthenticated(
                "The credentials of this request identify different principals.",
                "CREDENTIALS_CONFLICT",
            )
        return found[0]
