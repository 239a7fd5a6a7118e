"""A readable filter language for metadata, compiled to the API's ``MetadataFilter`` list.

>>> where('year >= 2020 and tags includes "faq" and source == "manual.pdf"')  # doctest: +SKIP
[MetadataFilter(key='document.custom_metadata.year', ...), ...]

Grammar (keywords are case-insensitive)::

    where       := disjunction
    disjunction := conjunction ("or" conjunction)*
    conjunction := primary ("and" primary)*
    primary     := comparison | "(" disjunction ")"
    comparison  := key OP value | key "in" "(" value ("," value)* ")"
    key         := [level "."] name     level: doc | document | chunk
    name        := identifier ("." identifier)* | `any text in backticks`
    OP          := == | != | < | <= | > | >= | includes | excludes
    value       := number | "string" | 'string'

``and`` binds tighter than ``or``, as in Python and SQL. The API can only express an AND of
filters, each an OR of conditions on **one key**, so anything else is rejected with an error
that points at the offending column: ``a == 1 or b == 2`` (different keys), ``a == 1 and
b == 2 or a == 3`` (an ``and`` inside an ``or``). So mixing ``and`` and ``or`` always needs
parentheses around the alternatives: ``(lang == "en" or lang == "de") and year >= 2020``;
nothing is ever silently regrouped. On one key, ``and`` is allowed for numeric
comparisons only (ranges such as ``year >= 2020 and year < 2024``), as in the API.

Levels: ``doc.``/``document.`` filters document metadata, ``chunk.`` chunk metadata. Without
a prefix, the provenance keys ragkit's ingestion writes on every chunk (``source``,
``title``, ``section``, ``page_start``, ``page_end``, ``position``) are chunk keys and every
other key (front matter such as ``year`` or ``tags``) is a document key. A search inside
one document (``documents:query``) accepts chunk keys only.

Types: ``<``, ``<=``, ``>``, ``>=`` need numbers; ``includes``/``excludes`` test string-list
metadata and need a string; ``==``/``!=`` take either. Provenance keys have known types, so
``page_start == "4"`` or ``source includes "x"`` are caught before anything is sent.

The builder :class:`F` builds the same expressions in Python::

    (F("year") >= 2020) & F("tags").includes("faq") & F("lang").one_of("en", "de")
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from ragkit import provenance
from ragkit.rag._filter_ast import (
    And,
    Comparison,
    Expr,
    FilterError,
    Key,
    Level,
    Or,
    Span,
    Value,
    format_number,
    parse_key,
)
from ragkit.types import Condition, MetadataFilter, Operator

__all__ = [
    "And",
    "Comparison",
    "Expr",
    "F",
    "FilterError",
    "Level",
    "Or",
    "WhereInput",
    "compile_where",
    "parse",
    "where",
]

Scope = Literal["corpus", "document"]

_OPERATORS: dict[str, Operator] = {
    "==": Operator.EQUAL,
    "!=": Operator.NOT_EQUAL,
    "<": Operator.LESS,
    "<=": Operator.LESS_EQUAL,
    ">": Operator.GREATER,
    ">=": Operator.GREATER_EQUAL,
    "includes": Operator.INCLUDES,
    "excludes": Operator.EXCLUDES,
}
_ORDERING = frozenset({"<", "<=", ">", ">="})
_LIST_OPS = frozenset({"includes", "excludes"})
#: Types of the provenance keys (see :mod:`ragkit.provenance`), checked at compile time.
_KNOWN_TYPES: dict[str, type] = {
    provenance.SOURCE: str,
    provenance.TITLE: str,
    provenance.SECTION: str,
    provenance.CONTENT_HASH: str,
    provenance.PAGE_START: float,
    provenance.PAGE_END: float,
    provenance.POSITION: float,
}


class F:
    """Builder for filter expressions: ``F("year") >= 2020``, ``F("tags").includes("faq")``.

    ``F("doc.year")`` / ``F("chunk.year")`` (or :meth:`doc` / :meth:`chunk`) choose the level;
    unprefixed keys follow the same defaults as the text language.
    """

    def __init__(self, key: str, *, level: Level | None = None) -> None:
        parsed = parse_key(key)
        self.key = Key(parsed.name, level) if level else parsed

    @classmethod
    def doc(cls, key: str) -> F:
        """A document-level key."""
        return cls(key, level="document")

    @classmethod
    def chunk(cls, key: str) -> F:
        """A chunk-level key."""
        return cls(key, level="chunk")

    def _cmp(self, op: str, value: object) -> Comparison:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise FilterError(f"{self.key} {op}: values are numbers or strings, got {value!r}")
        return Comparison(self.key, op, float(value) if not isinstance(value, str) else value)

    def __eq__(self, value: object) -> Comparison:  # type: ignore[override]
        return self._cmp("==", value)

    def __ne__(self, value: object) -> Comparison:  # type: ignore[override]
        return self._cmp("!=", value)

    def __lt__(self, value: float) -> Comparison:
        return self._cmp("<", value)

    def __le__(self, value: float) -> Comparison:
        return self._cmp("<=", value)

    def __gt__(self, value: float) -> Comparison:
        return self._cmp(">", value)

    def __ge__(self, value: float) -> Comparison:
        return self._cmp(">=", value)

    def includes(self, value: str) -> Comparison:
        """The string-list metadata contains ``value``."""
        return self._cmp("includes", value)

    def excludes(self, value: str) -> Comparison:
        """The string-list metadata does not contain ``value``."""
        return self._cmp("excludes", value)

    def one_of(self, *values: Value) -> Expr:
        """Equal to any of ``values`` (one filter with ORed conditions)."""
        if not values:
            raise FilterError(f"{self.key}.one_of() needs at least one value")
        parts = tuple(self._cmp("==", v) for v in values)
        return parts[0] if len(parts) == 1 else Or(parts)

    __hash__ = None  # type: ignore[assignment]


# --------------------------------------------------------------------------- tokenizer

TokenKind = Literal["ident", "number", "string", "op", "lparen", "rparen", "comma", "end"]


@dataclass(frozen=True)
class Token:
    kind: str  # a TokenKind; plain str so the parser's repeated checks type-check
    text: str
    start: int
    end: int
    value: Value | None = None


_SYMBOLS = ("==", "!=", "<=", ">=", "<", ">", "(", ")", ",")
_SYMBOL_KIND: dict[str, TokenKind] = {"(": "lparen", ")": "rparen", ",": "comma"}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def _is_ident_char(char: str) -> bool:
    return char.isalnum() or char in "_-."


def tokenize(text: str) -> list[Token]:
    """Split filter text into tokens (raises :class:`FilterError` on stray characters)."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "\"'":
            tokens.append(_string(text, i))
            i = tokens[-1].end
        elif char == "`":
            end = text.find("`", i + 1)
            if end < 0 or end == i + 1:
                raise FilterError("unterminated or empty `quoted key`", text, (i, len(text)))
            tokens.append(Token("ident", text[i + 1 : end], i, end + 1))
            i = end + 1
        elif char.isdigit() or (char in "-+." and i + 1 < len(text) and text[i + 1].isdigit()):
            tokens.append(_number(text, i))
            i = tokens[-1].end
        elif _is_ident_char(char):
            end = i
            while end < len(text) and _is_ident_char(text[end]):
                end += 1
            tokens.append(Token("ident", text[i:end], i, end))
            i = end
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, i)), None)
            if symbol is None:
                hint = " (did you mean '=='?)" if char == "=" else ""
                raise FilterError(f"unexpected character {char!r}{hint}", text, (i, i + 1))
            tokens.append(Token(_SYMBOL_KIND.get(symbol, "op"), symbol, i, i + len(symbol)))
            i += len(symbol)
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _string(text: str, start: int) -> Token:
    quote = text[start]
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            chars.append(_ESCAPES[text[i + 1]])
            i += 2
        elif char == quote:
            return Token("string", text[start : i + 1], start, i + 1, "".join(chars))
        else:
            chars.append(char)
            i += 1
    raise FilterError(f"unterminated string: missing closing {quote}", text, (start, len(text)))


