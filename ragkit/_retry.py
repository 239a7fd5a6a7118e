"""When to retry a request, and how long to wait first: the one place that decides.

Both clients run the same loop around :func:`retry_delay`: a response with a retryable
status (429, 500, 503, 504) or a connection error/timeout is retried up to
``max_retries`` times, if the call is safe to repeat. A 429 or 503 that says when to come
back (``Retry-After``) is the server pacing its clients, not a failure: such answers are
retried as asked without using up ``max_retries``, for up to ``max_overload_wait`` seconds
of waiting in all (see :func:`overload_delay`). The wait honours the server's
``retry-after-ms`` / ``Retry-After`` (seconds or an HTTP date, capped), plus up to
:data:`RETRY_AFTER_JITTER` of it again at random, so that clients turned away together do
not all come back at the same instant; else it is a capped exponential backoff with full
jitter.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "MAX_OVERLOAD_WAIT",
    "RETRYABLE_STATUS_CODES",
    "RetryPolicy",
    "is_idempotent",
    "overload_delay",
    "retry_after_seconds",
    "retry_delay",
]

DEFAULT_MAX_RETRIES = 2
RETRYABLE_STATUS_CODES = frozenset({429, 500, 503, 504})
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 60.0
#: Seconds a call may spend in all waiting on 429/503 answers that carry ``Retry-After``.
MAX_OVERLOAD_WAIT = 120.0
#: Statuses a busy server answers with ``Retry-After`` to pace its clients.
OVERLOAD_STATUS_CODES = frozenset({429, 503})
#: Share of a server-requested wait added at random (0.25: wait 1.0x to 1.25x Retry-After).
RETRY_AFTER_JITTER = 0.25

#: Custom verbs that only read (or compute) and so may be repeated safely.
READ_ONLY_VERBS = frozenset(
    {
        "query",
        "countTokens",
        "countTextTokens",
        "countMessageTokens",
        "embedContent",
        "batchEmbedContents",
        "embedText",
        "batchEmbedText",
        "generateAnswer",
        "generateContent",
        "streamGenerateContent",
        "generateText",
        "generateMessage",
        "predict",
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff parameters; ``random`` is injectable so tests can pin the jitter."""

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_backoff: float = INITIAL_BACKOFF
    max_backoff: float = MAX_BACKOFF
    max_retry_after: float = MAX_RETRY_AFTER
    retry_after_jitter: float = RETRY_AFTER_JITTER
    random: Callable[[], float] = field(default=random.random, compare=False)
    max_overload_wait: float = MAX_OVERLOAD_WAIT


def is_idempotent(method: str, path: str) -> bool:
    """Whether a call may be repeated by default: GET/DELETE/PATCH and read-only POST verbs."""
    if method.upper() in {"GET", "HEAD", "DELETE", "PATCH", "PUT"}:
        return True
    verb = path.rsplit("/", 1)[-1].partition(":")[2]
    return verb in READ_ONLY_VERBS


def retry_after_seconds(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """The server's requested wait from ``retry-after-ms`` or ``Retry-After``, if readable."""
    headers = {key.lower(): value for key, value in headers.items()}
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now(), 0.0)


def retry_delay(
    policy: RetryPolicy, attempt: int, headers: Mapping[str, str] | None = None
) -> float:
    """Seconds to wait before retry number ``attempt + 1`` (``attempt`` counts from 0).

    >>> retry_delay(RetryPolicy(random=lambda: 1.0), 3)
    4.0
    >>> retry_delay(RetryPolicy(random=lambda: 1.0), 0, {"Retry-After": "2"})
    2.5
    """
    if headers is not None:
        requested = retry_after_seconds(headers)
        if requested is not None:
            wait = min(requested, policy.max_retry_after)
            return wait * (1.0 + policy.retry_after_jitter * policy.random())
    ceiling = min(policy.initial_backoff * (2.0**attempt), policy.max_backoff)
    return ceiling * policy.random()


def overload_delay(
    policy: RetryPolicy, status_code: int, headers: Mapping[str, str], waited: float
) -> float | None:
    """The wait before retrying a 429/503 that carries ``Retry-After``, or ``None`` when the
    answer is not such pacing or ``waited`` plus this wait would pass
    ``policy.max_overload_wait`` (the call then falls back to the ``max_retries`` budget).

    >>> overload_delay(RetryPolicy(random=lambda: 0.0), 429, {"Retry-After": "3"}, 0.0)
    3.0
    >>> overload_delay(RetryPolicy(), 429, {}, 0.0) is None
    True
    """
    if status_code not in OVERLOAD_STATUS_CODES or retry_after_seconds(headers) is None:
        return None
    delay = retry_delay(policy, 0, headers)
    return delay if waited + delay <= policy.max_overload_wait else None
