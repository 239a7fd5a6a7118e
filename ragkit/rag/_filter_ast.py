"""The expression tree of :mod:`ragkit.rag.filters`, and its error type.

Parsed text and :class:`~ragkit.rag.filters.F` builder expressions both produce these
nodes; the compiler in :mod:`ragkit.rag.filters` turns them into ``MetadataFilter``\\ s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ragkit import provenance

__all__ = [
    "And",
    "Comparison",
    "Expr",
    "FilterError",
    "Key",
    "Level",
    "Or",
    "Span",
    "Value",
    "default_level",
    "format_number",
    "parse_key",
]

Level = Literal["document", "chunk"]
Value = float | str
#: ``(start, end)`` character offsets in the filter text.
Span = tuple[int, int]

_LEVEL_PREFIXES: dict[str, Level] = {"doc": "document", "document": "document", "chunk": "chunk"}


class FilterError(ValueError):
    """A filter that cannot be compiled; ``str()`` shows the text with a caret under the mistake.

    Attributes:
        reason: the problem in one sentence.
        text: the filter text (``None`` for builder expressions).
        span: ``(start, end)`` character offsets of the mistake in ``text``.
    """

    def __init__(self, reason: str, text: str | None = None, span: Span | None = None) -> None:
        self.reason = reason
        self.text = text
        self.span = span
        super().__init__(self._render())

    @property
    def column(self) -> int | None:
        """1-based column of the mistake, when known."""
        return None if self.span is None else self.span[0] + 1

    def _render(self) -> str:
        if self.text is None or self.span is None:
            return f"invalid filter: {self.reason}"
        start, end = self.span
        line = self.text.replace("\n", " ")
        marker = " " * start + "^" * max(1, end - start)
        return f"invalid filter at column {start + 1}: {self.reason}\n  {line}\n  {marker}"


@dataclass(frozen=True)
class Key:
    """A metadata key and its level; ``explicit`` is false when the level was defaulted."""

    name: str
    level: Level
    explicit: bool = True

    @property
    def wire(self) -> str:
        return f"{self.level}.custom_metadata.{self.name}"

    def __str__(self) -> str:
        if not self.explicit:
            return self.name
        return f"{'doc' if self.level == 'document' else 'chunk'}.{self.name}"


class Expr:
    """A filter expression; combine with ``&`` (and) and ``|`` (or)."""

    span: Span | None = None

    def __and__(self, other: Expr) -> And:
        return And((self, other))

    def __or__(self, other: Expr) -> Or:
        return Or((self, other))

    def __bool__(self) -> bool:
        # `a < b < c` and `x and y` on expressions would silently drop a part.
        raise TypeError("use & and | to combine filter expressions, not 'and'/'or'")


@dataclass(frozen=True, eq=False)
class Comparison(Expr):
    """``key OP value``."""

    key: Key
    op: str
    value: Value
    span: Span | None = None
    value_span: Span | None = None
    key_span: Span | None = None

    def __str__(self) -> str:
        value = f'"{self.value}"' if isinstance(self.value, str) else format_number(self.value)
        return f"{self.key} {self.op} {value}"


@dataclass(frozen=True, eq=False)
class And(Expr):
    parts: tuple[Expr, ...]
    span: Span | None = None

    def __str__(self) -> str:
        return " and ".join(f"({p})" if isinstance(p, Or) else str(p) for p in self.parts)


@dataclass(frozen=True, eq=False)
class Or(Expr):
    parts: tuple[Expr, ...]
    span: Span | None = None

    def __str__(self) -> str:
        return " or ".join(f"({p})" if isinstance(p, And) else str(p) for p in self.parts)


def default_level(name: str) -> Level:
    return "chunk" if name in provenance.CHUNK_KEYS else "document"


def parse_key(text: str) -> Key:
    head, dot, rest = text.partition(".")
    if dot and head.lower() in _LEVEL_PREFIXES and rest:
        level = _LEVEL_PREFIXES[head.lower()]
        if rest.startswith("custom_metadata.") and len(rest) > len("custom_metadata."):
            rest = rest[len("custom_metadata.") :]
        return Key(rest, level)
    return Key(text, default_level(text), explicit=False)


def format_number(value: Value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
