"""The Files API of ``ragkit serve``: uploads, stored blobs, lifecycle and extracted text.

:class:`FileService` is what the HTTP routes (``routes/files.py``, ``routes/uploads.py``)
and the generation side call; :func:`file_out` renders a stored file as the wire ``File``.
"""

from ragkit.server.media.service import FILES_DATABASE, FileService
from ragkit.server.media.store import FileRecord
from ragkit.server.media.uploads import UploadProgress
from ragkit.server.media.wire import file_id_of, file_out, file_uri

__all__ = [
    "FILES_DATABASE",
    "FileRecord",
    "FileService",
    "UploadProgress",
    "file_id_of",
    "file_out",
    "file_uri",
]
