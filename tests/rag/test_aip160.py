"""Google's File Search metadataFilter (AIP-160) compiled to the API's MetadataFilters."""

from __future__ import annotations

import re

import pytest

from ragkit.rag._filter_ast import FilterError
from ragkit.rag.aip160 import aip160_filters
from ragkit.types import Operator


def _shape(text: str) -> list[tuple[str, list[tuple[Operator | None, object]]]]:
    return [
        (
            f.key or "",
            [(c.operation, c.string_value or c.numeric_value) for c in f.conditions or []],
        )
        for f in aip160_filters(text)
    ]


def test_google_example_and_numbers() -> None:
    assert _shape('author = "Robert Graves" AND year >= 1930') == [
        ("document.custom_metadata.author", [(Operator.EQUAL, "Robert Graves")]),
        ("document.custom_metadata.year", [(Operator.GREATER_EQUAL, 1930.0)]),
    ]


def test_or_binds_tighter_than_and_and_juxtaposition_is_and() -> None:
    assert _shape("genre = fiction OR genre = poetry year < 2000") == [
        (
            "document.custom_metadata.genre",
            [(Operator.EQUAL, "fiction"), (Operator.EQUAL, "poetry")],
        ),
        ("document.custom_metadata.year", [(Operator.LESS, 2000.0)]),
    ]


def test_has_not_and_levels() -> None:
    assert _shape('tags:"faq" AND NOT lang = "de" AND -status:"old" AND chunk.page_start > 2') == [
        ("document.custom_metadata.tags", [(Operator.INCLUDES, "faq")]),
        ("document.custom_metadata.lang", [(Operator.NOT_EQUAL, "de")]),
        ("document.custom_metadata.status", [(Operator.EXCLUDES, "old")]),
        ("chunk.custom_metadata.page_start", [(Operator.GREATER, 2.0)]),
    ]


def test_empty_means_no_filter() -> None:
    assert aip160_filters(None) == [] and aip160_filters("  ") == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("year >= AND x = 1", "expected a value"),
        ('author "x"', "expected an operator"),
        ('a = "x', "unterminated string"),
        ("(a = 1", "expected ')'"),
        ("a = 1 OR b = 2", "one key"),
        ("NOT (a = 1)", "single comparison"),
        ("a = 1 ~", "unexpected character"),
        ("a = nan", "not a finite number"),
        ("a = inf", "not a finite number"),
        ("a >= 1e999", "not a finite number"),
    ],
)
def test_malformed_filters_point_at_the_mistake(text: str, reason: str) -> None:
    with pytest.raises(FilterError, match=re.escape(reason)):
        aip160_filters(text)
