"""Cutting a document's text into :class:`Section` objects at heading offsets."""

from __future__ import annotations

from collections.abc import Sequence

from ragkit.ingest.document import Section

__all__ = ["HeadingTrail", "split_sections", "strip_span"]


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` to exclude leading and trailing whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sections(
    text: str,
    boundaries: Sequence[tuple[int, tuple[str, ...]]],
    *,
    page: int | None = None,
    entries: frozenset[int] = frozenset(),
) -> list[Section]:
    """Cut ``text`` at each ``(offset, heading_path)`` boundary (offsets ascending).

    Text before the first boundary becomes a section with an empty heading path. Each section is
    stripped of surrounding whitespace; blank ones are dropped. Sections starting at an offset
    in ``entries`` are definition entries (:attr:`Section.entry`).
    """
    cuts: list[tuple[int, tuple[str, ...]]] = (
        [(0, ())] if not boundaries or boundaries[0][0] > 0 else []
    )
    cuts.extend(boundaries)
    sections: list[Section] = []
    for i, (offset, heading_path) in enumerate(cuts):
        stop = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        start, end = strip_span(text, offset, stop)
        if start < end:
            sections.append(
                Section(text[start:end], heading_path, page, page, start, offset in entries)
            )
    return sections


class HeadingTrail:
    """The stack of open headings; ``push(level, title)`` returns the new trail."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def push(self, level: int, title: str) -> tuple[str, ...]:
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, title))
        return tuple(title for _, title in self._stack)

    def close_below(self, level: int) -> tuple[str, ...]:
        """Close every heading deeper than ``level``; returns the remaining trail."""
        while self._stack and self._stack[-1][0] > level:
            self._stack.pop()
        return tuple(title for _, title in self._stack)
