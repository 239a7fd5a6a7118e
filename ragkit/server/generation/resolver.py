"""The seam to uploaded files and cached contents, which live outside this package.

:class:`ContentResolver` is what the generation code needs from the files and
cachedContents services: the text of a ``fileData`` part, and a cached content by name.
The server wires an implementation in; without one, requests that use ``fileData`` or
``cachedContent`` fail with a clear FAILED_PRECONDITION.
"""

from __future__ import annotations

from typing import Protocol

from ragkit.server.errors import ApiError, failed_precondition
from ragkit.server.principal import Principal
from ragkit.types import CachedContent

__all__ = ["ContentResolver", "no_resolver_error"]


class ContentResolver(Protocol):
    """Resolves the request parts that point at server-side resources."""

    def file_text(self, who: Principal, file_uri: str) -> tuple[str, str]:
        """The ``(mime_type, extracted text)`` of the file ``file_uri`` names.

        ``file_uri`` is as the caller sent it: a ``files/{id}`` name or the file's ``uri``.

        Raises:
            ApiError: NOT_FOUND / PERMISSION_DENIED (unknown or foreign file),
                FAILED_PRECONDITION (not ACTIVE yet, or expired), INVALID_ARGUMENT (a
                mime type with no text, such as an image).
        """
        ...

    def cached_content(self, who: Principal, name: str) -> CachedContent:
        """The unexpired cached content ``name`` (``cachedContents/{id}``), with its
        ``model``, ``system_instruction``, ``contents``, ``tools`` and ``tool_config``.

        Raises:
            ApiError: NOT_FOUND (unknown, foreign or expired), INVALID_ARGUMENT (bad name).
        """
        ...


def no_resolver_error(what: str) -> ApiError:
    """FAILED_PRECONDITION for a ``fileData``/``cachedContent`` request on a server
    without the files and cachedContents services."""
    return failed_precondition(
        f"{what} cannot be used: this server has no files/cachedContents service configured."
    )
