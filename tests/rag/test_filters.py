"""The filter language and builder: what they compile to, and how they report mistakes."""

from __future__ import annotations

import pytest

from ragkit.rag.filters import F, FilterError, compile_where, parse, where
from ragkit.types import MetadataFilter, Operator


def _shape(filters: list[MetadataFilter]) -> list[tuple[str, list[tuple[str, object]]]]:
    result: list[tuple[str, list[tuple[str, object]]]] = []
    for f in filters:
        conditions: list[tuple[str, object]] = []
        for c in f.conditions or []:
            assert c.operation is not None
            value = c.string_value if c.string_value is not None else c.numeric_value
            conditions.append((c.operation.name, value))
        result.append((f.key or "", conditions))
    return result


def test_the_readme_example_compiles_to_one_filter_per_key_with_default_levels() -> None:
    filters = where('year >= 2020 and tags includes "faq" and source == "manual.pdf"')
    assert _shape(filters) == [
        ("document.custom_metadata.year", [("GREATER_EQUAL", 2020.0)]),
        ("document.custom_metadata.tags", [("INCLUDES", "faq")]),
        ("chunk.custom_metadata.source", [("EQUAL", "manual.pdf")]),
    ]


def test_or_on_one_key_is_one_filter_and_in_is_its_shorthand() -> None:
    expected = [("document.custom_metadata.lang", [("EQUAL", "en"), ("EQUAL", "de")])]
    assert _shape(where('lang == "en" or lang == "de"')) == expected
    assert _shape(where("lang in ('en', 'de')")) == expected
    assert _shape(where('(lang == "en" or lang == "de") and year < 2024'))[0] == expected[0]


def test_prefixes_choose_the_level_and_accept_the_wire_spelling() -> None:
    filters = where(
        'doc.source != "a" and chunk.year > 1.5e3 and document.x <= -2 '
        "and chunk.custom_metadata.page_start >= 3 and `odd key` == 'v'"
    )
    assert [f.key for f in filters] == [
        "document.custom_metadata.source",
        "chunk.custom_metadata.year",
        "document.custom_metadata.x",
        "chunk.custom_metadata.page_start",
        "document.custom_metadata.odd key",
    ]
    assert filters[1].conditions is not None and filters[1].conditions[0].numeric_value == 1500.0
    assert filters[2].conditions is not None and filters[2].conditions[0].numeric_value == -2.0


def test_a_numeric_range_on_one_key_is_two_anded_filters() -> None:
    assert _shape(where("year >= 2020 and year < 2024")) == [
        ("document.custom_metadata.year", [("GREATER_EQUAL", 2020.0)]),
        ("document.custom_metadata.year", [("LESS", 2024.0)]),
    ]


def test_keywords_are_case_insensitive_and_strings_unescape() -> None:
    filters = where(r'title == "say \"hi\"" AND tags EXCLUDES "old"')
    assert _shape(filters) == [
        ("chunk.custom_metadata.title", [("EQUAL", 'say "hi"')]),
        ("document.custom_metadata.tags", [("EXCLUDES", "old")]),
    ]


def test_builder_matches_the_text_language() -> None:
    built = compile_where(
        (F("year") >= 2020) & F("tags").includes("faq") & F("lang").one_of("en", "de")
        & (F.chunk("page_start") < 10) & (F("source") != "x.md")
    )  # fmt: skip
    text = where(
        'year >= 2020 and tags includes "faq" and lang in ("en", "de") '
        'and chunk.page_start < 10 and source != "x.md"'
    )
    assert _shape(built) == _shape(text)
    assert F.doc("source").key.wire == "document.custom_metadata.source"


def test_builder_errors_have_no_caret_but_the_same_reason() -> None:
    with pytest.raises(FilterError, match="'or' can only join conditions on the same key"):
        compile_where((F("a") == 1) | (F("b") == 2))
    with pytest.raises(FilterError, match="compares numbers"):
        compile_where(F("year") >= "2020")  # type: ignore[operator]
    with pytest.raises(TypeError, match="use & and \\|"):
        bool(F("a") == 1)


