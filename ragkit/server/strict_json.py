"""Request JSON read the way Google's front end reads it: strictly, before anything runs.

Python's :func:`json.loads` accepts things proto3 JSON does not, and each of them used to
end as a 500 (or worse, a committed row no response could ever render again):

- ``NaN``, ``Infinity`` and ``-Infinity`` literals, and numbers such as ``1e999`` that
  overflow a double to infinity;
- integers beyond 64 bits (and beyond 4,300 digits Python refuses to convert at all);
- ``"\\ud800"``: an unpaired UTF-16 surrogate, which no UTF-8 response can carry;
- nesting deep enough to exhaust the interpreter's recursion limit.

:func:`parse_json` rejects every one of them with 400 INVALID_ARGUMENT, so no part of the
server ever sees a value it cannot store, filter on and render.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ragkit.limits import MAX_JSON_DEPTH
from ragkit.server.errors import ApiError, invalid_argument

__all__ = ["parse_json"]

_PREFIX = "Invalid JSON payload received"
# proto's widest integers are uint64/int64; anything beyond cannot be any field's value.
_INT_LIMIT = 2**64


class _Rejected(ValueError):
    """A value the JSON grammar allows but proto3 JSON does not."""


def _constant(text: str) -> Any:
    raise _Rejected(f"{text} is not a valid JSON number (numbers must be finite)")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Rejected(f"the number {text[:40]} is out of range for a double")
    return value


def _int(text: str) -> int:
    if len(text) > 21:  # cheaper than converting a 4,000-digit number to find it too big
        raise _Rejected(f"the integer {text[:40]}... is out of range")
    value = int(text)
    if abs(value) >= _INT_LIMIT:
        raise _Rejected(f"the integer {text} is out of range for a 64-bit integer")
    return value


def parse_json(raw: bytes | bytearray | str, where: str = "") -> Any:
    """Decode a request body; ``where`` (e.g. ``" in the upload metadata"``) names it.

    Raises:
        ApiError: INVALID_ARGUMENT for malformed JSON, non-finite or out-of-range numbers,
            unpaired surrogates and nesting deeper than ``MAX_JSON_DEPTH``.
    """
    try:
        data = json.loads(raw, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except RecursionError:
        raise _too_deep(where) from None
    except UnicodeDecodeError:
        raise invalid_argument(f"{_PREFIX}{where}. The body is not valid UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise invalid_argument(
            f"{_PREFIX}{where}. Unexpected token at line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}."
        ) from None
    except ValueError as exc:  # _Rejected, or int() refusing a huge literal
        raise invalid_argument(f"{_PREFIX}{where}. {exc}.") from None
    # In bytes, unpaired surrogates only come from \u escapes (UTF-8 decoding refuses raw
    # ones), so most bodies skip the string walk; a str may hold them directly.
    strings = isinstance(raw, str) or b"\\u" in raw
    _check_tree(data, where, strings=strings)
    return data


def _too_deep(where: str) -> ApiError:
    return invalid_argument(
        f"{_PREFIX}{where}. Message too deep: nesting is limited to {MAX_JSON_DEPTH} levels."
    )


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        around = text[max(0, exc.start - 20) : exc.start + 20]
        shown = around.encode("utf-8", "backslashreplace").decode()
        raise invalid_argument(
            f"{_PREFIX}{where}. A string contains an unpaired UTF-16 surrogate at character "
            f"{exc.start + 1} (near {shown!r})."
        ) from None


def _check_tree(data: Any, where: str, *, strings: bool) -> None:
    """Depth and string checks over decoded JSON, iteratively (no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if strings:
                _check_text(value, where)
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise _too_deep(where)
            if isinstance(value, dict):
                for key, item in value.items():
                    if strings:
                        _check_text(key, where)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)
