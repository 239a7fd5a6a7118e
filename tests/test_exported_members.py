"""``ragkit.__all__`` is the curated public surface: sorted, complete, importable."""

import ragkit

EXPECTED = [
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


def test_all_is_pinned_and_sorted() -> None:
    assert ragkit.__all__ == EXPECTED
    assert ragkit.__all__ == sorted(ragkit.__all__)


def test_every_name_is_importable() -> None:
    namespace: dict[str, object] = {}
    exec("from ragkit import *", namespace)
    for name in ragkit.__all__:
        assert getattr(ragkit, name) is namespace[name]


def test_public_classes_present_themselves_as_ragkit() -> None:
    for name in ragkit.__all__:
        member = getattr(ragkit, name)
        if isinstance(member, type):
            assert member.__module__ == "ragkit", name


def test_exception_tree() -> None:
    assert issubclass(ragkit.APITimeoutError, ragkit.APIConnectionError)
    assert issubclass(ragkit.FailedPreconditionError, ragkit.BadRequestError)
    for name in ragkit.__all__:
        member = getattr(ragkit, name)
        if isinstance(member, type) and issubclass(member, Exception):
            assert issubclass(member, ragkit.RagkitError), name
    assert issubclass(ragkit.LimitError, ValueError)
    assert issubclass(ragkit.ResourceNameError, ValueError)
