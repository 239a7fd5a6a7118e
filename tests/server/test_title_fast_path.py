"""The title fast path (two scans before the regex) finds exactly what the regex finds."""

from __future__ import annotations

import random

import pytest

from ragkit.server.models import titles

CASES = [
    "Appendix M. Glossary > Primary key\n\nA special case of a unique constraint.",
    "  \n\nTitle here  \n \n body",
    "No title. Just text.\n\nMore",
    "Logger (process)\n\nx",
    "Why is it slow?\n\nBecause.",
    "Title\n\n",
    "Title\nnext line\n\nbody",
    "word " * 300,
    "",
    "\n\n\n",
    "A > B\n \t\nC",
    "Title\r\n\r\nbody",
    "Title \t\n\t\n  body",
]


def _expected(text: str) -> tuple[int, str]:
    found = titles._TITLE.match(text)
    return (found.end(), found.group(1).strip()) if found else (0, "")


@pytest.mark.parametrize("text", CASES)
def test_known_shapes(text: str) -> None:
    assert (titles.title_end(text), titles.title(text)) == _expected(text)


def test_random_texts_of_title_characters() -> None:
    rng = random.Random(18)
    alphabet = "ab .?)\n\t\r:>"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert (titles.title_end(text), titles.title(text)) == _expected(text), repr(text)
