"""``client.tuned_models``: fine-tuned models, their permissions and operations.

REST: ``v1beta/tunedModels[/{id}]`` plus ``:generateContent``,
``:streamGenerateContent`` and ``:transferOwnership``. Tuned model IDs follow the
40-character rule; a bare ID means ``tunedModels/{id}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from ragkit import limits
from ragkit._base_client import APIRequest, parse_empty, parse_model
from ragkit._pagination import AsyncPager, SyncPager
from ragkit._validation import check_display_name, check_page_size
from ragkit.resources._common import (
    api_path,
    coerce,
    delete_request,
    get_request,
    list_request,
    resource_name,
    update_mask,
    wire,
)
from ragkit.resources._generation import AsyncGenerationMethods, GenerationMethods
from ragkit.resources.corpora.permissions import AsyncPermissions, Permissions
from ragkit.resources.operations import AsyncOperations, Operations
from ragkit.types import (
    CreateTunedModelOperation,
    ListTunedModelsResponse,
    TransferOwnershipRequest,
    TunedModel,
    TuningTask,
)

__all__ = ["AsyncTunedModels", "TunedModels"]

_MUTABLE = ("display_name", "description", "temperature", "top_p", "top_k")


def _name(value: str) -> str:
    return resource_name(value, "tunedModels")


def _create(
    tuning_task: TuningTask | Mapping[str, Any],
    tuned_model_id: str | None,
    fields: dict[str, Any],
) -> APIRequest[CreateTunedModelOperation]:
    check_display_name(fields.get("display_name"))
    body = TunedModel.model_validate({"tuning_task": coerce(TuningTask, tuning_task), **fields})
    model_id = _name(tuned_model_id).split("/")[1] if tuned_model_id else None
    return APIRequest(
        method="POST",
        path=api_path("tunedModels"),
        parse=parse_model(CreateTunedModelOperation),
        params={"tunedModelId": model_id},
        json=wire(body),
    )


def _list(filter: str | None, page_size: int | None) -> APIRequest[ListTunedModelsResponse]:
    check_page_size(
        page_size, limits.MAX_TUNED_MODELS_PAGE_SIZE, limit_name="MAX_TUNED_MODELS_PAGE_SIZE"
    )
    return list_request("tunedModels", ListTunedModelsResponse, filter=filter, page_size=page_size)


def _update(name: str, fields: dict[str, Any]) -> APIRequest[TunedModel]:
    name = _name(name)
    given = {key: value for key, value in fields.items() if value is not None}
    if not given:
        raise ValueError(f"update needs at least one of {', '.join(_MUTABLE)}")
    check_display_name(given.get("display_name"))
    return APIRequest(
        method="PATCH",
        path=api_path(name),
        parse=parse_model(TunedModel),
        params={"updateMask": update_mask(*given)},
        json=wire(TunedModel.model_validate({"name": name, **given})),
    )


def _transfer(name: str, email_address: str) -> APIRequest[None]:
    return APIRequest(
        method="POST",
        path=api_path(_name(name), "transferOwnership"),
        parse=parse_empty,
        json=wire(TransferOwnershipRequest(email_address=email_address)),
    )


class TunedModels(GenerationMethods):
    """Tuned models (``tunedModels/{id}``)."""

    def _model_target(self, model: str) -> str:
        return _name(model)

    @cached_property
    def permissions(self) -> Permissions:
        """Who may use or manage a tuned model."""
        return Permissions(self._client, "tunedModels")

    @cached_property
    def operations(self) -> Operations:
        """Tuning operations (``tunedModels/{t}/operations/{op}``)."""
        return Operations(self._client, "tunedModels")

    def create(
        self,
        *,
        tuning_task: TuningTask | Mapping[str, Any],
        base_model: str | None = None,
        tuned_model_id: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
    ) -> CreateTunedModelOperation:
        """Start tuning ``base_model``; poll the returned operation."""
        fields = {
            "base_model": base_model,
            "display_name": display_name,
            "description": description,
            "temperature": temperature,
            "top_p": top_p,
            "top_k": top_k,
        }
        return self._client._request(_create(tuning_task, tuned_model_id, fields))

    def get(self, name: str) -> TunedModel:
        """Fetch ``tunedModels/{id}``."""
        return self._client._request(get_request(_name(name), TunedModel))

    def list(
        self, *, filter: str | None = None, page_size: int | None = None
    ) -> SyncPager[ListTunedModelsResponse, TunedModel]:
        """Tuned models the caller can see (``filter`` e.g. ``"owner:me"``)."""
        return self._client._pager(_list(filter, page_size), lambda page: page.tuned_models)

    def update(
        self,
        name: str,
        *,
        display_name: str | None = None,
        description: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
    ) -> TunedModel:
        """Change the fields given (the update mask lists exactly those)."""
        fields = {
            "display_name": display_name,
            "description": description,
            "temperature": temperature,
            "top_p": top_p,
            "top_k": top_k,
        }
        return self._client._request(_update(name, fields))

    def delete(self, name: str) -> None:
        """Delete a tuned model."""
        return self._client._request(delete_request(_name(name)))

    def transfer_ownership(self, name: str, *, email_address: str) -> None:
        """Make ``email_address`` the owner; the current owner becomes a WRITER."""
        return self._client._request(_transfer(name, email_address))


class AsyncTunedModels(AsyncGenerationMethods):
    """Tuned models (``tunedModels/{id}``)."""

    def _model_target(self, model: str) -> str:
        return _name(model)

    @cached_property
    def permissions(self) -> AsyncPermissions:
        """Who may use or manage a tuned model."""
        return AsyncPermissions(self._client, "tunedModels")

    @cached_property
    def operations(self) -> AsyncOperations:
        """Tuning operations (``tunedModels/{t}/operations/{op}``)."""
        return AsyncOperations(self._client, "tunedModels")

    async def create(
        self,
        *,
        tuning_task: TuningTask | Mapping[str, Any],
        base_model: str | None = None,
        tuned_model_id: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
    ) -> CreateTunedModelOperation:
        """Start tuning ``base_model``; poll the returned operation."""
        fields = {
            "base_model": base_model,
            "display_name": display_name,
            "description": description,
            "temperature": temperature,
            "top_p": top_p,
            "top_k": top_k,
        }
        return await self._client._request(_create(tuning_task, tuned_model_id, fields))

    async def get(self, name: str) -> TunedModel:
        """Fetch ``tunedModels/{id}``."""
        return await self._client._request(get_request(_name(name), TunedModel))

    def list(
        self, *, filter: str | None = None, page_size: int | None = None
    ) -> AsyncPager[ListTunedModelsResponse, TunedModel]:
        """Tuned models the caller can see (``filter`` e.g. ``"owner:me"``)."""
        return self._client._pager(_list(filter, page_size), lambda page: page.tuned_models)

    async def update(
        self,
        name: str,
        *,
        display_name: str | None = None,
        description: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
    ) -> TunedModel:
        """Change the fields given (the update mask lists exactly those)."""
        fields = {
            "display_name": display_name,
            "description": description,
            "temperature": temperature,
            "top_p": top_p,
            "top_k": top_k,
        }
        return await self._client._request(_update(name, fields))

    async def delete(self, name: str) -> None:
        """Delete a tuned model."""
        return await self._client._request(delete_request(_name(name)))

    async def transfer_ownership(self, name: str, *, email_address: str) -> None:
        """Make ``email_address`` the owner; the current owner becomes a WRITER."""
        return await self._client._request(_transfer(name, email_address))
