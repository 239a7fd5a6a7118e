"""Query parameters: the few each method declares, plus Google's system parameters.

Every route names the query parameters its method takes (``pageSize``, ``updateMask``,
``force``...), in camelCase or snake_case. Standard system parameters (``key``, ``alt``,
``$alt``, ``fields``, ``prettyPrint``, ``quotaUser``, ``$.xgafv``, ``access_token``...) are
accepted everywhere; ``alt``/``$alt`` is honoured (``json;enum-encoding=int`` makes enums
integers in the response, as Google's generated REST clients ask), ``fields`` trims the
response (:mod:`ragkit.server.http.partial`), the rest are ignored.
Anything else is rejected with Google's own wording, so a typo never goes unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from pydantic.alias_generators import to_camel

from ragkit.server.errors import ApiError, invalid_argument

__all__ = [
    "SYSTEM_PARAMS",
    "DeleteParams",
    "ListParams",
    "Params",
    "PatchParams",
    "PlainParams",
    "parse_alt",
    "query_params",
]

#: Standard parameters every Google API method accepts (with or without a ``$`` prefix).
SYSTEM_PARAMS = frozenset(
    {
        "key",
        "access_token",
        "oauth_token",
        "alt",
        "fields",
        "prettyPrint",
        "quotaUser",
        "userIp",
        ".xgafv",
        "callback",
        "upload_protocol",
        "uploadType",
    }
)


_INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class Params:
    """The parsed query of one request; fields a method does not take stay at defaults.

    ``alt`` is the response format (``"json"`` unless a method accepts others, such as
    ``"sse"`` for streaming); ``enum_int`` is True for ``alt=json;enum-encoding=int``.
    """

    alt: str = "json"
    enum_int: bool = False
    page_size: int | None = None
    page_token: str | None = None
    update_mask: str | None = None
    force: bool = False


def parse_alt(value: str, formats: Collection[str] = ("json",)) -> tuple[str, bool]:
    """Parse ``alt`` (``json``, ``json;enum-encoding=int``) into (format, enums as ints).

    Raises:
        ApiError: INVALID_ARGUMENT for a format outside ``formats`` or an unknown option.
    """
    fmt, *options = (part.strip() for part in value.split(";"))
    fmt = fmt.lower() or "json"
    if fmt not in formats:
        served = ", ".join(repr(f) for f in formats)
        raise invalid_argument(
            f"Unsupported response format alt={value!r}; this method serves {served}."
        )
    enum_int = False
    for option in options:
        key, _, setting = (part.strip().lower() for part in option.partition("="))
        if key != "enum-encoding" or setting not in ("int", "string"):
            raise invalid_argument(f"Invalid alt option {option!r}.")
        enum_int = setting == "int"
    return fmt, enum_int


def _unknown(name: str) -> ApiError:
    return invalid_argument(
        f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
        f"Field '{name}' could not be found in request message."
    )


def _int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise invalid_argument(f"Invalid value at '{name}' (TYPE_INT32), \"{value}\"") from None
    if number < 0:
        raise invalid_argument(f"Invalid value at '{name}': must not be negative, got {number}.")
    if number > _INT32_MAX:
        raise invalid_argument(f"Invalid value at '{name}' (TYPE_INT32), \"{value}\"")
    return number


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0", ""):
        return False
    raise invalid_argument(f"Invalid value at '{name}' (TYPE_BOOL), \"{value}\"")


def _collect(request: Request, allowed: frozenset[str]) -> tuple[dict[str, str], str | None]:
    values: dict[str, str] = {}
    alt = None
    for raw_name, value in request.query_params.multi_items():
        system = raw_name.removeprefix("$")
        if system in SYSTEM_PARAMS:
            if system == "alt":
                alt = value
            continue
        name = to_camel(raw_name)
        if name not in allowed:
            raise _unknown(raw_name)
        if name == "updateMask" and name in values:
            # A FieldMask may arrive as repeated parameters instead of one joined list.
            values[name] = f"{values[name]},{value}"
        else:
            values[name] = value
    return values, alt


def query_params(
    *allowed: str, alt_formats: Collection[str] = ("json",)
) -> Callable[[Request], Params]:
    """A dependency parsing the query of a method that takes ``allowed`` parameters and
    answers in one of ``alt_formats`` (a streaming method would add ``"sse"``)."""
    allowed_set = frozenset(allowed)

    def dependency(request: Request) -> Params:
        values, alt_value = _collect(request, allowed_set)
        alt, enum_int = parse_alt(alt_value or "json", alt_formats)
        size = values.get("pageSize")
        return Params(
            alt=alt,
            enum_int=enum_int,
            page_size=None if size is None else _int("pageSize", size),
            page_token=values.get("pageToken") or None,
            update_mask=values.get("updateMask"),
            force=_bool("force", values.get("force", "false")),
        )

    return dependency


#: Query of list methods: ``pageSize``, ``pageToken``.
ListParams = Annotated[Params, Depends(query_params("pageSize", "pageToken"))]
#: Query of update methods: ``updateMask``.
PatchParams = Annotated[Params, Depends(query_params("updateMask"))]
#: Query of corpus/document deletes: ``force``.
DeleteParams = Annotated[Params, Depends(query_params("force"))]
#: Query of every other method: system parameters only.
PlainParams = Annotated[Params, Depends(query_params())]
