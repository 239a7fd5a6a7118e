"""Permissions on a corpus (``client.corpora.permissions``) or a tuned model
(``client.tuned_models.permissions``).

REST: ``v1beta/{parent}/permissions[/{permission}]`` with ``parent`` = ``corpora/{c}``
or ``tunedModels/{t}``. A bare parent ID refers to the namespace's own collection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragkit import limits
from ragkit._base_client import APIRequest, parse_model
from ragkit._pagination import AsyncPager, SyncPager
from ragkit._validation import check_page_size
from ragkit.names import permission_name, split_name
from ragkit.resources._common import (
    AsyncAPIResource,
    SyncAPIResource,
    api_path,
    delete_request,
    get_request,
    list_request,
    update_mask,
    wire,
)
from ragkit.types import GranteeType, ListPermissionsResponse, Permission, Role

if TYPE_CHECKING:
    from ragkit._client import AsyncClient, Client

__all__ = ["AsyncPermissions", "Permissions"]


def _parent(value: str, collection: str) -> str:
    name = value if "/" in value else f"{collection}/{value}"
    split_name(name, name.split("/")[0] if name.startswith("tunedModels/") else "corpora")
    return name


def _create(
    parent: str,
    role: Role | str,
    grantee_type: GranteeType | str | None,
    email_address: str | None,
) -> APIRequest[Permission]:
    body = Permission.model_validate(
        {"role": role, "granteeType": grantee_type, "emailAddress": email_address}
    )
    return APIRequest(
        method="POST",
        path=api_path(f"{parent}/permissions"),
        parse=parse_model(Permission),
        json=wire(body),
    )


def _list(parent: str, page_size: int | None) -> APIRequest[ListPermissionsResponse]:
    check_page_size(
        page_size, limits.MAX_PERMISSIONS_PAGE_SIZE, limit_name="MAX_PERMISSIONS_PAGE_SIZE"
    )
    return list_request(f"{parent}/permissions", ListPermissionsResponse, page_size=page_size)


def _update(name: str, role: Role | str) -> APIRequest[Permission]:
    name = permission_name(name)
    return APIRequest(
        method="PATCH",
        path=api_path(name),
        parse=parse_model(Permission),
        params={"updateMask": update_mask("role")},
        json=wire(Permission.model_validate({"role": role})),
    )


class Permissions(SyncAPIResource):
    """Grant READER/WRITER/OWNER roles to users, groups or EVERYONE."""

    def __init__(self, client: Client, collection: str = "corpora") -> None:
        super().__init__(client)
        self._collection = collection

    def _parent(self, value: str) -> str:
        return _parent(value, self._collection)

    def create(
        self,
        parent: str,
        *,
        role: Role | str,
        grantee_type: GranteeType | str | None = None,
        email_address: str | None = None,
    ) -> Permission:
        """Share ``parent`` (e.g. ``"corpora/docs"``); EVERYONE grants take no email address."""
        request = _create(self._parent(parent), role, grantee_type, email_address)
        return self._client._request(request)

    def get(self, name: str) -> Permission:
        """Fetch ``{parent}/permissions/{p}``."""
        return self._client._request(get_request(permission_name(name), Permission))

    def list(
        self, parent: str, *, page_size: int | None = None
    ) -> SyncPager[ListPermissionsResponse, Permission]:
        """The permissions on ``parent`` (``page_size`` <= 1000)."""
        request = _list(self._parent(parent), page_size)
        return self._client._pager(request, lambda page: page.permissions)

    def update(self, name: str, *, role: Role | str) -> Permission:
        """Change the role (the only mutable field)."""
        return self._client._request(_update(name, role))

    def delete(self, name: str) -> None:
        """Revoke a permission."""
        return self._client._request(delete_request(permission_name(name)))


class AsyncPermissions(AsyncAPIResource):
    """Grant READER/WRITER/OWNER roles to users, groups or EVERYONE."""

    def __init__(self, client: AsyncClient, collection: str = "corpora") -> None:
        super().__init__(client)
        self._collection = collection

    def _parent(self, value: str) -> str:
        return _parent(value, self._collection)

    async def create(
        self,
        parent: str,
        *,
        role: Role | str,
        grantee_type: GranteeType | str | None = None,
        email_address: str | None = None,
    ) -> Permission:
        """Share ``parent`` (e.g. ``"corpora/docs"``); EVERYONE grants take no email address."""
        request = _create(self._parent(parent), role, grantee_type, email_address)
        return await self._client._request(request)

    async def get(self, name: str) -> Permission:
        """Fetch ``{parent}/permissions/{p}``."""
        return await self._client._request(get_request(permission_name(name), Permission))

    def list(
        self, parent: str, *, page_size: int | None = None
    ) -> AsyncPager[ListPermissionsResponse, Permission]:
        """The permissions on ``parent`` (``page_size`` <= 1000)."""
        request = _list(self._parent(parent), page_size)
        return self._client._pager(request, lambda page: page.permissions)

    async def update(self, name: str, *, role: Role | str) -> Permission:
        """Change the role (the only mutable field)."""
        return await self._client._request(_update(name, role))

    async def delete(self, name: str) -> None:
        """Revoke a permission."""
        return await self._client._request(delete_request(permission_name(name)))
