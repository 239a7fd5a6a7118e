"""Permissions on corpora and tuned models, and ownership transfer."""

from __future__ import annotations

from ragkit.types._base import WireEnum, WireModel

__all__ = [
    "GranteeType",
    "ListPermissionsResponse",
    "Permission",
    "Role",
    "TransferOwnershipRequest",
    "TransferOwnershipResponse",
]


class GranteeType(WireEnum):
    """Kind of grantee of a `Permission`."""

    GRANTEE_TYPE_UNSPECIFIED = 0
    USER = 1
    GROUP = 2
    EVERYONE = 3


class Role(WireEnum):
    """Role granted by a `Permission`."""

    ROLE_UNSPECIFIED = 0
    OWNER = 1
    WRITER = 2
    READER = 3


class Permission(WireModel):
    """A grant of access to a corpus or tuned model for a user, a group or everyone.

    Required by the API: ``role``.
    """

    name: str | None = None
    grantee_type: GranteeType | None = None
    email_address: str | None = None
    role: Role | None = None


class ListPermissionsResponse(WireModel):
    """Response from `ListPermissions` containing a paginated list of permissions."""

    permissions: list[Permission] | None = None
    next_page_token: str | None = None


class TransferOwnershipRequest(WireModel):
    """Request to transfer the ownership of the tuned model.

    Required by the API: ``email_address``.
    """

    email_address: str | None = None


class TransferOwnershipResponse(WireModel):
    """Response from `TransferOwnership`."""
