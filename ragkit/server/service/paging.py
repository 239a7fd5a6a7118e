"""Page sizes and opaque, signed page tokens.

A token is ``base64url(json + hmac)``: the JSON holds the keyset position of the last item
returned and a digest of the request it belongs to (method, parent, page size); the HMAC
(keyed by a secret kept in the database) makes it tamper-proof. A token presented with a
different parent or page size is rejected with ``INVALID_ARGUMENT``, as Google's list methods
require every other parameter to match the call that produced the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from ragkit.limits import DEFAULT_PAGE_SIZE
from ragkit.server.errors import invalid_argument
from ragkit.server.store.records import format_time

__all__ = ["PageTokens", "cursor", "keyset", "resolve_page_size"]

_MAC_BYTES = 16
_T = TypeVar("_T")


def keyset(create_time: datetime, row_id: int) -> list[Any]:
    """The position stored in a token for lists ordered by (create_time, row id)."""
    return [format_time(create_time), row_id]


def cursor(position: Any) -> tuple[str, int] | None:
    """A :func:`keyset` position read back from a token (tokens are signed, so trusted)."""
    return None if position is None else (str(position[0]), int(position[1]))


def resolve_page_size(page_size: int | None, maximum: int) -> int:
    """Default 10 for ``None``/0; values above ``maximum`` are coerced down to it.

    Raises:
        ApiError: INVALID_ARGUMENT for a negative size.
    """
    if page_size is None or page_size == 0:
        return min(DEFAULT_PAGE_SIZE, maximum)
    if page_size < 0:
        raise invalid_argument(f"page_size must not be negative, got {page_size}.")
    return min(page_size, maximum)


class PageTokens:
    """Issues and checks page tokens with a server secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    @staticmethod
    def _scope(*parts: object) -> str:
        text = "\x1f".join(str(part) for part in parts)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def issue(self, position: Any, *scope: object) -> str:
        """A token resuming after ``position`` for the request identified by ``scope``."""
        payload = json.dumps({"s": self._scope(*scope), "p": position}, separators=(",", ":"))
        raw = payload.encode() + self._mac(payload.encode())
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def page(
        self, found: Sequence[_T], size: int, position: Callable[[_T], Any], *scope: object
    ) -> tuple[list[_T], str | None]:
        """Cut ``found`` (fetched with ``size + 1`` rows) to a page and its next token."""
        page = list(found[:size])
        if len(found) <= size:
            return page, None
        return page, self.issue(position(page[-1]), *scope)

    def read(self, token: str | None, *scope: object) -> Any:
        """The position in ``token`` (``None`` for no token).

        Raises:
            ApiError: INVALID_ARGUMENT if the token is malformed, forged, or was issued for
                a different request.
        """
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (binascii.Error, ValueError):
            raise invalid_argument(f"Invalid page token {token!r}.") from None
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, self._mac(payload)):
            raise invalid_argument(f"Invalid page token {token!r}.")
        data = json.loads(payload)
        if data.get("s") != self._scope(*scope):
            raise invalid_argument(
                "The page token does not match the request: page_token must be used with the "
                "same parent and page_size as the call that returned it."
            )
        return data.get("p")
