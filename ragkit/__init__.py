"""ragkit: typed clients for Google's Generative Language API (v1beta) and a self-hosted
server that speaks the same REST dialect.

    import ragkit

    client = ragkit.Client()  # GOOGLE_API_KEY / GEMINI_API_KEY, or access_token=...
    corpus = client.corpora.create(display_name="Product docs")

Wire types live in :mod:`ragkit.types`; API limits in :mod:`ragkit.limits`.
"""

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
from ragkit._version import __version__

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

# Present the public classes as ``ragkit.X`` in reprs and tracebacks, as httpx does.
for _name in __all__:
    _member = globals()[_name]
    if isinstance(_member, type):
        _member.__module__ = "ragkit"
del _name, _member
