"""Validation of proto ``oneof`` groups: at most one member may be set."""

from __future__ import annotations

from typing import TypeVar

from ragkit.types._base import WireModel

__all__ = ["check_oneof"]

_M = TypeVar("_M", bound=WireModel)


def check_oneof(model: _M, group: str, *fields: str) -> _M:
    """Return ``model`` unless more than one of ``fields`` (attribute names) is set.

    Raises:
        ValueError: naming the oneof group and the conflicting wire (camelCase) names,
            in the spirit of Google's ``Oneof field 'value' is already set``.
    """
    present = [name for name in fields if getattr(model, name, None) is not None]
    if len(present) > 1:
        wire = [_wire_name(model, name) for name in present]
        allowed = ", ".join(_wire_name(model, name) for name in fields)
        raise ValueError(
            f"Oneof field '{group}' is already set. Cannot set '{wire[1]}': "
            f"{type(model).__name__} takes only one of {allowed}, got {', '.join(wire)}."
        )
    return model


def _wire_name(model: WireModel, name: str) -> str:
    field = type(model).model_fields.get(name)
    return field.alias if field is not None and field.alias else name