def _number(text: str, start: int) -> Token:
    end = start + 1
    while end < len(text) and (text[end].isalnum() or text[end] in "._" or text[end - 1] in "eE"):
        end += 1
    raw = text[start:end]
    try:
        return Token("number", raw, start, end, float(raw))
    except ValueError:
        raise FilterError(f"{raw!r} is not a number", text, (start, end)) from None


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def error(self, reason: str, token: Token | None = None) -> FilterError:
        token = token or self.token
        return FilterError(reason, self.text, (token.start, max(token.end, token.start + 1)))

    def keyword(self, word: str) -> bool:
        return self.token.kind == "ident" and self.token.text.lower() == word

    def parse(self) -> Expr:
        if self.token.kind == "end":
            raise self.error("empty filter: expected a condition such as year >= 2020")
        expr = self.disjunction()
        if self.token.kind != "end":
            raise self.error(f"expected 'and', 'or' or the end, found {self.token.text!r}")
        return expr

    def disjunction(self) -> Expr:
        parts = [self.conjunction()]
        first = self.token
        while self.keyword("or"):
            self.index += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Or(tuple(parts), (first.start, first.end))

    def conjunction(self) -> Expr:
        parts = [self.primary()]
        first = self.token
        while self.keyword("and"):
            self.index += 1
            parts.append(self.primary())
        return parts[0] if len(parts) == 1 else And(tuple(parts), (first.start, first.end))

    def primary(self) -> Expr:
        if self.token.kind == "lparen":
            self.index += 1
            expr = self.disjunction()
            if self.token.kind != "rparen":
                raise self.error(f"expected ')', found {self.token.text or 'the end'!r}")
            self.index += 1
            return expr
        return self.comparison()

    def comparison(self) -> Expr:
        key_token = self.token
        if key_token.kind != "ident" or key_token.text.lower() in ("and", "or", "in"):
            raise self.error(f"expected a metadata key, found {key_token.text or 'the end'!r}")
        self.index += 1
        key = parse_key(key_token.text)
        op_token = self.token
        if self.keyword("in"):
            self.index += 1
            return self.value_list(key, key_token)
        op = op_token.text.lower() if op_token.kind in ("op", "ident") else ""
        if op not in _OPERATORS:
            found = op_token.text or "the end"
            raise self.error(
                f"expected an operator (==, !=, <, <=, >, >=, includes, excludes, in) "
                f"after {key_token.text!r}, found {found!r}"
            )
        self.index += 1
        value_token = self.value()
        span = (key_token.start, value_token.end)
        assert value_token.value is not None
        value_span = (value_token.start, value_token.end)
        return Comparison(key, op, value_token.value, span, value_span, _span(key_token))

    def value(self) -> Token:
        token = self.token
        if token.kind not in ("number", "string"):
            hint = f' (strings need quotes: "{token.text}")' if token.kind == "ident" else ""
            raise self.error(
                f'expected a number or a "string", found {token.text or "the end"!r}{hint}'
            )
        self.index += 1
        return token

    def value_list(self, key: Key, key_token: Token) -> Expr:
        if self.token.kind != "lparen":
            raise self.error("expected '(' after 'in', as in lang in (\"en\", \"de\")")
        self.index += 1
        parts: list[Expr] = []
        while True:
            token = self.value()
            span = (key_token.start, token.end)
            assert token.value is not None
            value_span = (token.start, token.end)
            parts.append(Comparison(key, "==", token.value, span, value_span, _span(key_token)))
            if self.token.kind == "comma":
                self.index += 1
                continue
            if self.token.kind != "rparen":
                raise self.error(f"expected ',' or ')', found {self.token.text or 'the end'!r}")
            self.index += 1
            return parts[0] if len(parts) == 1 else Or(tuple(parts), _span(key_token))


