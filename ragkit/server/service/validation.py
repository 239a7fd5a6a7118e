"""Request checks shared by the resources: names, display names, metadata, update masks.

Every function raises :class:`~ragkit.server.errors.ApiError` (INVALID_ARGUMENT) with a
message in Google's style and returns the value in the form the store wants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ragkit._exceptions import ResourceNameError
from ragkit.limits import (
    MAX_CUSTOM_METADATA,
    MAX_DISPLAY_NAME_LENGTH,
    MAX_STRING_LIST_VALUES,
    MAX_TOKENS_PER_CHUNK,
)
from ragkit.names import split_name, validate_id
from ragkit.server.errors import invalid_argument
from ragkit.server.store.records import Metadata
from ragkit.tokenizers import count_tokens
from ragkit.types import Chunk, CustomMetadata

__all__ = [
    "check_chunk_text",
    "check_display_name",
    "check_metadata",
    "child_id",
    "parse_mask",
    "parse_name",
]

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def parse_name(name: str, *collections: str) -> list[str]:
    """IDs of a full resource name, e.g. ``corpora/c/documents/d`` -> ``["c", "d"]``."""
    try:
        return split_name(name, *collections)
    except ResourceNameError as error:
        raise invalid_argument(f"Invalid resource name {name!r}: {error}") from None


def child_id(requested: str | None, parent: str, collection: str, kind: str) -> str | None:
    """The ID a create request asks for (``None``: generate one).

    ``requested`` may be the full name under ``parent`` or a bare ID.
    """
    if not requested:
        return None
    prefix = f"{parent}/{collection}/" if parent else f"{collection}/"
    value = requested.removeprefix(prefix)
    if "/" in value:
        raise invalid_argument(f"{kind} name {requested!r} must be of the form {prefix}ID.")
    try:
        return validate_id(value, kind=kind)
    except ResourceNameError as error:
        raise invalid_argument(str(error)) from None


def check_display_name(value: str | None) -> str:
    value = value or ""
    if len(value) > MAX_DISPLAY_NAME_LENGTH:
        raise invalid_argument(
            f"display_name is {len(value)} characters; the limit is {MAX_DISPLAY_NAME_LENGTH}."
        )
    return value


def check_metadata(entries: Sequence[CustomMetadata] | None) -> Metadata:
    """Validate custom metadata; returns its wire form (what the store keeps)."""
    entries = entries or []
    if len(entries) > MAX_CUSTOM_METADATA:
        raise invalid_argument(
            f"custom_metadata has {len(entries)} entries; the limit is {MAX_CUSTOM_METADATA}."
        )
    result: Metadata = []
    for entry in entries:
        if not entry.key:
            raise invalid_argument("custom_metadata key must not be empty.")
        values = [entry.string_value, entry.string_list_value, entry.numeric_value]
        if sum(value is not None for value in values) != 1:
            raise invalid_argument(
                f"custom_metadata {entry.key!r} must set exactly one of string_value, "
                "string_list_value or numeric_value."
            )
        if entry.string_list_value is not None:
            count = len(entry.string_list_value.values or [])
            if count > MAX_STRING_LIST_VALUES:
                raise invalid_argument(
                    f"custom_metadata {entry.key!r} has {count} string list values; "
                    f"the limit is {MAX_STRING_LIST_VALUES}."
                )
        result.append(entry.to_wire())
    return result


def check_chunk_text(chunk: Chunk | None) -> str:
    """The chunk's ``data.string_value``: required, at most 2,043 tokens."""
    text = chunk.data.string_value if chunk is not None and chunk.data is not None else None
    if not text:
        raise invalid_argument("Chunk data.string_value is required and must not be empty.")
    # Every cl100k token covers at least one UTF-8 byte, so a short text cannot be over the
    # limit and skips the tokenizer (most chunks: ingestion throughput matters here).
    if len(text) <= MAX_TOKENS_PER_CHUNK // 4 or len(text.encode()) <= MAX_TOKENS_PER_CHUNK:
        return text
    tokens = count_tokens(text)
    if tokens > MAX_TOKENS_PER_CHUNK:
        raise invalid_argument(
            f"Chunk data.string_value has {tokens} tokens; the limit is {MAX_TOKENS_PER_CHUNK}."
        )
    return text


def parse_mask(
    mask: str | None,
    allowed: Mapping[str, str],
    kind: str,
    aliases: Mapping[str, str] | None = None,
) -> set[str]:
    """The fields an update mask names, as snake_case.

    ``allowed`` maps snake_case paths to their camelCase wire names; either spelling is
    accepted. ``aliases`` maps other snake_case paths to the allowed field they mean
    (``data.string_value`` means ``data``). An absent or empty mask, or any other path,
    is INVALID_ARGUMENT.
    """
    if not mask or not mask.strip():
        raise invalid_argument(f"update_mask is required to update a {kind}.")
    fields = set()
    for raw in mask.split(","):
        path = _CAMEL.sub("_", raw.strip()).lower()
        path = (aliases or {}).get(path, path)
        if path not in allowed:
            names = ", ".join(allowed.values())
            raise invalid_argument(
                f"Invalid update_mask path {raw.strip()!r}: "
                f"only {names} can be updated on a {kind}."
            )
        fields.add(path)
    return fields
