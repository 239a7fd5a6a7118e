"""File records as the wire ``File``, and file names/URIs as the API spells them."""

from __future__ import annotations

import re

from ragkit.server.errors import invalid_argument
from ragkit.server.media.store import FileRecord
from ragkit.types import File, FileSource, FileState, Status

__all__ = ["file_id_of", "file_out", "file_uri"]

# Generated output files (``files/batch-{id}``) fit the rule for chosen IDs too.
_FILE_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
_URI_MARKER = "/v1beta/"


def file_uri(base_url: str, name: str) -> str:
    """``{base}/v1beta/files/{id}``, the URI a ``fileData`` part refers to."""
    return f"{base_url.rstrip('/')}/v1beta/files/{name}"


def file_id_of(value: str) -> str:
    """The ID in ``files/abc``, ``abc`` or a file URI on any host (``https://.../v1beta/files/abc``).

    Raises:
        ApiError: INVALID_ARGUMENT for anything else.
    """
    name = value
    if _URI_MARKER in value and "://" in value:
        name = value.split(_URI_MARKER, 1)[1]
    file_id = name.removeprefix("files/")
    if "/" in file_id or not _FILE_ID.fullmatch(file_id):
        raise invalid_argument(
            f"Invalid file name {value!r}: expected files/ID (at most 40 lowercase letters, "
            "digits and dashes) or a file URI."
        )
    return file_id


def file_out(record: FileRecord, base_url: str) -> File:
    """The wire ``File`` of ``record``; its ``uri`` and ``downloadUri`` point at ``base_url``."""
    base = base_url.rstrip("/")
    return File(
        name=f"files/{record.name}",
        display_name=record.display_name or None,
        mime_type=record.mime_type,
        size_bytes=record.size_bytes,
        create_time=record.create_time,
        update_time=record.update_time,
        expiration_time=record.expire_time,
        sha256_hash=record.sha256,
        uri=file_uri(base, record.name),
        download_uri=f"{base}/download/v1beta/files/{record.name}:download?alt=media",
        state=FileState(record.state),
        error=Status.model_validate(record.error) if record.error else None,
        source=FileSource(record.source),
    )
