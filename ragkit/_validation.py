"""Local checks of the API's documented limits, run before a request is sent.

Each failure raises :class:`ragkit.LimitError` (a ``ValueError``) naming the limit from
:mod:`ragkit.limits`, so a doomed request never costs a round trip. Token counts are
left to the server.
"""

from __future__ import annotations

from collections.abc import Sequence, Sized
from typing import TYPE_CHECKING

from ragkit import limits
from ragkit._exceptions import LimitError

if TYPE_CHECKING:
    from ragkit.types import ChunkingConfig, CustomMetadata

__all__ = [
    "check_batch_size",
    "check_chunking_config",
    "check_custom_metadata",
    "check_display_name",
    "check_file_size",
    "check_page_size",
    "check_results_count",
    "check_stop_sequences",
]


def check_page_size(page_size: int | None, maximum: int, *, limit_name: str) -> int | None:
    """``page_size`` must be between 1 and ``maximum`` (the list method's documented cap)."""
    if page_size is not None and not 1 <= page_size <= maximum:
        raise LimitError(f"page_size must be between 1 and {limit_name}={maximum}, got {page_size}")
    return page_size


def check_batch_size(
    items: Sized, *, what: str, maximum: int = limits.MAX_CHUNKS_PER_BATCH
) -> None:
    """A batch call carries at least one and at most ``maximum`` requests."""
    if not 1 <= len(items) <= maximum:
        raise LimitError(
            f"{what} takes between 1 and MAX_CHUNKS_PER_BATCH={maximum} requests, "
            f"got {len(items)}; split the batch"
        )


def check_custom_metadata(entries: Sequence[CustomMetadata] | None) -> None:
    """At most ``MAX_CUSTOM_METADATA`` entries per document or chunk, keys of at most
    ``MAX_METADATA_KEY_LENGTH`` characters, string values of at most
    ``MAX_METADATA_VALUE_LENGTH`` and string-list values of at most
    ``MAX_METADATA_LIST_VALUE_LENGTH``."""
    if entries is None:
        return
    if len(entries) > limits.MAX_CUSTOM_METADATA:
        raise LimitError(
            f"custom_metadata has {len(entries)} entries; "
            f"the limit is MAX_CUSTOM_METADATA={limits.MAX_CUSTOM_METADATA}"
        )
    for entry in entries:
        key = entry.key or ""
        if len(key) > limits.MAX_METADATA_KEY_LENGTH:
            raise LimitError(
                f"a custom_metadata key is {len(key)} characters; the limit is "
                f"MAX_METADATA_KEY_LENGTH={limits.MAX_METADATA_KEY_LENGTH}"
            )
        value = entry.string_value or ""
        if len(value) > limits.MAX_METADATA_VALUE_LENGTH:
            raise LimitError(
                f"the string_value of custom_metadata {key!r} is {len(value)} characters; "
                f"the limit is MAX_METADATA_VALUE_LENGTH={limits.MAX_METADATA_VALUE_LENGTH}"
            )
        listed = entry.string_list_value.values or [] if entry.string_list_value else []
        longest = max(map(len, listed), default=0)
        if longest > limits.MAX_METADATA_LIST_VALUE_LENGTH:
            raise LimitError(
                f"a string_list_value value of custom_metadata {key!r} is {longest} "
                "characters; the limit is "
                f"MAX_METADATA_LIST_VALUE_LENGTH={limits.MAX_METADATA_LIST_VALUE_LENGTH}"
            )


def check_display_name(
    display_name: str | None,
    maximum: int = limits.MAX_DISPLAY_NAME_LENGTH,
    *,
    limit_name: str = "MAX_DISPLAY_NAME_LENGTH",
) -> None:
    """Display names are capped in characters (512 for most resources)."""
    if display_name is not None and len(display_name) > maximum:
        raise LimitError(
            f"display_name is {len(display_name)} characters; the limit is {limit_name}={maximum}"
        )


def check_stop_sequences(stop_sequences: Sized | None) -> None:
    """At most ``MAX_STOP_SEQUENCES`` stop sequences per generation request."""
    if stop_sequences is not None and len(stop_sequences) > limits.MAX_STOP_SEQUENCES:
        raise LimitError(
            f"{len(stop_sequences)} stop sequences; "
            f"the limit is MAX_STOP_SEQUENCES={limits.MAX_STOP_SEQUENCES}"
        )


def check_results_count(results_count: int | None) -> None:
    """Queries return between 1 and ``MAX_RESULTS_COUNT`` chunks."""
    if results_count is not None and not 1 <= results_count <= limits.MAX_RESULTS_COUNT:
        raise LimitError(
            f"results_count must be between 1 and MAX_RESULTS_COUNT={limits.MAX_RESULTS_COUNT}, "
            f"got {results_count}"
        )


def check_chunking_config(config: ChunkingConfig | None) -> None:
    """White-space chunking keeps 1 to ``MAX_WHITE_SPACE_TOKENS_PER_CHUNK`` tokens per
    chunk, and its overlap is at least 0 and smaller than the chunk."""
    space = config.white_space_config if config is not None else None
    if space is None:
        return
    tokens, overlap = space.max_tokens_per_chunk, space.max_overlap_tokens
    if tokens is not None and not 1 <= tokens <= limits.MAX_WHITE_SPACE_TOKENS_PER_CHUNK:
        raise LimitError(
            "chunking_config.white_space_config.max_tokens_per_chunk must be between 1 and "
            f"MAX_WHITE_SPACE_TOKENS_PER_CHUNK={limits.MAX_WHITE_SPACE_TOKENS_PER_CHUNK}, "
            f"got {tokens}"
        )
    if overlap is not None and overlap < 0:
        raise LimitError(
            f"chunking_config.white_space_config.max_overlap_tokens must be >= 0, got {overlap}"
        )
    if tokens is not None and overlap is not None and overlap >= tokens:
        raise LimitError(
            f"chunking_config.white_space_config.max_overlap_tokens ({overlap}) must be "
            f"smaller than max_tokens_per_chunk ({tokens})"
        )


def check_file_size(size: int, *, what: str, maximum: int, limit_name: str) -> None:
    """A file to upload or import is at most ``maximum`` bytes."""
    if size > maximum:
        raise LimitError(
            f"{what} is {size:,} bytes; the limit is {limit_name}={maximum:,} bytes "
            f"({maximum / 1024**2:g} MiB): split or compress it"
        )
