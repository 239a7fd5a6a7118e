"""parse_json: proto3 JSON's rules, each refusal a 400 that says what is wrong."""

from __future__ import annotations

import pytest

from ragkit.limits import MAX_JSON_DEPTH
from ragkit.server.errors import ApiError
from ragkit.server.strict_json import parse_json
from ragkit.types.status import Code


def rejected(raw: bytes | str) -> str:
    with pytest.raises(ApiError) as caught:
        parse_json(raw)
    assert caught.value.code is Code.INVALID_ARGUMENT
    return caught.value.message


def test_valid_json_parses_unchanged() -> None:
    body = '{"a": [1, -2.5, "\\ud83d\\ude00", null, true], "b": {"c": 18446744073709551615}}'
    assert parse_json(body.encode()) == {
        "a": [1, -2.5, "\U0001f600", None, True],
        "b": {"c": 2**64 - 1},
    }
    assert parse_json(b'{"tiny": 1e-400}') == {"tiny": 0.0}


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_literals(literal: str) -> None:
    assert "finite" in rejected(f'{{"n": {literal}}}'.encode())


@pytest.mark.parametrize("number", ["1e999", "-1E+309", "18446744073709551616", "9" * 5_000])
def test_numbers_out_of_range(number: str) -> None:
    assert "out of range" in rejected(f'{{"n": {number}}}'.encode())


def test_unpaired_surrogates_name_where_they_are() -> None:
    assert "character 4" in rejected(b'{"s": "abc\\ud800"}')
    assert "surrogate" in rejected(b'{"\\udc00": 1}')
    assert "surrogate" in rejected('{"s": "\ud800"}')  # a str body may hold one directly


def test_nesting_is_limited() -> None:
    deep = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json(deep) is not None
    too_deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    assert "too deep" in rejected(too_deep)
    assert "too deep" in rejected("[" * 100_000 + "]" * 100_000)


def test_malformed_json_and_bytes() -> None:
    assert "line 1, column" in rejected(b'{"a": }')
    assert "UTF-8" in rejected(b'{"a": "\xff"}')
