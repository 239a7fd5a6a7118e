"""Who may read or edit a corpus: imperative calls and a declarative access file.

Grantees are written as text: ``"alice@example.com"`` (a user; ``"user:alice@..."`` also
works), ``"group:eng@example.com"`` (a group) and ``"everyone"``. Roles are ``READER``,
``WRITER`` and ``OWNER``; EVERYONE may only ever be a READER, and ragkit refuses anything
else before a request is sent.

The access file (TOML) lists, per corpus, who should hold which role::

    [[corpus]]
    name = "corpora/handbook"
    readers = ["alice@example.com", "group:eng@example.com", "everyone"]
    writers = ["bob@example.com"]
    owners = []                       # optional

:func:`plan` compares it with the corpus's permissions and returns the changes (grant,
change role, revoke) that make them equal; :func:`apply` carries them out. Only corpora
named in the file are touched, and existing OWNER permissions are never revoked or
downgraded (so the file cannot lock its author out): listing an owner under
``readers``/``writers`` is an error, and owners missing from the file are kept.

Every call has an :class:`ragkit.AsyncClient` twin with an ``a`` prefix (:func:`alist_access`,
:func:`agrant`, :func:`achange_role`, :func:`arevoke`, :func:`aplan`, :func:`aapply`) that
behaves the same way.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ragkit.names import corpus_name
from ragkit.types import GranteeType, Permission, Role

if TYPE_CHECKING:
    from ragkit._client import AsyncClient, Client

__all__ = [
    "AccessError",
    "AccessSpec",
    "Change",
    "Entry",
    "Grantee",
    "RoleName",
    "aapply",
    "achange_role",
    "agrant",
    "alist_access",
    "aplan",
    "apply",
    "arevoke",
    "change_role",
    "grant",
    "list_access",
    "load_access_file",
    "parse_access",
    "plan",
    "revoke",
]

RoleName = Literal["READER", "WRITER", "OWNER"]
_ROLES: tuple[RoleName, ...] = ("READER", "WRITER", "OWNER")
_FILE_LISTS: dict[str, RoleName] = {"readers": "READER", "writers": "WRITER", "owners": "OWNER"}


class AccessError(ValueError):
    """An invalid grantee, role or access file, or a change ragkit refuses to make."""


@dataclass(frozen=True, order=True)
class Grantee:
    """A user, a group, or everyone. ``str()`` gives the spelling :meth:`parse` reads."""

    kind: Literal["user", "group", "everyone"]
    email: str | None = None

    @classmethod
    def parse(cls, text: str | Grantee) -> Grantee:
        """``"alice@x.com"``, ``"user:alice@x.com"``, ``"group:eng@x.com"`` or ``"everyone"``."""
        if isinstance(text, Grantee):
            return text
        value = text.strip()
        if value.lower() == "everyone":
            return cls("everyone")
        prefix, colon, rest = value.partition(":")
        kind: Literal["user", "group"] = "user"
        if colon:
            if prefix.lower() not in ("user", "group"):
                raise AccessError(
                    f"unknown grantee kind {prefix!r} in {text!r}; use user: or group:"
                )
            kind = "group" if prefix.lower() == "group" else "user"
            value = rest.strip()
        local, at, domain = value.partition("@")
        if not (local and at and domain) or " " in value:
            raise AccessError(
                f"invalid grantee {text!r}: expected an email address, group:EMAIL or everyone"
            )
        return cls(kind, value.lower())

    @classmethod
    def from_permission(cls, permission: Permission) -> Grantee:
        kind = permission.grantee_type or GranteeType.GRANTEE_TYPE_UNSPECIFIED
        if kind is GranteeType.EVERYONE:
            return cls("everyone")
        email = (permission.email_address or "").lower()
        return cls("group" if kind is GranteeType.GROUP else "user", email)

    @property
    def grantee_type(self) -> GranteeType:
        return GranteeType[self.kind.upper()]

    def __str__(self) -> str:
        if self.kind == "everyone":
            return "everyone"
        return f"group:{self.email}" if self.kind == "group" else str(self.email)


def _role(value: str | Role) -> RoleName:
    name = value.name if isinstance(value, Role) else str(value).upper()
    for role in _ROLES:
        if role == name:
            return role
    raise AccessError(f"unknown role {value!r}; use READER, WRITER or OWNER")


def _check_everyone(grantee: Grantee, role: RoleName) -> None:
    if grantee.kind == "everyone" and role != "READER":
        raise AccessError(
            f"everyone can only be granted READER, not {role}: WRITER or OWNER for everyone "
            "would let anyone edit or delete the corpus"
        )


@dataclass(frozen=True)
class Entry:
    """A permission on a corpus: who, which role, and its resource name."""

    corpus: str
    grantee: Grantee
    role: RoleName
    permission_name: str


@dataclass(frozen=True)
class Change:
    """One step of a plan: ``grant`` a role, ``change`` a role, or ``revoke`` a permission."""

    action: Literal["grant", "change", "revoke"]
    corpus: str
    grantee: Grantee
    role: RoleName | None = None
    old_role: RoleName | None = None
    permission_name: str | None = None

    def describe(self) -> str:
        """``"+ grant READER to alice@x.com on corpora/handbook"`` and the like."""
        if self.action == "grant":
            return f"+ grant {self.role} to {self.grantee} on {self.corpus}"
        if self.action == "change":
            return f"~ change {self.grantee} from {self.old_role} to {self.role} on {self.corpus}"
        return f"- revoke {self.old_role} from {self.grantee} on {self.corpus}"


# --------------------------------------------------------------------------- access file


@dataclass(frozen=True)
class AccessSpec:
    """The desired roles per corpus, as read from an access file."""

    corpora: dict[str, dict[Grantee, RoleName]]


def _corpus_spec(table: Any, where: str) -> tuple[str, dict[Grantee, RoleName]]:
    if not isinstance(table, Mapping):
        raise AccessError(f"{where}: each [[corpus]] must be a table")
    unknown = sorted(set(table) - {"name", *_FILE_LISTS})
    if unknown:
        raise AccessError(
            f"{where}: unknown field {unknown[0]!r} (use name, readers, writers, owners)"
        )
    raw_name = table.get("name")
    if not isinstance(raw_name, str) or not raw_name:
        raise AccessError(f'{where}: name is required, e.g. name = "corpora/handbook"')
    try:
        name = corpus_name(raw_name)
    except ValueError as error:
        raise AccessError(f"{where}: {error}") from None
    roles: dict[Grantee, RoleName] = {}
    for field_name, role in _FILE_LISTS.items():
        values = table.get(field_name, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise AccessError(f"{where} ({name}): {field_name} must be a list of strings")
        for value in values:
            try:
                grantee = Grantee.parse(value)
                _check_everyone(grantee, role)
            except AccessError as error:
                raise AccessError(f"{where} ({name}), {field_name}: {error}") from None
            if grantee in roles:
                raise AccessError(
                    f"{where} ({name}): {grantee} is listed twice ({roles[grantee]} and {role}); "
                    "give each grantee one role"
                )
            roles[grantee] = role
    return name, roles


def parse_access(data: Mapping[str, Any], *, source: str = "access file") -> AccessSpec:
    """Validate parsed TOML (``{"corpus": [...]}``) into an :class:`AccessSpec`."""
    unknown = sorted(set(data) - {"corpus"})
    if unknown:
        raise AccessError(f"{source}: unknown top-level key {unknown[0]!r}; use [[corpus]] tables")
    tables = data.get("corpus", [])
    if not isinstance(tables, list):
        raise AccessError(f"{source}: write each corpus as a [[corpus]] table")
    corpora: dict[str, dict[Grantee, RoleName]] = {}
    for index, table in enumerate(tables, start=1):
        name, roles = _corpus_spec(table, f"{source}, corpus #{index}")
        if name in corpora:
            raise AccessError(f"{source}: {name} appears in two [[corpus]] tables")
        corpora[name] = roles
    return AccessSpec(corpora)


def load_access_file(path: str | Path) -> AccessSpec:
    """Read and validate an access file.

    Raises:
        AccessError: the file is missing, not TOML, or invalid (the message says where).
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise AccessError(f"cannot read access file {file}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise AccessError(f"{file} is not valid TOML: {error}") from None
    return parse_access(data, source=str(file))


def _spec(source: AccessSpec | str | Path) -> AccessSpec:
    return source if isinstance(source, AccessSpec) else load_access_file(source)


def _corpus_changes(
    corpus: str, desired: Mapping[Grantee, RoleName], current: Sequence[Entry]
) -> list[Change]:
    held: dict[Grantee, list[Entry]] = {}
    for entry in current:
        held.setdefault(entry.grantee, []).append(entry)
    changes: list[Change] = []
    for grantee, role in desired.items():
        entries = held.pop(grantee, [])
        owner = next((e for e in entries if e.role == "OWNER"), None)
        if owner is not None and role != "OWNER":
            raise AccessError(
                f"{grantee} is OWNER of {corpus}; the access file never downgrades an owner "
                f"(list them under owners, or change the role by hand)"
            )
        keep = owner or next((e for e in entries if e.role == role), None)
        if keep is None and entries:
            keep = entries[0]
            changes.append(Change("change", corpus, grantee, role, keep.role, keep.permission_name))
        elif keep is None:
            changes.append(Change("grant", corpus, grantee, role))
        changes.extend(_revocations([e for e in entries if e is not keep]))
    for entries in held.values():
        changes.extend(_revocations(entries))
    return changes


def _revocations(entries: Sequence[Entry]) -> list[Change]:
    return [
        Change("revoke", e.corpus, e.grantee, None, e.role, e.permission_name)
        for e in entries
        if e.role != "OWNER"
    ]


# --------------------------------------------------------------------------- shared logic
# Everything below that talks to a server comes twice (Client and AsyncClient); what to send
# and what a response means is decided here, once.

_SOURCE_TYPES = (AccessSpec, str, Path)  # what plan() reads; apply() also takes a change list
_ORDER = {"grant": 0, "change": 1, "revoke": 2}


def _entries(corpus: str, permissions: Iterable[Permission]) -> list[Entry]:
    return [
        Entry(corpus, Grantee.from_permission(p), _role(p.role), p.name)
        for p in permissions
        if p.name and p.role
    ]


def _new_grant(grantee: str | Grantee, role: str | Role) -> tuple[Grantee, RoleName]:
    who, role_name = Grantee.parse(grantee), _role(role)
    _check_everyone(who, role_name)
    return who, role_name


def _only_held(entries: Sequence[Entry], grantee: Grantee) -> list[Entry]:
    return [entry for entry in entries if entry.grantee == grantee]


def _first_held(corpus: str, entries: Sequence[Entry], grantee: Grantee) -> Entry:
    held = _only_held(entries, grantee)
    if not held:
        raise AccessError(f"{grantee} has no permission on {corpus}; grant one first")
    return held[0]


def _planned(spec: AccessSpec, current: Mapping[str, Sequence[Entry]]) -> list[Change]:
    changes: list[Change] = []
    for corpus, desired in spec.corpora.items():
        changes.extend(_corpus_changes(corpus, desired, current[corpus]))
    return sorted(changes, key=lambda c: _ORDER[c.action])


def _role_of(change: Change) -> RoleName:
    """The role a grant or change sets, re-checked: a hand-made plan may break the rules."""
    if change.role is None:
        raise AccessError(f"{change.action} needs a role: {change}")
    _check_everyone(change.grantee, change.role)
    return change.role


def _permission_of(change: Change) -> str:
    if not change.permission_name:
        raise AccessError(f"{change.action} needs the permission's name: {change}")
    return change.permission_name


# --------------------------------------------------------------------------- Client


def list_access(client: Client, corpus: str) -> list[Entry]:
    """Every permission on ``corpus`` (needs WRITER on ragkit's server)."""
    name = corpus_name(corpus)
    return _entries(name, client.corpora.permissions.list(name))


def grant(
    client: Client, corpus: str, grantee: str | Grantee, role: str | Role = "READER"
) -> Entry:
    """Give ``grantee`` a role on ``corpus``; EVERYONE only as READER.

    Raises:
        AccessError: invalid grantee or role, or EVERYONE with WRITER/OWNER.
        ragkit.ConflictError: the grantee already holds a permission (use
            :func:`change_role`).
    """
    name, (who, role_name) = corpus_name(corpus), _new_grant(grantee, role)
    permission = client.corpora.permissions.create(
        name, role=role_name, grantee_type=who.grantee_type.name, email_address=who.email
    )
    return Entry(name, who, role_name, permission.name or "")


def change_role(client: Client, corpus: str, grantee: str | Grantee, role: str | Role) -> Entry:
    """Change the role ``grantee`` holds on ``corpus``.

    Raises:
        AccessError: the grantee holds no permission there, or EVERYONE with WRITER/OWNER.
    """
    name, (who, role_name) = corpus_name(corpus), _new_grant(grantee, role)
    held = _first_held(name, list_access(client, name), who)
    client.corpora.permissions.update(held.permission_name, role=role_name)
    return Entry(name, who, role_name, held.permission_name)


def revoke(client: Client, corpus: str, grantee: str | Grantee) -> list[Entry]:
    """Remove every permission ``grantee`` holds on ``corpus``; returns what was removed."""
    held = _only_held(list_access(client, corpus), Grantee.parse(grantee))
    for entry in held:
        client.corpora.permissions.delete(entry.permission_name)
    return held


def plan(client: Client, source: AccessSpec | str | Path) -> list[Change]:
    """The changes that make each corpus in ``source`` match it (nothing is modified).

    Grants and role changes come first, then revocations, in file order.
    """
    spec = _spec(source)
    return _planned(spec, {corpus: list_access(client, corpus) for corpus in spec.corpora})


def apply(client: Client, source: AccessSpec | str | Path | Sequence[Change]) -> list[Change]:
    """Carry out :func:`plan` for ``source`` (or a list of changes already planned).

    Returns the changes made, in order. A failure stops at the failing change (the error
    says which), leaving the earlier ones applied; running ``apply`` again finishes the job.
    """
    changes = plan(client, source) if isinstance(source, _SOURCE_TYPES) else list(source)
    for change in changes:
        if change.action == "grant":
            grant(client, change.corpus, change.grantee, _role_of(change))
        elif change.action == "change":
            role = _role_of(change)
            client.corpora.permissions.update(_permission_of(change), role=role)
        else:
            client.corpora.permissions.delete(_permission_of(change))
    return changes


# --------------------------------------------------------------------------- AsyncClient


async def alist_access(client: AsyncClient, corpus: str) -> list[Entry]:
    """:func:`list_access` for :class:`ragkit.AsyncClient`."""
    name = corpus_name(corpus)
    return _entries(name, [p async for p in client.corpora.permissions.list(name)])


async def agrant(
    client: AsyncClient, corpus: str, grantee: str | Grantee, role: str | Role = "READER"
) -> Entry:
    """:func:`grant` for :class:`ragkit.AsyncClient`."""
    name, (who, role_name) = corpus_name(corpus), _new_grant(grantee, role)
    permission = await client.corpora.permissions.create(
        name, role=role_name, grantee_type=who.grantee_type.name, email_address=who.email
    )
    return Entry(name, who, role_name, permission.name or "")


async def achange_role(
    client: AsyncClient, corpus: str, grantee: str | Grantee, role: str | Role
) -> Entry:
    """:func:`change_role` for :class:`ragkit.AsyncClient`."""
    name, (who, role_name) = corpus_name(corpus), _new_grant(grantee, role)
    held = _first_held(name, await alist_access(client, name), who)
    await client.corpora.permissions.update(held.permission_name, role=role_name)
    return Entry(name, who, role_name, held.permission_name)


async def arevoke(client: AsyncClient, corpus: str, grantee: str | Grantee) -> list[Entry]:
    """:func:`revoke` for :class:`ragkit.AsyncClient`."""
    held = _only_held(await alist_access(client, corpus), Grantee.parse(grantee))
    for entry in held:
        await client.corpora.permissions.delete(entry.permission_name)
    return held


async def aplan(client: AsyncClient, source: AccessSpec | str | Path) -> list[Change]:
    """:func:`plan` for :class:`ragkit.AsyncClient`."""
    spec = _spec(source)
    return _planned(spec, {corpus: await alist_access(client, corpus) for corpus in spec.corpora})


async def aapply(
    client: AsyncClient, source: AccessSpec | str | Path | Sequence[Change]
) -> list[Change]:
    """:func:`apply` for :class:`ragkit.AsyncClient`."""
    changes = await aplan(client, source) if isinstance(source, _SOURCE_TYPES) else list(source)
    for change in changes:
        if change.action == "grant":
            await agrant(client, change.corpus, change.grantee, _role_of(change))
        elif change.action == "change":
            role = _role_of(change)
            await client.corpora.permissions.update(_permission_of(change), role=role)
        else:
            await client.corpora.permissions.delete(_permission_of(change))
    return changes
