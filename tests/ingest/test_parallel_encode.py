"""A long text encoded in slices on several threads gives exactly the single-pass tokens."""

from __future__ import annotations

import random

import numpy as np

from ragkit.ingest import _token_index
from ragkit.tokenizers import get_encoding

PIECES = [
    "word",
    " word",
    "  two spaces",
    "\n",
    "\n\n",
    "\t",
    " 12345",
    "3.14",
    "naïve",
    "日本語の文",
    "emoji 🎉",
    " ",
    "   ",
    "CamelCase",
    "snake_case",
    "(paren)",
    " \n ",
    "—dash",
    "'s",
    "!?",
]


def _text(seed: int, size: int) -> str:
    rng = random.Random(seed)
    parts: list[str] = []
    while sum(map(len, parts)) < size:
        parts.append(rng.choice(PIECES))
    return "".join(parts)


def test_sliced_encoding_matches_one_pass() -> None:
    encoding = get_encoding("cl100k_base")
    for seed in range(3):
        text = _text(seed, 4 * _token_index._PARALLEL_SLICE_CHARS)
        one = _token_index._encode_one(encoding, text)
        assert np.array_equal(_token_index._encode(encoding, text), one)
        assert len(one) == len(encoding.encode_ordinary(text))
