"""Google's File Search ``metadataFilter`` syntax (AIP-160), compiled to ``MetadataFilter``\\ s.

File Search documents its filter as https://google.aip.dev/160, e.g.
``author = "Robert Graves" AND year >= 1930``. This module parses the part of AIP-160
that metadata filters use and hands the tree to :func:`ragkit.rag.filters.compile_where`,
so the same rules decide what the API can express (an AND of filters, each an OR of
conditions on one key)::

    expression := sequence ("AND" sequence)*
    sequence   := factor factor*               # juxtaposition also means AND
    factor     := term ("OR" term)*            # OR binds tighter than AND (AIP-160)
    term       := ["NOT" | "-"] simple
    simple     := "(" expression ")" | key OP value
    OP         := = | != | < | <= | > | >= | :     (":" is "has": the list includes it)
    value      := "string" | 'string' | number | bare-word (a string)

``NOT`` applies to a comparison only (``NOT a = 1`` is ``a != 1``, ``NOT tags:"x"``
excludes ``"x"``). Keys are metadata keys (``author``, or ``chunk.page_start``).

>>> [f.key for f in aip160_filters('author = "Robert Graves" AND year >= 1930')]
['document.custom_metadata.author', 'document.custom_metadata.year']
"""

from __future__ import annotations

from dataclasses import dataclass

from ragkit.rag._filter_ast import And, Comparison, Expr, FilterError, Or, parse_key
from ragkit.rag.filters import compile_where
from ragkit.types import MetadataFilter

__all__ = ["aip160_filters", "parse_aip160"]

_SYMBOLS = ("!=", "<=", ">=", "=", "<", ">", ":", "(", ")")
_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", ":": "includes"}
_NEGATED = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
    "includes": "excludes",
}


@dataclass(frozen=True)
class _Token:
    kind: str  # word, string, number, op, lparen, rparen, minus, end
    text: str
    start: int
    end: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "\"'":
            end = i + 1
            chars: list[str] = []
            while end < len(text) and text[end] != char:
                if text[end] == "\\" and end + 1 < len(text):
                    end += 1
                chars.append(text[end])
                end += 1
            if end >= len(text):
                raise FilterError(f"unterminated string: missing closing {char}", text, (i, end))
            tokens.append(_Token("string", "".join(chars), i, end + 1))
            i = end + 1
        elif char == "-" and (i + 1 >= len(text) or not text[i + 1].isdigit()):
            tokens.append(_Token("minus", "-", i, i + 1))
            i += 1
        elif char.isalnum() or char in "_.-":
            end = i + 1
            while end < len(text) and (text[end].isalnum() or text[end] in "_.-"):
                end += 1
            word = text[i:end]
            kind = "number" if _is_number(word) else "word"
            tokens.append(_Token(kind, word, i, end))
            i = end
        else:
            symbol = next((s for s in _SYMBOLS if text.startswith(s, i)), None)
            if symbol is None:
                raise FilterError(f"unexpected character {char!r}", text, (i, i + 1))
            kind = {"(": "lparen", ")": "rparen"}.get(symbol, "op")
            tokens.append(_Token(kind, symbol, i, i + len(symbol)))
            i += len(symbol)
    tokens.append(_Token("end", "", len(text), len(text)))
    return tokens


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def error(self, reason: str) -> FilterError:
        token = self.token
        return FilterError(reason, self.text, (token.start, max(token.end, token.start + 1)))

    def keyword(self, word: str) -> bool:
        return self.token.kind == "word" and self.token.text == word

    def parse(self) -> Expr:
        if self.token.kind == "end":
            raise self.error('empty filter: expected a condition such as author = "Graves"')
        expr = self.expression()
        if self.token.kind != "end":
            raise self.error(f"expected AND, OR or the end, found {self.token.text!r}")
        return expr

    def expression(self) -> Expr:
        parts = [self.sequence()]
        while self.keyword("AND"):
            self.index += 1
            parts.append(self.sequence())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def sequence(self) -> Expr:
        parts = [self.factor()]
        while self.token.kind in ("word", "string", "lparen", "minus") and not self.keyword("AND"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def factor(self) -> Expr:
        parts = [self.term()]
        while self.keyword("OR"):
            self.index += 1
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def term(self) -> Expr:
        negate = False
        if self.keyword("NOT") or self.token.kind == "minus":
            negate = True
            self.index += 1
        if self.token.kind == "lparen":
            if negate:
                raise self.error("NOT applies to a single comparison here, not to a group")
            self.index += 1
            expr = self.expression()
            if self.token.kind != "rparen":
                raise self.error(f"expected ')', found {self.token.text or 'the end'!r}")
            self.index += 1
            return expr
        return self.comparison(negate)

    def comparison(self, negate: bool) -> Expr:
        key = self.token
        if key.kind not in ("word", "string") or key.text in ("AND", "OR", "NOT"):
            raise self.error(f"expected a metadata key, found {key.text or 'the end'!r}")
        self.index += 1
        op = self.token
        if op.kind != "op":
            raise self.error(
                f"expected an operator (=, !=, <, <=, >, >=, :) after {key.text!r}, "
                f"found {op.text or 'the end'!r}"
            )
        self.index += 1
        value = self.token
        if value.kind not in ("word", "string", "number") or (
            value.kind == "word" and value.text in ("AND", "OR", "NOT")
        ):
            raise self.error(
                f"expected a value after {op.text!r}, found {value.text or 'the end'!r}"
            )
        self.index += 1
        parsed: float | str = float(value.text) if value.kind == "number" else value.text
        wire_op = _OPS[op.text]
        if negate:
            wire_op = _NEGATED[wire_op]
        span = (key.start, value.end)
        return Comparison(
            parse_key(key.text),
            wire_op,
            parsed,
            span,
            (value.start, value.end),
            (key.start, key.end),
        )


def parse_aip160(text: str) -> Expr:
    """Parse an AIP-160 filter into ragkit's filter expression tree.

    Raises:
        FilterError: the text is malformed; the message points at the mistake.
    """
    return _Parser(text).parse()


def aip160_filters(text: str | None) -> list[MetadataFilter]:
    """The ``MetadataFilter`` list an AIP-160 filter means (``[]`` for none).

    Raises:
        FilterError: the filter is malformed or the API cannot express it.
    """
    if text is None or not text.strip():
        return []
    return compile_where(parse_aip160(text))
