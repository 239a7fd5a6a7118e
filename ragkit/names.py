"""Resource names: validation and construction, shared by the client and the server.

An ID is at most 40 characters of lowercase letters, digits and dashes, and neither
starts nor ends with a dash (``corpora/my-corpus-123``). Functions here accept either a
full name (``corpora/c1/documents/d1``) or, where unambiguous, a bare ID, and raise
:class:`ragkit.ResourceNameError` (a ``ValueError``) before anything is sent.
"""

from __future__ import annotations

import re
import secrets
import string

from ragkit._exceptions import ResourceNameError
from ragkit.limits import GENERATED_ID_SUFFIX_LENGTH, MAX_ID_LENGTH

__all__ = [
    "ID_PATTERN",
    "chunk_name",
    "corpus_name",
    "document_name",
    "file_search_document_name",
    "file_search_operation_name",
    "file_search_store_name",
    "generate_id",
    "is_valid_id",
    "model_name",
    "parent_of",
    "permission_name",
    "shown",
    "split_name",
    "validate_id",
]

ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_ID_ALPHABET = string.ascii_lowercase + string.digits


def is_valid_id(value: str) -> bool:
    return bool(ID_PATTERN.fullmatch(value))


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)``, cut to about ``limit`` characters: error messages quote what they
    refuse without echoing a megabyte back."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-1]}"


def validate_id(value: str, *, kind: str = "resource") -> str:
    """Return ``value`` if it is a valid resource ID, else raise ResourceNameError."""
    if not isinstance(value, str) or not value:
        raise ResourceNameError(f"{kind} ID must be a non-empty string, got {value!r}")
    if len(value) > MAX_ID_LENGTH:
        raise ResourceNameError(
            f"{kind} ID {shown(value)} is {len(value)} characters; the limit is {MAX_ID_LENGTH}"
        )
    if not ID_PATTERN.fullmatch(value):
        raise ResourceNameError(
            f"{kind} ID {shown(value)} is invalid: it may only contain lowercase letters, digits "
            "and dashes (-), and cannot begin or end with a dash"
        )
    return value


def generate_id(display_name: str | None = None) -> str:
    """A fresh ID: a slug of ``display_name`` (if any) plus a 12-character random suffix."""
    suffix = "".join(secrets.choice(_ID_ALPHABET) for _ in range(GENERATED_ID_SUFFIX_LENGTH))
    if not display_name:
        return suffix
    slug = re.sub(r"[^a-z0-9]+", "-", display_name.lower()).strip("-")
    slug = slug[: MAX_ID_LENGTH - GENERATED_ID_SUFFIX_LENGTH - 1].strip("-")
    return f"{slug}-{suffix}" if slug else suffix


def split_name(name: str, *collections: str) -> list[str]:
    """Split ``name`` into the IDs of ``collections`` (``"corpora", "documents"``...).

    >>> split_name("corpora/a/documents/b", "corpora", "documents")
    ['a', 'b']
    """
    parts = name.split("/") if isinstance(name, str) else []
    expected = "/".join(f"{c}/{{id}}" for c in collections)
    if len(parts) != 2 * len(collections) or parts[0::2] != list(collections):
        raise ResourceNameError(f"resource name {shown(name)} does not match {expected!r}")
    ids = parts[1::2]
    for collection, value in zip(collections, ids, strict=True):
        validate_id(value, kind=_KIND.get(collection, collection))
    return ids


_KIND = {
    "corpora": "corpus",
    "documents": "document",
    "chunks": "chunk",
    "permissions": "permission",
    "files": "file",
    "cachedContents": "cached content",
    "batches": "batch",
    "tunedModels": "tuned model",
    "models": "model",
    "fileSearchStores": "file search store",
}


def _name(value: str, *collections: str) -> str:
    if "/" not in value:
        if len(collections) != 1:
            raise ResourceNameError(
                f"{shown(value)} is not a full {_KIND.get(collections[-1], collections[-1])} name; "
                f"expected {'/'.join(f'{c}/ID' for c in collections)}"
            )
        value = f"{collections[0]}/{value}"
    split_name(value, *collections)
    return value


def corpus_name(value: str) -> str:
    """``"c1"`` or ``"corpora/c1"`` -> ``"corpora/c1"``."""
    return _name(value, "corpora")


def document_name(value: str) -> str:
    """Validate ``corpora/{c}/documents/{d}``."""
    return _name(value, "corpora", "documents")


def chunk_name(value: str) -> str:
    """Validate ``corpora/{c}/documents/{d}/chunks/{k}``."""
    return _name(value, "corpora", "documents", "chunks")


def permission_name(value: str) -> str:
    """Validate ``corpora/{c}/permissions/{p}`` or ``tunedModels/{t}/permissions/{p}``."""
    if value.startswith("tunedModels/"):
        return _name(value, "tunedModels", "permissions")
    return _name(value, "corpora", "permissions")


def model_name(value: str) -> str:
    """``"aqa"`` or ``"models/aqa"`` -> ``"models/aqa"``; also accepts ``tunedModels/{t}``.

    Model IDs contain dots (``gemini-1.5-flash``), so they are checked loosely.
    """
    if value.startswith("tunedModels/"):
        return value
    if not value.startswith("models/"):
        value = f"models/{value}"
    model_id = value.removeprefix("models/")
    if not model_id or "/" in model_id or not re.fullmatch(r"[A-Za-z0-9._-]+", model_id):
        raise ResourceNameError(f"invalid model name {shown(value)}; expected models/ID")
    return value


def file_search_store_name(value: str) -> str:
    """``"s1"`` or ``"fileSearchStores/s1"`` -> ``"fileSearchStores/s1"``."""
    return _name(value, "fileSearchStores")


def file_search_document_name(value: str) -> str:
    """Validate ``fileSearchStores/{s}/documents/{d}``."""
    return _name(value, "fileSearchStores", "documents")


_FILE_SEARCH_OPERATION = re.compile(
    r"^fileSearchStores/(?P<store>[^/]+)/(?:upload/)?operations/[A-Za-z0-9._-]{1,128}$"
)


def file_search_operation_name(value: str) -> str:
    """Validate an operation of a File Search store: ``fileSearchStores/{s}/operations/{o}``
    (``importFile``) or ``fileSearchStores/{s}/upload/operations/{o}`` (uploads)."""
    match = _FILE_SEARCH_OPERATION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ResourceNameError(
            f"operation name {shown(value)} does not match "
            "'fileSearchStores/{id}/operations/{id}' or "
            "'fileSearchStores/{id}/upload/operations/{id}'"
        )
    validate_id(match["store"], kind="file search store")
    return value


def parent_of(name: str) -> str:
    """``corpora/a/documents/b`` -> ``corpora/a``."""
    return name.rsplit("/", 2)[0]
