"""Files uploaded through the media endpoint, and generated files."""

from __future__ import annotations

from ragkit.types._base import Duration, Int64, Timestamp, WireEnum, WireModel
from ragkit.types.status import Status

__all__ = [
    "CreateFileRequest",
    "CreateFileResponse",
    "DownloadFileResponse",
    "File",
    "FileSource",
    "FileState",
    "GeneratedFile",
    "GeneratedFileState",
    "ListFilesResponse",
    "ListGeneratedFilesResponse",
    "VideoFileMetadata",
]


class FileSource(WireEnum):
    """Where a `File` came from."""

    SOURCE_UNSPECIFIED = 0
    UPLOADED = 1
    GENERATED = 2
    REGISTERED = 3


class FileState(WireEnum):
    """Processing state of a `File`."""

    STATE_UNSPECIFIED = 0
    PROCESSING = 1
    ACTIVE = 2
    FAILED = 10


class GeneratedFileState(WireEnum):
    """Processing state of a `GeneratedFile`.

    Not in the installed protos: the numbers follow the spec order.
    """

    STATE_UNSPECIFIED = 0
    GENERATING = 1
    GENERATED = 2
    FAILED = 3


class VideoFileMetadata(WireModel):
    """Metadata for a video `File`."""

    video_duration: Duration | None = None


class File(WireModel):
    """A file uploaded to the API.

    ``sha256_hash`` holds base64 text (proto ``bytes``), on the wire and in Python.
    """

    name: str | None = None
    display_name: str | None = None
    mime_type: str | None = None
    size_bytes: Int64 | None = None
    create_time: Timestamp | None = None
    update_time: Timestamp | None = None
    expiration_time: Timestamp | None = None
    sha256_hash: str | None = None
    uri: str | None = None
    state: FileState | None = None
    error: Status | None = None
    video_metadata: VideoFileMetadata | None = None
    source: FileSource | None = None
    download_uri: str | None = None


class CreateFileRequest(WireModel):
    """Request for `CreateFile`."""

    file: File | None = None


class CreateFileResponse(WireModel):
    """Response for `CreateFile`."""

    file: File | None = None


class DownloadFileResponse(WireModel):
    """Response for `DownloadFile`."""


class GeneratedFile(WireModel):
    """A file generated on behalf of a user."""

    name: str | None = None
    mime_type: str | None = None
    state: GeneratedFileState | None = None
    error: Status | None = None


class ListFilesResponse(WireModel):
    """Response for `ListFiles`."""

    files: list[File] | None = None
    next_page_token: str | None = None


class ListGeneratedFilesResponse(WireModel):
    """Response for `ListGeneratedFiles`."""

    generated_files: list[GeneratedFile] | None = None
    next_page_token: str | None = None