def _span(token: Token) -> Span:
    return (token.start, token.end)


def parse(text: str) -> Expr:
    """Parse filter text into an expression (syntax only; :func:`compile_where` checks the rest)."""
    return _Parser(text).parse()


# --------------------------------------------------------------------------- compiler

WhereInput: TypeAlias = "str | Expr | Sequence[MetadataFilter | Mapping[str, Any]] | None"

_AND_IN_OR = (
    "'and' inside 'or' cannot be sent: the API ANDs filters and ORs conditions only within "
    "one key ('and' binds tighter than 'or'; group the alternatives, e.g. "
    '(lang == "en" or lang == "de") and year >= 2020)'
)


class _Compiler:
    def __init__(self, text: str | None, scope: Scope) -> None:
        self.text = text
        self.scope = scope

    def error(self, reason: str, span: Span | None) -> FilterError:
        return FilterError(reason, self.text, span)

    def groups(self, expr: Expr) -> list[list[Comparison]]:
        if isinstance(expr, And):
            return [group for part in expr.parts for group in self.groups(part)]
        if isinstance(expr, Or):
            return [self.alternatives(expr)]
        assert isinstance(expr, Comparison)
        return [[expr]]

    def alternatives(self, expr: Expr) -> list[Comparison]:
        if isinstance(expr, Comparison):
            return [expr]
        if isinstance(expr, And):
            raise self.error(_AND_IN_OR, expr.span)
        assert isinstance(expr, Or)
        result = [c for part in expr.parts for c in self.alternatives(part)]
        first = result[0]
        for other in result[1:]:
            if (other.key.name, other.key.level) != (first.key.name, first.key.level):
                raise self.error(
                    f"'or' can only join conditions on the same key, but it joins "
                    f"{first.key} and {other.key}: the API ORs conditions within one key and "
                    f"ANDs separate keys (run separate searches to combine different keys)",
                    other.key_span or other.span,
                )
        return result

    def check(self, comparison: Comparison) -> Condition:
        key, op, value = comparison.key, comparison.op, comparison.value
        at = comparison.value_span or comparison.span
        if op in _ORDERING and not isinstance(value, float):
            raise self.error(f"'{op}' compares numbers, but {value!r} is a string", at)
        if isinstance(value, float) and not math.isfinite(value):
            # NaN, inf, or a literal such as 1e999 that overflows: metadata numbers are finite.
            raise self.error(f"{format_number(value)} is not a finite number", at)
        if op in _LIST_OPS and not isinstance(value, str):
            raise self.error(
                f"'{op}' tests string-list metadata and needs a \"string\", "
                f"got {format_number(value)}",
                at,
            )
        known = _KNOWN_TYPES.get(key.name)
        if known is not None:
            self.check_known(comparison, known, at)
        if key.level == "document" and self.scope == "document":
            hint = "" if key.explicit else f" ({key.name!r} defaults to document level)"
            raise self.error(
                f"{key} is document metadata{hint}; a search inside one document can filter "
                f"chunk metadata only (write chunk.{key.name} if your chunks carry it)",
                comparison.span,
            )
        if isinstance(value, str):
            return Condition(operation=_OPERATORS[op], string_value=value)
        return Condition(operation=_OPERATORS[op], numeric_value=value)

    def check_known(self, comparison: Comparison, known: type, at: Span | None) -> None:
        name, op, value = comparison.key.name, comparison.op, comparison.value
        if op in _LIST_OPS:
            raise self.error(
                f"'{op}' tests string-list metadata, but {name!r} holds a single "
                f"{'string' if known is str else 'number'}; use == or !=",
                comparison.span,
            )
        if known is float and isinstance(value, str):
            raise self.error(f"{name!r} holds numbers: write {value} without quotes", at)
        if known is str and isinstance(value, float):
            raise self.error(
                f'{name!r} holds strings: write "{format_number(value)}" in quotes', at
            )

    def same_key_ands(self, groups: list[list[Comparison]]) -> None:
        seen: dict[tuple[str, Level], list[Comparison]] = {}
        for group in groups:
            key = (group[0].key.name, group[0].key.level)
            if key in seen:
                everything = seen[key] + group
                if not all(_is_numeric(c) for c in everything):
                    raise self.error(
                        f"{group[0].key} appears on both sides of 'and'; the API combines "
                        f"conditions on one key with 'and' only when all are numeric (ranges). "
                        f"Use 'or' for alternatives of a string key",
                        group[0].span,
                    )
                seen[key] = everything
            else:
                seen[key] = list(group)

    def compile(self, expr: Expr) -> list[MetadataFilter]:
        groups = self.groups(expr)
        filters = [
            MetadataFilter(key=group[0].key.wire, conditions=[self.check(c) for c in group])
            for group in groups
        ]
        self.same_key_ands(groups)
        return filters


