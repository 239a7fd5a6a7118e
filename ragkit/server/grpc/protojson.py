"""Proto3 JSON to and from protobuf messages, fast, for the gRPC front's transcoding.

``json_format.ParseDict`` walks every field in pure Python with generous checks and parses
timestamps with ``strptime``; for a ``corpora:query`` answer it costs more than the query
itself. :func:`fill` does the same mapping for what the REST front emits (camelCase or
proto names, integer or named enums, int64 as strings, base64 bytes, RFC 3339
timestamps), ignoring unknown fields as a GAPIC REST client does, and hands the rarer
well-known types (``Struct``, ``Value``, ``Any``, ``FieldMask``, wrappers) to
``json_format``. On input it cannot map it raises, and the caller falls back to
``json_format`` for the whole message. :func:`to_dict` is the way back, equal to
``json_format.MessageToDict`` with its defaults (camelCase names, enum names, int64 as
strings, base64 bytes, shortest float32 text).
"""

from __future__ import annotations

import base64
import datetime
import math
import struct
from functools import cache
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

__all__ = ["fill", "to_dict"]

_MESSAGE = FieldDescriptor.TYPE_MESSAGE
_ENUM = FieldDescriptor.TYPE_ENUM
_BYTES = FieldDescriptor.TYPE_BYTES
_BOOL = FieldDescriptor.TYPE_BOOL
_STRING = FieldDescriptor.TYPE_STRING
_FLOATS = frozenset({FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE})
_INT64S = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
        FieldDescriptor.TYPE_SINT64,
    }
)
_TIMESTAMP = "google.protobuf.Timestamp"
_DURATION = "google.protobuf.Duration"
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@cache
def _fields(descriptor: Descriptor) -> dict[str, FieldDescriptor]:
    by_name = {f.name: f for f in descriptor.fields}
    by_name.update({f.json_name: f for f in descriptor.fields})
    return by_name


@cache
def _is_repeated(field: FieldDescriptor) -> bool:
    # protobuf 6+ has ``is_repeated`` (and dropped ``label``); protobuf 5 only ``label``.
    flag = getattr(field, "is_repeated", None)
    if flag is not None:
        return bool(flag)
    return bool(field.label == FieldDescriptor.LABEL_REPEATED)


@cache
def _is_map(descriptor: Descriptor) -> bool:
    return bool(descriptor.GetOptions().map_entry)


def _scalar(field: FieldDescriptor, value: Any) -> Any:
    kind = field.type
    if kind == _STRING:
        if not isinstance(value, str):
            raise TypeError(field.full_name)
        return value
    if kind == _ENUM:
        if isinstance(value, str):
            number = field.enum_type.values_by_name.get(value)
            return None if number is None else number.number
        return int(value)
    if kind == _BOOL:
        if not isinstance(value, bool):
            raise TypeError(field.full_name)
        return value
    if kind == _BYTES:
        text = value.replace("+", "-").replace("/", "_").rstrip("=")
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if kind in _FLOATS:
        return float(value)
    return int(value)


def _timestamp(message: Message, text: str) -> None:
    if not text.endswith("Z"):
        message.FromJsonString(text)
        return
    whole, _, fraction = text[:-1].partition(".")
    moment = datetime.datetime.fromisoformat(whole).replace(tzinfo=datetime.UTC)
    delta = moment - _EPOCH
    message.seconds = delta.days * 86_400 + delta.seconds
    message.nanos = int(fraction[:9].ljust(9, "0")) if fraction else 0


def _message(message: Message, value: Any) -> None:
    name = message.DESCRIPTOR.full_name
    if name == _TIMESTAMP and isinstance(value, str):
        _timestamp(message, value)
    elif name == _DURATION and isinstance(value, str):
        message.FromJsonString(value)
    elif name.startswith("google.protobuf."):
        json_format.ParseDict(value, message, ignore_unknown_fields=True)
    elif isinstance(value, dict):
        fill(message, value)
    else:
        raise TypeError(name)


def _map(field: FieldDescriptor, container: Any, value: dict[str, Any]) -> None:
    key_field = field.message_type.fields_by_name["key"]
    value_field = field.message_type.fields_by_name["value"]
    for raw_key, item in value.items():
        key = raw_key if key_field.type == _STRING else _scalar(key_field, raw_key)
        if value_field.type == _MESSAGE:
            _message(container[key], item)
        else:
            container[key] = _scalar(value_field, item)


def fill(message: Message, payload: dict[str, Any]) -> None:
    """Set ``message``'s fields from ``payload``; unknown names and enum values are skipped.

    Raises:
        TypeError, ValueError, KeyError: a value of the wrong shape.
    """
    fields = _fields(message.DESCRIPTOR)
    for key, value in payload.items():
        field = fields.get(key)
        if field is None or value is None:
            continue
        target = getattr(message, field.name) if field.type == _MESSAGE else None
        if field.type == _MESSAGE and _is_map(field.message_type):
            _map(field, target, value)
        elif _is_repeated(field):
            if field.type == _MESSAGE:
                for item in value:
                    _message(target.add(), item)  # type: ignore[union-attr]
            else:
                items = (_scalar(field, item) for item in value)
                getattr(message, field.name).extend(i for i in items if i is not None)
        elif field.type == _MESSAGE:
            _message(target, value)
            if not value:
                target.SetInParent()  # type: ignore[union-attr]  # {} still marks it present
        else:
            scalar = _scalar(field, value)
            if scalar is not None:
                setattr(message, field.name, scalar)


def _float_out(field: FieldDescriptor, value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if field.type != FieldDescriptor.TYPE_FLOAT:
        return value
    # The shortest text that reads back as the same float32, as json_format prints it.
    for digits in range(6, 10):
        short = float(f"{value:.{digits}g}")
        if struct.unpack("<f", struct.pack("<f", short))[0] == value:
            return short
    return value


def _value_out(field: FieldDescriptor, value: Any) -> Any:
    kind = field.type
    if kind == _MESSAGE:
        if value.DESCRIPTOR.full_name.startswith("google.protobuf."):
            return json_format.MessageToDict(value)
        return to_dict(value)
    if kind == _ENUM:
        known = field.enum_type.values_by_number.get(value)
        return value if known is None else known.name
    if kind in _INT64S:
        return str(value)
    if kind == _BYTES:
        return base64.b64encode(value).decode("ascii")
    if kind in _FLOATS:
        return _float_out(field, value)
    return value


def to_dict(message: Message) -> dict[str, Any]:
    """``message`` as proto3 JSON: only the fields that are set, by their JSON names."""
    out: dict[str, Any] = {}
    for field, value in message.ListFields():
        if field.type == _MESSAGE and _is_map(field.message_type):
            value_field = field.message_type.fields_by_name["value"]
            out[field.json_name] = {
                str(k).lower() if isinstance(k, bool) else str(k): _value_out(value_field, v)
                for k, v in value.items()
            }
        elif _is_repeated(field):
            out[field.json_name] = [_value_out(field, item) for item in value]
        else:
            out[field.json_name] = _value_out(field, value)
    return out
