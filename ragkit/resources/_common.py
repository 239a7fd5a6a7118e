"""Helpers every resource module shares: base classes, input coercion, names, masks."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from pydantic import BaseModel

from ragkit._base_client import API_VERSION, APIRequest, parse_empty, parse_model
from ragkit._exceptions import ResourceNameError
from ragkit.names import split_name
from ragkit.types import (
    Content,
    CustomMetadata,
    MetadataFilter,
    Part,
    SafetySetting,
    StringList,
    to_wire,
)

if TYPE_CHECKING:
    from ragkit._client import AsyncClient, Client

__all__ = [
    "AsyncAPIResource",
    "ContentInput",
    "ContentsInput",
    "MetadataInput",
    "SyncAPIResource",
    "api_path",
    "coerce",
    "coerce_list",
    "content",
    "contents",
    "custom_metadata",
    "delete_request",
    "get_request",
    "list_request",
    "metadata_filters",
    "resource_name",
    "safety_settings",
    "update_mask",
    "wire",
]

M = TypeVar("M", bound=BaseModel)

#: A ``Content``, its dict form, a string (one text part, role "user") or parts.
ContentInput: TypeAlias = "Content | Mapping[str, Any] | str"
#: One content or a conversation.
ContentsInput: TypeAlias = "ContentInput | Sequence[ContentInput]"
#: ``CustomMetadata`` entries, or a plain mapping ``{"year": 2024, "tags": ["a", "b"]}``.
MetadataInput: TypeAlias = (
    "Sequence[CustomMetadata | Mapping[str, Any]] | Mapping[str, str | float | Sequence[str]]"
)


class SyncAPIResource:
    """A namespace of API methods bound to a :class:`ragkit.Client`."""

    def __init__(self, client: Client) -> None:
        self._client = client


class AsyncAPIResource:
    """A namespace of API methods bound to a :class:`ragkit.AsyncClient`."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client


def api_path(name: str, verb: str | None = None) -> str:
    """``"corpora/c"`` -> ``"v1beta/corpora/c"`` (plus ``":verb"``)."""
    return f"{API_VERSION}/{name}" + (f":{verb}" if verb else "")


def coerce(model: type[M], value: M | Mapping[str, Any]) -> M:
    """Accept a model instance or its dict form (either spelling of field names)."""
    if isinstance(value, model):
        return value
    return model.model_validate(value)


def coerce_list(model: type[M], values: Iterable[M | Mapping[str, Any]]) -> list[M]:
    return [coerce(model, value) for value in values]


def wire(value: BaseModel | None) -> dict[str, Any] | None:
    return None if value is None else to_wire(value)


def content(value: ContentInput, *, role: str | None = "user") -> Content:
    """A ``Content`` from a string (one text part), a dict or a ``Content``."""
    if isinstance(value, str):
        return Content(role=role, parts=[Part(text=value)])
    return coerce(Content, value)


def contents(value: ContentsInput) -> list[Content]:
    """A conversation from one content or a sequence of them.

    As in google-genai, consecutive strings in a sequence are the parts of one user turn:
    ``["Describe", "briefly"]`` is a single ``Content`` with two text parts.
    """
    if isinstance(value, str | Content | Mapping):
        return [content(value)]
    turns: list[Content] = []
    texts: list[Part] = []
    for item in value:
        if isinstance(item, str):
            texts.append(Part(text=item))
            continue
        if texts:
            turns.append(Content(role="user", parts=texts))
            texts = []
        turns.append(content(item))
    if texts:
        turns.append(Content(role="user", parts=texts))
    return turns


def custom_metadata(value: MetadataInput | None) -> list[CustomMetadata] | None:
    """``CustomMetadata`` entries from models, dicts, or a ``{key: value}`` mapping."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return [_metadata_entry(key, item) for key, item in value.items()]
    return coerce_list(CustomMetadata, value)


def _metadata_entry(key: str, value: Any) -> CustomMetadata:
    if isinstance(value, str):
        return CustomMetadata(key=key, string_value=value)
    if isinstance(value, bool) or not isinstance(value, int | float | Sequence):
        raise TypeError(
            f"custom metadata {key!r}: expected str, number or list of str, got {value!r}"
        )
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(
                f"custom metadata {key!r}: numeric values must be finite, got {value!r} "
                "(NaN and infinities cannot be stored, filtered on or sent as JSON)"
            )
        return CustomMetadata(key=key, numeric_value=float(value))
    return CustomMetadata(key=key, string_list_value=StringList(values=[str(v) for v in value]))


def metadata_filters(
    value: Sequence[MetadataFilter | Mapping[str, Any]] | None,
) -> list[MetadataFilter] | None:
    return None if value is None else coerce_list(MetadataFilter, value)


def safety_settings(
    value: Sequence[SafetySetting | Mapping[str, Any]] | None,
) -> list[SafetySetting] | None:
    return None if value is None else coerce_list(SafetySetting, value)


_ID_LOOSE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def resource_name(value: str, collection: str, *, strict: bool = True) -> str:
    """``"x"`` or ``"{collection}/x"`` -> ``"{collection}/x"``, validated.

    ``strict=False`` allows IDs longer than 40 characters (generated files such as
    ``files/batch-...`` exceed the limit for user-chosen IDs).
    """
    if not isinstance(value, str) or not value:
        raise ResourceNameError(f"expected a {collection} name, got {value!r}")
    name = value if "/" in value else f"{collection}/{value}"
    if strict:
        split_name(name, collection)
        return name
    prefix, _, rest = name.partition("/")
    if prefix != collection or not _ID_LOOSE.fullmatch(rest):
        raise ResourceNameError(f"resource name {value!r} does not match '{collection}/{{id}}'")
    return name


def operation_name(value: str) -> str:
    """``{parent}/operations/{id}`` under models, tunedModels, corpora or generatedFiles."""
    parts = value.split("/") if isinstance(value, str) else []
    if len(parts) != 4 or parts[2] != "operations" or not all(parts):
        raise ResourceNameError(
            f"operation name {value!r} does not match '{{collection}}/{{id}}/operations/{{id}}'"
        )
    return value


def update_mask(*paths: str) -> str:
    """A FieldMask query value: comma-separated lowerCamelCase paths."""
    return ",".join(_camel(path) for path in paths)


def _camel(path: str) -> str:
    head, *rest = path.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def get_request(name: str, model: type[M]) -> APIRequest[M]:
    return APIRequest(method="GET", path=api_path(name), parse=parse_model(model))


def delete_request(name: str, **params: bool | None) -> APIRequest[None]:
    return APIRequest(method="DELETE", path=api_path(name), parse=parse_empty, params=params)


def list_request(
    collection_path: str, model: type[M], **params: str | int | bool | None
) -> APIRequest[M]:
    return APIRequest(
        method="GET",
        path=api_path(collection_path),
        parse=parse_model(model),
        params={_camel(key): value for key, value in params.items()},
    )
