"""Permission methods (``parent`` is ``corpora/{c}``).

Who may manage what: a WRITER creates, reads, updates and deletes READER and WRITER
permissions; anything touching OWNER (granting it, changing or removing an OWNER
permission) needs OWNER. Reading permissions needs WRITER, since they list other people's
addresses. EVERYONE may only be granted READER. A grantee holds at most one permission per
corpus (a second grant is ALREADY_EXISTS; change the role instead), and the last OWNER
permission can be neither removed nor downgraded (FAILED_PRECONDITION).
"""

from __future__ import annotations

from ragkit.limits import MAX_PERMISSIONS_PAGE_SIZE
from ragkit.names import generate_id
from ragkit.server.errors import (
    already_exists,
    failed_precondition,
    invalid_argument,
    not_found,
    permission_denied,
)
from ragkit.server.principal import Principal
from ragkit.server.service.access import authorize
from ragkit.server.service.core import ServiceCore
from ragkit.server.service.paging import resolve_page_size
from ragkit.server.service.validation import check_email, parse_mask, parse_name
from ragkit.server.service.wire import permission_out
from ragkit.server.store import permissions as rows
from ragkit.server.store.dialect import Connection
from ragkit.server.store.records import CorpusRecord, PermissionRecord
from ragkit.types import GranteeType, ListPermissionsResponse, Permission, Role

__all__ = ["PermissionsMixin"]

_PERMISSION_MASK = {"role": "role"}


def _check_role(role: Role | None, grantee: GranteeType) -> Role:
    if role is None or role is Role.ROLE_UNSPECIFIED:
        raise invalid_argument("Permission role is required (READER, WRITER or OWNER).")
    if grantee is GranteeType.EVERYONE and role is not Role.READER:
        raise invalid_argument(f"EVERYONE can only be granted READER, not {role.name}.")
    return role


def _check_grantee(permission: Permission) -> tuple[GranteeType, str | None]:
    grantee = permission.grantee_type or GranteeType.GRANTEE_TYPE_UNSPECIFIED
    email = permission.email_address or None
    if email is not None:
        check_email(email, "Permission email_address")
    if grantee is GranteeType.GRANTEE_TYPE_UNSPECIFIED:
        raise invalid_argument("Permission grantee_type is required (USER, GROUP or EVERYONE).")
    if grantee is GranteeType.EVERYONE:
        if email is not None:
            raise invalid_argument("email_address must not be set when grantee_type is EVERYONE.")
        return grantee, None
    if email is None or "@" not in email.strip("@"):
        raise invalid_argument(
            f"A valid email_address is required when grantee_type is {grantee.name}."
        )
    return grantee, email


def _check_manage(who: Principal, corpus: CorpusRecord, caller: Role, *roles: Role) -> None:
    """A WRITER may only handle READER/WRITER permissions; OWNER ones need OWNER."""
    if Role.OWNER in roles and caller is not Role.OWNER:
        raise permission_denied(
            f"Permission denied on resource corpora/{corpus.name}: only an OWNER can grant, "
            f"change or remove OWNER permissions, and {who.email} has {caller.name}."
        )


class PermissionsMixin(ServiceCore):
    def create_permission(self, who: Principal, parent: str, permission: Permission) -> Permission:
        """Grant a role on ``parent`` (WRITER; OWNER to grant OWNER). The name is generated.

        Raises:
            ApiError: INVALID_ARGUMENT, PERMISSION_DENIED, ALREADY_EXISTS (the grantee
                already holds a permission on the corpus).
        """
        (corpus_id,) = parse_name(parent, "corpora")
        grantee, email = _check_grantee(permission)
        role = _check_role(permission.role, grantee)
        with self._db.write() as conn:
            corpus, caller = authorize(conn, who, corpus_id, Role.WRITER)
            _check_manage(who, corpus, caller, role)
            existing = rows.find_duplicate_grant(conn, corpus.id, grantee.value, email)
            if existing is not None:
                raise already_exists(
                    f"{grantee.name} {email or ''} already has permission "
                    f"{parent}/permissions/{existing.name}; update its role instead."
                )
            name = generate_id()
            while rows.find_permission(conn, corpus.id, name) is not None:
                name = generate_id()
            record = rows.insert_permission(conn, corpus.id, name, grantee.value, email, role.value)
        return permission_out(corpus_id, record)

    def _find(
        self, conn: Connection, who: Principal, name: str
    ) -> tuple[CorpusRecord, Role, PermissionRecord]:
        corpus_id, permission_id = parse_name(name, "corpora", "permissions")
        corpus, caller = authorize(conn, who, corpus_id, Role.WRITER)
        record = rows.find_permission(conn, corpus.id, permission_id)
        if record is None:
            raise not_found(f"Permission {name} not found.")
        return corpus, caller, record

    def get_permission(self, who: Principal, name: str) -> Permission:
        """Get ``corpora/{c}/permissions/{p}`` (WRITER)."""
        with self._db.read() as conn:
            corpus, _, record = self._find(conn, who, name)
        return permission_out(corpus.name, record)

    def list_permissions(
        self, who: Principal, parent: str, *, page_size: int | None, page_token: str | None
    ) -> ListPermissionsResponse:
        """Permissions of ``parent`` in creation order (WRITER; page size default 10,
        max 1000)."""
        (corpus_id,) = parse_name(parent, "corpora")
        size = resolve_page_size(page_size, MAX_PERMISSIONS_PAGE_SIZE)
        scope = ("permissions", parent, size)
        after = self._pages.read(page_token, *scope)
        with self._db.read() as conn:
            corpus, _ = authorize(conn, who, corpus_id, Role.WRITER)
            found = rows.list_permissions(
                conn, corpus.id, after=None if after is None else int(after), limit=size + 1
            )
        page, token = self._pages.page(found, size, lambda r: r.id, *scope)
        return ListPermissionsResponse(
            permissions=[permission_out(corpus_id, r) for r in page], next_page_token=token
        )

    def update_permission(
        self, who: Principal, name: str, permission: Permission, update_mask: str | None
    ) -> Permission:
        """Change the role (the only updatable field; WRITER, OWNER where OWNER is involved).

        Raises:
            ApiError: INVALID_ARGUMENT, PERMISSION_DENIED, NOT_FOUND, FAILED_PRECONDITION
                (downgrading the last OWNER).
        """
        parse_mask(update_mask, _PERMISSION_MASK, "permission")
        with self._db.write() as conn:
            corpus, caller, record = self._find(conn, who, name)
            old = Role(record.role)
            new = _check_role(permission.role, GranteeType(record.grantee_type))
            _check_manage(who, corpus, caller, old, new)
            if old is Role.OWNER and new is not Role.OWNER:
                self._keep_an_owner(conn, corpus, name)
            record = rows.update_role(conn, record.id, new.value)
        return permission_out(corpus.name, record)

    def delete_permission(self, who: Principal, name: str) -> None:
        """Revoke a permission (WRITER; OWNER for OWNER permissions; never the last OWNER)."""
        with self._db.write() as conn:
            corpus, caller, record = self._find(conn, who, name)
            role = Role(record.role)
            _check_manage(who, corpus, caller, role)
            if role is Role.OWNER:
                self._keep_an_owner(conn, corpus, name)
            rows.delete_permission(conn, record.id)

    @staticmethod
    def _keep_an_owner(conn: Connection, corpus: CorpusRecord, name: str) -> None:
        if rows.count_role(conn, corpus.id, Role.OWNER.value) <= 1:
            raise failed_precondition(
                f"{name} is the last OWNER permission of corpora/{corpus.name}; grant OWNER "
                "to someone else first."
            )
