"""A small parser for YAML-ish front matter, enough for Markdown metadata without PyYAML.

Understood: ``key: value`` scalars (quoted or not, ``# comments`` dropped), numbers (as float),
inline lists ``[a, "b, c"]``, block lists of ``- item`` lines, and ``|``/``>`` block scalars.
``null``/``~``/empty values are skipped, booleans stay strings (``"true"``), and nested mappings
are skipped rather than guessed at.
"""

from __future__ import annotations

import re

from ragkit.ingest.document import MetadataValue

__all__ = ["parse_front_matter", "split_front_matter"]

_OPEN = re.compile(r"---[ \t]*\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_KEY = re.compile(r"^([^\s#:][^:]*?)[ \t]*:(?:[ \t]+(.*?))?[ \t]*$")
_LIST_ITEM = re.compile(r"^[ \t]*-[ \t]+(.*?)[ \t]*$")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'')
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


def split_front_matter(text: str) -> tuple[str | None, int]:
    """Find a front-matter block at the very start of ``text``.

    Returns ``(block, body_offset)``: the lines between the ``---`` fences (``None`` when there
    is no complete block) and the offset where the body starts (0 without front matter).
    """
    opening = _OPEN.match(text)
    if opening is None:
        return None, 0
    closing = _CLOSE.search(text, opening.end())
    if closing is None:
        return None, 0
    body = closing.end() + 1 if text.startswith("\n", closing.end()) else closing.end()
    return text[opening.end() : closing.start()], body


def parse_front_matter(block: str) -> dict[str, MetadataValue]:
    """Parse a front-matter block into metadata (see the module docstring for the subset)."""
    result: dict[str, MetadataValue] = {}
    lines = block.split("\n")
    i = 0
    while i < len(lines):
        match = _KEY.match(lines[i])
        i += 1
        if match is None:
            continue
        key, raw = match.group(1).strip(), (match.group(2) or "")
        if raw in ("|", "|-", "|+", ">", ">-", ">+"):
            body, i = _indented_block(lines, i)
            value: MetadataValue = ("\n" if raw[0] == "|" else " ").join(body).strip()
        elif raw.startswith("["):
            value = _inline_list(raw)
        elif not _strip_comment(raw):
            items, i = _block_list(lines, i)
            if items is None:
                continue
            value = items
        else:
            scalar = _scalar(raw)
            if scalar is None:
                continue
            value = scalar
        result[key] = value
    return result


def _indented_block(lines: list[str], i: int) -> tuple[list[str], int]:
    body: list[str] = []
    while i < len(lines) and (not lines[i].strip() or lines[i][:1] in " \t"):
        body.append(lines[i].strip())
        i += 1
    return body, i


def _block_list(lines: list[str], i: int) -> tuple[list[str] | None, int]:
    items: list[str] = []
    while i < len(lines):
        item = _LIST_ITEM.match(lines[i])
        if item is None:
            if lines[i].strip() and lines[i][:1] in " \t":
                # An indented non-list line: a nested mapping we do not interpret.
                return None, _indented_block(lines, i)[1]
            break
        value = _scalar(item.group(1))
        if value is not None:
            items.append(str(value) if not isinstance(value, float) else item.group(1))
        i += 1
    return (items or None), i


def _inline_list(raw: str) -> list[str]:
    inner = raw.strip()
    inner = inner[1 : inner.rindex("]")] if "]" in inner else inner[1:]
    items: list[str] = []
    for part in re.findall(r'\s*("[^"]*"|\'[^\']*\'|[^,]+)', inner):
        part = part.strip()
        if part and part != ",":
            items.append(_unquote(part))
    return items


def _scalar(raw: str) -> str | float | None:
    raw = raw.strip()
    quoted = _QUOTED.match(raw)
    if quoted is not None:
        return _unquote(quoted.group(0))
    raw = _strip_comment(raw)
    if raw in _NULLS:
        return None
    if _NUMBER.fullmatch(raw):
        return float(raw)
    return raw


def _strip_comment(raw: str) -> str:
    cut = raw.find(" #")
    raw = raw[:cut] if cut >= 0 else raw
    return "" if raw.startswith("#") else raw.strip()


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in ("'", '"'):
        inner = raw[1:-1]
        return inner.replace("''", "'") if raw[0] == "'" else inner.replace('\\"', '"')
    return raw
