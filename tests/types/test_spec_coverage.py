"""Every OpenAPI schema has a wire type whose JSON names and value kinds match the spec."""

from __future__ import annotations

import json
import types as pytypes
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import ragkit.types as rt
from ragkit.types import WireEnum, WireModel

#: Google's OpenAPI rendering of v1beta (rev 20250701), vendored with its provenance.
SPEC_PATH = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "spec"
    / "generativelanguage.v1beta.openapi3.rev20250701.json"
)

#: Wire names a class carries beyond the spec, each for a documented reason.
EXTRA_WIRE_NAMES = {
    "RelevantChunk": {"document"},  # proto field the OpenAPI rendering dropped
    "Status": {"status"},  # Google's error bodies carry the canonical code name
    # File Search (2025-11) postdates the rendering; shapes from google-genai 3.6 types.py
    "GroundingChunk": {"retrievedContext"},
    "Tool": {"fileSearch"},
}


def _schemas() -> dict[str, dict[str, Any]]:
    return dict(json.loads(SPEC_PATH.read_text())["components"]["schemas"])


SCHEMAS = _schemas()
OBJECT_SCHEMAS = sorted(name for name, s in SCHEMAS.items() if "enum" not in s)
ENUM_SCHEMAS = sorted(name for name, s in SCHEMAS.items() if "enum" in s)


def _properties(name: str) -> dict[str, dict[str, Any]]:
    schema = SCHEMAS[name]
    props = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        if "$ref" in part:
            props.update(_properties(part["$ref"].rsplit("/", 1)[-1]))
        props.update(part.get("properties", {}))
    return props


def _wire_names(cls: type[BaseModel]) -> set[str]:
    return {field.alias or attr for attr, field in cls.model_fields.items()}


def _field_for(cls: type[BaseModel], wire: str) -> Any:
    for attr, field in cls.model_fields.items():
        if (field.alias or attr) == wire:
            return field
    raise AssertionError(f"{cls.__name__} has no field for {wire!r}")


def _leaf_types(annotation: Any) -> set[Any]:
    """Classes inside an annotation such as ``list[Chunk] | None``."""
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    if typing.get_origin(annotation) is typing.Annotated:
        return _leaf_types(args[0])
    found: set[Any] = set()
    for arg in args:
        found |= _leaf_types(arg)
    return found


def _enum_of(cls: type[BaseModel], wire: str) -> type[WireEnum]:
    leaves = _leaf_types(_field_for(cls, wire).annotation)
    enums = [leaf for leaf in leaves if isinstance(leaf, type) and issubclass(leaf, WireEnum)]
    assert len(enums) == 1, f"{cls.__name__}.{wire} should be typed by one WireEnum: {leaves}"
    return enums[0]


def _is_list(cls: type[BaseModel], wire: str) -> bool:
    annotation = _field_for(cls, wire).annotation
    return any(typing.get_origin(arg) is list for arg in typing.get_args(annotation))


def test_spec_has_all_schemas() -> None:
    assert len(SCHEMAS) == 156


@pytest.mark.parametrize("name", OBJECT_SCHEMAS)
def test_schema_wire_names_match(name: str) -> None:
    cls = getattr(rt, name, None)
    assert isinstance(cls, type) and issubclass(cls, WireModel), f"no wire type {name}"
    expected = set(_properties(name)) | EXTRA_WIRE_NAMES.get(name, set())
    assert _wire_names(cls) == expected


@pytest.mark.parametrize("name", OBJECT_SCHEMAS)
def test_schema_field_kinds_match(name: str) -> None:
    """$refs point at the named class; int64/date-time fields use Int64/Timestamp on the wire."""
    cls: type[WireModel] = getattr(rt, name)
    for wire, prop in _properties(name).items():
        target = prop.get("$ref") or next(
            (p["$ref"] for p in prop.get("allOf", []) if "$ref" in p), None
        )
        item = prop.get("items", {})
        target = target or item.get("$ref") or prop.get("additionalProperties", {}).get("$ref")
        if target:
            ref = getattr(rt, target.rsplit("/", 1)[-1])
            assert ref in _leaf_types(_field_for(cls, wire).annotation), (name, wire)
        fmt = prop.get("format") or item.get("format")
        samples = {
            "int64": ("12345678901234", "12345678901234"),
            "date-time": (
                "2025-07-01T10:20:30.123456+00:00",
                "2025-07-01T10:20:30.123456Z",
            ),
        }
        if fmt in samples:
            given, wire_value = samples[fmt]
            as_list = prop.get("type") == "array"
            model = cls.model_validate({wire: [given] if as_list else given})
            assert model.to_wire()[wire] == ([wire_value] if as_list else wire_value), (name, wire)


@pytest.mark.parametrize("name", OBJECT_SCHEMAS)
def test_inline_enums_cover_spec(name: str) -> None:
    cls: type[WireModel] = getattr(rt, name)
    for wire, prop in _properties(name).items():
        values = prop.get("enum") or prop.get("items", {}).get("enum")
        if not values:
            continue
        enum_cls = _enum_of(cls, wire)
        assert set(values) <= set(enum_cls.__members__), (name, wire)
        for value in values:
            data = {wire: [value] if _is_list(cls, wire) else value}
            assert cls.model_validate(data).to_wire() == data


@pytest.mark.parametrize("name", ENUM_SCHEMAS)
def test_top_level_enums_cover_spec(name: str) -> None:
    enum_cls = getattr(rt, name)
    assert issubclass(enum_cls, WireEnum)
    assert set(SCHEMAS[name]["enum"]) <= set(enum_cls.__members__)


def test_every_field_alias_is_the_generated_camel_case() -> None:
    """No hand-written alias is needed today; a new one must be deliberate (update this test)."""
    from pydantic.alias_generators import to_camel

    for name in rt.__all__:
        obj = getattr(rt, name)
        if isinstance(obj, type) and issubclass(obj, WireModel):
            for attr, field in obj.model_fields.items():
                assert field.alias == to_camel(attr), (name, attr, field.alias)


def _public_classes() -> set[str]:
    found: set[str] = set()
    for module in vars(rt).values():
        if not isinstance(module, pytypes.ModuleType):
            continue
        if module.__name__.startswith("ragkit.types.") and "._" not in module.__name__:
            found.update(getattr(module, "__all__", []))
    return found


def test_init_exports_everything_sorted() -> None:
    assert rt.__all__ == sorted(rt.__all__)
    assert len(set(rt.__all__)) == len(rt.__all__)
    assert _public_classes() <= set(rt.__all__)
    for name in rt.__all__:
        assert hasattr(rt, name), name
