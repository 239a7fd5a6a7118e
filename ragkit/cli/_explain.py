"""API errors worded for a command line: which limit, which flag, what to type.

The server words its errors for API clients (``set force=true``, ``(max_corpora)``); a
person at a shell needs the flag that does it. :func:`explain` gives that wording, or
``None`` to keep the error's own message.
"""

from __future__ import annotations

import argparse
import re

from ragkit._exceptions import APIError, FailedPreconditionError, RateLimitError

__all__ = ["QUOTA_WORDS", "explain"]

#: Quota field, as the server names it in its errors -> the limit in words.
QUOTA_WORDS = {
    "max_corpora": "corpora per user",
    "max_documents_per_corpus": "documents per corpus",
    "max_chunks_per_corpus": "chunks per corpus",
    "max_file_bytes_per_user": "bytes of stored files per user",
    "max_upload_sessions_per_user": "open upload sessions per user",
}

_QUOTA = re.compile(r"\((max_[a-z_]+)\):\s*(.*)", re.S)


def explain(error: BaseException, args: argparse.Namespace) -> str | None:
    """A message for ``error`` that names the flag to use, or ``None``."""
    api = _api_error(error)
    if api is None:
        return None
    worded = _quota(api, args) or _force(api)
    if worded is None:
        return None
    return worded if api is error else f"{_prefix(error)}{worded}"


def _api_error(error: BaseException) -> APIError | None:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, APIError):
            return seen
        seen = seen.__cause__
    return None


def _prefix(error: BaseException) -> str:
    # An error wrapping the API's (ingestion stopped: 429 ...) keeps its own first words.
    text = str(error)
    head, sep, _ = text.partition(": ")
    return f"{head}: " if sep else ""


def _quota(error: APIError, args: argparse.Namespace) -> str | None:
    from ragkit.cli._connect import QUOTA_FLAGS

    found = _QUOTA.search(error.message) if isinstance(error, RateLimitError) else None
    if found is None or found.group(1) not in QUOTA_FLAGS:
        return None
    field, usage = found.groups()
    flag = QUOTA_FLAGS[field]
    words = QUOTA_WORDS[field]
    folder = getattr(args, "data_folder", None)
    if folder is not None:
        return (
            f"limit of {words} reached: {usage.strip()} That is the embedded server's limit "
            f"(data folder {folder.path}): raise it with {flag} N (0 = unlimited)."
        )
    return (
        f"limit of {words} reached: {usage.strip()} That is the server's limit; a ragkit "
        f"server's operator raises it with 'ragkit serve {flag} N'."
    )


def _force(error: APIError) -> str | None:
    if not isinstance(error, FailedPreconditionError) or "force=true" not in error.message:
        return None
    # "Corpus corpora/x contains documents; delete them first or set force=true."
    return error.message.replace("set force=true", "add --force to delete them with it")