def _is_numeric(comparison: Comparison) -> bool:
    return isinstance(comparison.value, float) and comparison.op not in _LIST_OPS


def compile_where(where: WhereInput, *, scope: Scope = "corpus") -> list[MetadataFilter]:
    """Compile filter text, a builder expression or ready filters to ``MetadataFilter``\\ s.

    Args:
        where: ``"year >= 2020 and lang == 'en'"``, ``F("year") >= 2020``, a list of
            ``MetadataFilter`` (or their dicts, passed through), or ``None`` (no filter).
        scope: ``"corpus"`` for ``corpora:query``; ``"document"`` for ``documents:query``,
            which rejects document-level keys.

    Raises:
        FilterError: the filter is malformed or cannot be expressed by the API; the message
            points at the mistake.
    """
    if where is None:
        return []
    if isinstance(where, str):
        if not where.strip():
            return []
        return _Compiler(where, scope).compile(parse(where))
    if isinstance(where, Expr):
        return _Compiler(None, scope).compile(where)
    return [
        item if isinstance(item, MetadataFilter) else MetadataFilter.model_validate(item)
        for item in where
    ]


def where(text: str, *, scope: Scope = "corpus") -> list[MetadataFilter]:
    """Shorthand for :func:`compile_where` on filter text."""
    return compile_where(text, scope=scope)
