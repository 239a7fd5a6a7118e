"""``corpora/{c}/permissions``: who may read, write or own a corpus."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ragkit.server.http.deps import Caller, Service
from ragkit.server.http.params import ListParams, PatchParams, PlainParams
from ragkit.server.http.transactions import CommitAfterRender
from ragkit.server.http.wire import body_of, render
from ragkit.types import Permission

__all__ = ["router"]

router = APIRouter(tags=["permissions"], route_class=CommitAfterRender)

PermissionBody = Annotated[Permission, Depends(body_of(Permission))]

_PERMISSIONS = "/corpora/{corpus:rid}/permissions"
_PERMISSION = _PERMISSIONS + "/{permission:rid}"


@router.post(_PERMISSIONS)
def create_permission(
    corpus: str, service: Service, who: Caller, q: PlainParams, body: PermissionBody
) -> JSONResponse:
    """Grant a role to a user, a group or everyone (EVERYONE may only read)."""
    created = service.create_permission(who, f"corpora/{corpus}", body)
    return render(created, enum_int=q.enum_int)


@router.get(_PERMISSIONS)
def list_permissions(corpus: str, service: Service, who: Caller, q: ListParams) -> JSONResponse:
    page = service.list_permissions(
        who, f"corpora/{corpus}", page_size=q.page_size, page_token=q.page_token
    )
    return render(page, enum_int=q.enum_int)


@router.get(_PERMISSION)
def get_permission(
    corpus: str, permission: str, service: Service, who: Caller, q: PlainParams
) -> JSONResponse:
    found = service.get_permission(who, f"corpora/{corpus}/permissions/{permission}")
    return render(found, enum_int=q.enum_int)


@router.patch(_PERMISSION)
def update_permission(
    corpus: str,
    permission: str,
    service: Service,
    who: Caller,
    q: PatchParams,
    body: PermissionBody,
) -> JSONResponse:
    """Change the ``role`` (the only mutable field)."""
    name = f"corpora/{corpus}/permissions/{permission}"
    return render(service.update_permission(who, name, body, q.update_mask), enum_int=q.enum_int)


@router.delete(_PERMISSION)
def delete_permission(
    corpus: str, permission: str, service: Service, who: Caller, q: PlainParams
) -> JSONResponse:
    service.delete_permission(who, f"corpora/{corpus}/permissions/{permission}")
    return render(None)
