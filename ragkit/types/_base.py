"""The one place that decides how Python objects look on the wire.

Every wire model derives from :class:`WireModel`: snake_case attributes in Python,
lowerCamelCase JSON on the wire, either spelling accepted on input. Unknown fields are
ignored by default (a client must survive a newer server) and rejected when validated
with ``context=STRICT`` (the server must answer ``Unknown name "x"`` like Google does).

Enums derive from :class:`WireEnum`: members carry their proto numbers, parse from a
name or an integer, and serialise as the name (or the integer when the serialisation
context asks for ``enum-encoding=int``, as Google's REST clients do).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "ENUM_INT",
    "STRICT",
    "Duration",
    "FiniteFloat",
    "Int64",
    "Timestamp",
    "WireEnum",
    "WireModel",
    "from_wire",
    "to_wire",
]

#: Validation context that rejects unknown fields (server side).
STRICT: Mapping[str, bool] = {"strict_fields": True}
#: Serialisation context that writes enums as integers (``$alt=json;enum-encoding=int``).
ENUM_INT: Mapping[str, bool] = {"enum_int": True}


class WireModel(BaseModel):
    """Base of every request and response shape in the API."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        use_enum_values=False,
        ser_json_inf_nan="constants",
    )

    @classmethod
    def _known_names(cls) -> frozenset[str]:
        cached: frozenset[str] | None = cls.__dict__.get("_known_names_cache")
        if cached is None:
            found = set(cls.model_fields)
            found.update(f.alias for f in cls.model_fields.values() if f.alias)
            cached = frozenset(found)
            setattr(cls, "_known_names_cache", cached)  # noqa: B010 - not a declared attribute
        return cached

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_fields(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and info.context and info.context.get("strict_fields"):
            known = cls._known_names()
            for key in data:
                if key not in known:
                    raise PydanticCustomError(
                        "unknown_field",
                        'Invalid JSON payload received. Unknown name "{name}": Cannot find field.',
                        {"name": key},
                    )
        return data

    def to_wire(self, *, enum_int: bool = False) -> dict[str, Any]:
        """Return the JSON-ready dict Google's API would send or accept."""
        return to_wire(self, enum_int=enum_int)


def to_wire(model: BaseModel, *, enum_int: bool = False) -> dict[str, Any]:
    """Serialise ``model`` to camelCase JSON data, omitting unset (None) fields."""
    return model.model_dump(
        mode="json",
        by_alias=True,
        exclude_none=True,
        context=ENUM_INT if enum_int else None,
    )


def from_wire(model_type: type[Any], data: Any, *, strict: bool = False) -> Any:
    """Validate wire data into ``model_type``; ``strict`` rejects unknown fields."""
    return model_type.model_validate(data, context=STRICT if strict else None)


class WireEnum(enum.Enum):
    """An API enum: members are proto numbers, the wire carries names (or numbers).

    >>> class State(WireEnum):
    ...     STATE_UNSPECIFIED = 0
    ...     STATE_ACTIVE = 2
    >>> State.parse("STATE_ACTIVE") is State.parse(2) is State.STATE_ACTIVE
    True
    """

    @classmethod
    def parse(cls, value: Any) -> Self:
        if isinstance(value, cls):
            return value
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a valid {cls.__name__}")
        if isinstance(value, int):
            return cls(value)
        if isinstance(value, str):
            if value in cls.__members__:
                return cls.__members__[value]
            stripped = value.strip()
            if stripped.lstrip("-").isdigit():
                return cls(int(stripped))
        allowed = ", ".join(cls.__members__)
        raise ValueError(
            f"invalid value {value!r} for enum {cls.__name__}; expected one of {allowed}"
        )

    def __str__(self) -> str:
        return self.name

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        def serialize(member: WireEnum, info: core_schema.SerializationInfo) -> Any:
            if info.mode_is_json() or info.mode == "json":
                context = info.context
                if context and context.get("enum_int"):
                    return member.value
                return member.name
            return member

        return core_schema.no_info_plain_validator_function(
            cls.parse,
            serialization=core_schema.plain_serializer_function_ser_schema(
                serialize, info_arg=True
            ),
            json_schema_input_schema=core_schema.union_schema(
                [core_schema.str_schema(), core_schema.int_schema()]
            ),
        )


def _parse_int64(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ValueError(f"invalid int64 value {value!r}") from None
    return value


#: proto int64/uint64: a JSON string on the wire, an ``int`` in Python.
Int64 = Annotated[int, BeforeValidator(_parse_int64), PlainSerializer(str, when_used="json")]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, not {value!r}")
    return value


#: A double that must be finite: NaN and infinities cannot be stored, compared in a filter or
#: written as JSON, so they are refused where they are built (client) or parsed (server).
FiniteFloat = Annotated[float, AfterValidator(_finite)]


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix, e.g. ``2025-01-02T03:04:05.123456Z``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


#: google.protobuf.Timestamp: RFC 3339 on the wire, an aware ``datetime`` in Python.
Timestamp = Annotated[datetime, PlainSerializer(format_timestamp, when_used="json")]

#: google.protobuf.Duration: seconds with an ``s`` suffix on the wire, e.g. ``"3600s"``.
Duration = str
