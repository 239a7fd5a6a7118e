"""ragkit: typed clients for Google's Generative Language API (v1beta) and a self-hosted
server that speaks the same REST dialect.

    import ragkit

    client = ragkit.Client()  # GOOGLE_API_KEY / GEMINI_API_KEY, or access_token=...
    corpus = client.corpora.create(display_name="Product docs")

Wire types live in :mod:`ragkit.types`; API limits in :mod:`ragkit.limits`.
"""

from __future__ import annotations

from ragkit._version import __version__

# Not imported from typing: ``ragkit --help`` never needs typing, and importing it is ~10%
# of the command's own start-up. Type checkers treat this name as true.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any

    from ragkit._client import AsyncClient, Client
    from ragkit._exceptions import (
        APIConnectionError,
        APIError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConflictError,
        FailedPreconditionError,
        LimitError,
        NotFoundError,
        NotImplementedAPIError,
        OperationTimeoutError,
        PermissionDeniedError,
        RagkitError,
        RateLimitError,
        ResourceNameError,
        ResponseValidationError,
        ServerError,
        StreamError,
        UploadError,
    )
    from ragkit._pagination import AsyncPager, SyncPager
    from ragkit._streaming import AsyncStream, Stream

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncPager",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "FailedPreconditionError",
    "LimitError",
    "NotFoundError",
    "NotImplementedAPIError",
    "OperationTimeoutError",
    "PermissionDeniedError",
    "RagkitError",
    "RateLimitError",
    "ResourceNameError",
    "ResponseValidationError",
    "ServerError",
    "Stream",
    "StreamError",
    "SyncPager",
    "UploadError",
    "__version__",
]

# The client pulls in httpx, pydantic and every wire type (~0.3 s): loaded on first use,
# so ``ragkit --help`` and ``ragkit serve`` start without it.
_HOMES = ("ragkit._client", "ragkit._exceptions", "ragkit._pagination", "ragkit._streaming")


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'ragkit' has no attribute {name!r}")
    import importlib

    for home in _HOMES:
        module = importlib.import_module(home)
        for member_name in __all__:
            member = getattr(module, member_name, None)
            if member is not None and member_name not in globals():
                # Present the public classes as ``ragkit.X`` in reprs and tracebacks, as
                # httpx does.
                if isinstance(member, type):
                    member.__module__ = "ragkit"
                globals()[member_name] = member
    return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
