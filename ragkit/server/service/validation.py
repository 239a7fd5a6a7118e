"""Request checks shared by the resources: names, display names, metadata, update masks.

Every function raises :class:`~ragkit.server.errors.ApiError` (INVALID_ARGUMENT) with a
message in Google's style and returns the value in the form the store wants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ragkit._exceptions import ResourceNameError
from ragkit.limits import (
    LONGEST_TOKEN_BYTES,
    MAX_ANSWER_INPUT_TOKENS,
    MAX_CUSTOM_METADATA,
    MAX_DISPLAY_NAME_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_INLINE_PASSAGES,
    MAX_INLINE_PASSAGES_CHARS,
    MAX_METADATA_KEY_LENGTH,
    MAX_METADATA_LIST_VALUE_LENGTH,
    MAX_METADATA_VALUE_LENGTH,
    MAX_PASSAGE_ID_LENGTH,
    MAX_QUERY_TOKENS,
    MAX_STRING_LIST_VALUES,
    MAX_TOKENS_PER_CHUNK,
)
from ragkit.names import shown, split_name, validate_id
from ragkit.server.errors import invalid_argument
from ragkit.server.store.records import Metadata
from ragkit.tokenizers import count_tokens
from ragkit.types import Chunk, Content, CustomMetadata, GroundingPassages

__all__ = [
    "check_chunk_text",
    "check_conversation",
    "check_display_name",
    "check_email",
    "check_inline_passages",
    "check_length",
    "check_metadata",
    "check_query",
    "check_tokens",
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
        raise invalid_argument(f"Invalid resource name {shown(name)}: {error}") from None


def child_id(requested: str | None, parent: str, collection: str, kind: str) -> str | None:
    """The ID a create request asks for (``None``: generate one).

    ``requested`` may be the full name under ``parent`` or a bare ID.
    """
    if not requested:
        return None
    prefix = f"{parent}/{collection}/" if parent else f"{collection}/"
    value = requested.removeprefix(prefix)
    if "/" in value:
        raise invalid_argument(f"{kind} name {shown(requested)} must be of the form {prefix}ID.")
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


def check_length(value: str, limit: int, what: str) -> str:
    """``value`` if it has at most ``limit`` characters, else INVALID_ARGUMENT naming
    ``what`` and the limit."""
    if len(value) > limit:
        raise invalid_argument(
            f"{what} is {len(value)} characters long; the limit is {limit} characters."
        )
    return value


def check_tokens(text: str, limit: int, what: str) -> int:
    """Refuse ``text`` if it has more than ``limit`` tokens; returns an upper bound.

    Lengths decide first, without tokenising: a token covers at least one UTF-8 byte, so
    a text of at most ``limit`` bytes fits; it covers at most
    :data:`~ragkit.limits.LONGEST_TOKEN_BYTES` bytes (and so characters), so a longer
    text cannot. Only texts in between are tokenised (a 10 MB text is refused at once).
    """
    if len(text) > limit * LONGEST_TOKEN_BYTES:
        raise invalid_argument(
            f"{what} is {len(text)} characters long, more than its limit of {limit} tokens "
            f"can hold (at most {LONGEST_TOKEN_BYTES} characters a token)."
        )
    if len(text) <= limit // 4:
        return len(text)
    size = len(text.encode())
    if size <= limit:
        return size
    tokens = count_tokens(text)
    if tokens > limit:
        raise invalid_argument(f"{what} has {tokens} tokens; the limit is {limit} tokens.")
    return tokens


def check_query(text: str, what: str = "query") -> str:
    """A query text within :data:`~ragkit.limits.MAX_QUERY_TOKENS` (what Google's embedding
    models read)."""
    check_tokens(text, MAX_QUERY_TOKENS, what)
    return text


def check_conversation(contents: Sequence[Content]) -> None:
    """The text of all ``contents`` together fits
    :data:`~ragkit.limits.MAX_ANSWER_INPUT_TOKENS` (the input limit of ``models/aqa``)."""
    texts = [part.text for content in contents for part in content.parts or [] if part.text]
    check_tokens("\n".join(texts), MAX_ANSWER_INPUT_TOKENS, "The text of contents")


def check_inline_passages(passages: GroundingPassages) -> None:
    """At most :data:`~ragkit.limits.MAX_INLINE_PASSAGES` passages with ids of at most
    :data:`~ragkit.limits.MAX_PASSAGE_ID_LENGTH` characters and at most
    :data:`~ragkit.limits.MAX_INLINE_PASSAGES_CHARS` characters of text in all."""
    items = passages.passages or []
    if len(items) > MAX_INLINE_PASSAGES:
        raise invalid_argument(
            f"inline_passages has {len(items)} passages; the limit is {MAX_INLINE_PASSAGES}."
        )
    total = 0
    for i, passage in enumerate(items):
        check_length(passage.id or "", MAX_PASSAGE_ID_LENGTH, f"inline_passages.passages[{i}].id")
        parts = (passage.content.parts or []) if passage.content is not None else []
        total += sum(len(part.text) for part in parts if part.text)
    if total > MAX_INLINE_PASSAGES_CHARS:
        raise invalid_argument(
            f"inline_passages hold {total} characters of text; the limit is "
            f"{MAX_INLINE_PASSAGES_CHARS} characters for all passages together."
        )


def check_email(value: str, what: str = "email_address") -> str:
    """An email address of at most :data:`~ragkit.limits.MAX_EMAIL_LENGTH` characters."""
    return check_length(value, MAX_EMAIL_LENGTH, what)


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
        check_length(entry.key, MAX_METADATA_KEY_LENGTH, "A custom_metadata key")
        _check_values(entry)
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


def _check_values(entry: CustomMetadata) -> None:
    if entry.string_value is not None:
        what = f"The string_value of custom_metadata {entry.key!r}"
        check_length(entry.string_value, MAX_METADATA_VALUE_LENGTH, what)
    if entry.string_list_value is not None:
        what = f"A string_list_value value of custom_metadata {entry.key!r}"
        for value in entry.string_list_value.values or []:
            check_length(value, MAX_METADATA_LIST_VALUE_LENGTH, what)


def check_chunk_text(chunk: Chunk | None) -> str:
    """The chunk's ``data.string_value``: required, at most 2,043 tokens."""
    text = chunk.data.string_value if chunk is not None and chunk.data is not None else None
    if not text:
        raise invalid_argument("Chunk data.string_value is required and must not be empty.")
    # Short texts skip the tokenizer (most chunks: ingestion throughput matters here).
    check_tokens(text, MAX_TOKENS_PER_CHUNK, "Chunk data.string_value")
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