def test_empty_and_ready_made_filters_pass_through() -> None:
    assert compile_where(None) == [] and compile_where("  ") == []
    ready = [
        {
            "key": "chunk.custom_metadata.x",
            "conditions": [{"operation": "EQUAL", "numericValue": 1}],
        }
    ]
    compiled = compile_where(ready)
    assert compiled[0].conditions is not None
    assert compiled[0].conditions[0].operation is Operator.EQUAL


def _error(text: str, scope: str = "corpus") -> FilterError:
    with pytest.raises(FilterError) as info:
        compile_where(text, scope=scope)  # type: ignore[arg-type]
    return info.value


@pytest.mark.parametrize(
    ("text", "column", "caret", "reason"),
    [
        ('year >= "2020"', 9, "^^^^^^", "'>=' compares numbers, but '2020' is a string"),
        ("tags includes 3", 15, "^", 'needs a "string", got 3'),
        ("tags includes faq", 15, "^^^", 'strings need quotes: "faq"'),
        ("year = 2020", 6, "^", "did you mean '=='?"),
        ("a == 1 or b == 2", 11, "^", "'or' can only join conditions on the same key"),
        ("a == 1 and b == 2 or a == 3", 8, "^^^", "'and' inside 'or' cannot be sent"),
        ('lang == "en" or lang == "de" and year >= 2020', 30, "^^^", "'and' inside 'or'"),
        ('lang == "en" and lang == "de"', 18, "^" * 12, "only when all are numeric"),
        ('page_start == "4"', 15, "^^^", "'page_start' holds numbers"),
        ("source == 3", 11, "^", "'source' holds strings"),
        ('source includes "x"', 1, "^" * 19, "holds a single string; use == or !="),
        ("(a == 1", 8, "^", "expected ')'"),
        ("year >=", 8, "^", "expected a number"),
        ("year 2020", 6, "^^^^", "expected an operator"),
        ("year >= 2020 lang", 14, "^^^^", "expected 'and', 'or' or the end"),
        ('title == "open', 10, "^^^^^", "unterminated string"),
        ("x == 1.2.3", 6, "^^^^^", "is not a number"),
        ("x == 1e999", 6, "^^^^^", "inf is not a finite number"),
        ("", 1, "^", "empty filter"),
    ],
)
def test_errors_point_at_the_mistake(text: str, column: int, caret: str, reason: str) -> None:
    if not text:
        with pytest.raises(FilterError, match="empty filter"):
            parse(text)
        return
    error = _error(text)
    assert error.column == column
    assert reason in error.reason
    message_lines = str(error).splitlines()
    assert message_lines[0] == f"invalid filter at column {column}: {error.reason}"
    assert message_lines[1] == f"  {text}"
    assert message_lines[2] == "  " + " " * (column - 1) + caret


def test_document_scope_rejects_document_keys_with_a_hint() -> None:
    error = _error('tags includes "faq"', scope="document")
    assert "a search inside one document can filter chunk metadata only" in error.reason
    assert "defaults to document level" in error.reason
    assert _shape(where('chunk.tags includes "faq"', scope="document"))[0][0] == (
        "chunk.custom_metadata.tags"
    )


def test_expressions_print_as_filter_text_that_compiles_the_same() -> None:
    built = F("source").one_of("a.md", "b.md") & (F("position") < 2) & (F.doc("x") == 1.5)
    assert str(built) == '(source == "a.md" or source == "b.md") and position < 2 and doc.x == 1.5'
    assert _shape(where(str(built))) == _shape(compile_where(built))
    parsed = parse('lang in ("en", "de") and chunk.year >= 2020')
    assert str(parsed) == '(lang == "en" or lang == "de") and chunk.year >= 2020'
