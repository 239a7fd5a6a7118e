"""Does bpe-openai encode exactly as tiktoken's cl100k ``encode_ordinary``? Evidence, not a test.

ragkit's chunker encodes with bpe-openai when it is installed (``ragkit[speedups]``), so the
two must agree token for token on any text. This compares ``get_ordinary_encoder()`` (bpe-
openai, sliced as ragkit slices long texts) with tiktoken on, each when asked:

* ``--files``: real text: the bench corpus's docstrings (all of them), every ``.py`` file of
  the standard library, the text files (txt, rst, md, html, json, csv, xml, pyi, toml, cfg) of
  the standard library and installed packages, and every text file of this repository;
* ``--fuzz N``: N random strings (seeded by ``--seed``) built from whitespace of every kind
  (CRLF, no-break and ideographic spaces, separators), contractions, accented and non-Latin
  words, marks, digits of several scripts, punctuation, emoji sequences, CJK, code, control
  characters, random code points of every plane, runs of one character up to 20,000 long and
  trailing or leading whitespace;
* ``--exhaustive L``: every string of up to L characters over 14 tricky ones;
* ``--code-points``: every Unicode scalar value in four contexts (next to letters, digits,
  spaces, a newline, an apostrophe);
* ``--slices``: the above ``--files`` docstrings and 20,000 fuzzed strings again with ragkit's
  slice length set to 4-1,000 characters, so every safe cut is taken.

Every check also compares ``count``. Prints the number of inputs and of differences (and the
first differing inputs). Run::

    .venv/bin/python bench/check_tokeniser_identity.py --files --fuzz 100000 --exhaustive 5 \
        --code-points --slices
"""

# ruff: noqa: RUF001  (digits, dashes and primes of other scripts are the point here)

from __future__ import annotations

import argparse
import itertools
import random
import sys
import sysconfig
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_chunking import stdlib_docstrings

from ragkit import tokenizers
from ragkit.tokenizers import get_encoding, get_ordinary_encoder

_ROOT = Path(__file__).resolve().parent.parent
_TEXT_FILES = ("*.txt", "*.rst", "*.md", "*.html", "*.json", "*.csv", "*.xml", "*.pyi", "*.toml")
_WHITESPACE = [
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\x0b",
    "\x0c",
    "\u00a0",
    "\u2028",
    "\u2029",
    "\u3000",
    "\u1680",
    "\u0085",
    "\u2003",
    "\u200b",
    "\ufeff",
    " \n",
    "\n ",
    "\t\n",
    " \r\n ",
]
_CONTRACTIONS = [
    "'s",
    "'t",
    "'re",
    "'ve",
    "'m",
    "'ll",
    "'d",
    "'S",
    "'T",
    "'RE",
    "'Ve",
    "'LL",
    "'D",
    "\u2019s",
    "'x",
    "''",
    "'",
    "n't",
    "'sd",
    "'lL",
]
_WORDS = [
    "hello",
    "world",
    "The",
    "don",
    "I",
    "naïve",
    "café",
    "Straße",
    "İstanbul",
    "ǅ",
    "ﬁ",
    "Ⅻ",
    "½",
    "²",
    "٣",
    "๓",
    "a",
    "Z",
    "e\u0301",
    "ÆØÅ",
    "ΑΒΓ",
    "щи",
    "العربية",
    "हिन्दी",
    "क्षि",
    "ไทย",
    "עברית",
    "ქართული",
    "አማርኛ",
    "ᚠᛇᚻ",
    "𐌰𐌱",
    "\u0915\u093f\u0902",
]
_SYMBOLS = [
    "😀",
    "👍🏽",
    "👨\u200d👩\u200d👧\u200d👦",
    "🇫🇷",
    "❤️",
    "🏳️\u200d🌈",
    "1️⃣",
    "\U0001fae8",
    "中文",
    "日本語のテキスト",
    "한국어",
    "ｶﾀｶﾅ",
    "。",
    "「引用」",
    "𠀀",
    "\U00031350",
]
_CODE = [
    "def f(x):\n    return x+1\n",
    "if (a&&b) { c++; }",
    "x = [1, 2, 3]",
    "    ",
    "\t\t",
    "/* */",
    "#include <stdio.h>",
    '<div class="a">',
    "http://example.com/a?b=c&d=e",
    "__init__",
    "0x1F",
    "1e-10",
    "3.14159",
    "1,000,000",
    "12345678901234567890",
    "->",
    "...",
    "!!!",
    "```python\n",
    "| a | b |",
    "\\n",
    "C:\\Users\\x",
    "<|endoftext|>",
]
_DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩०१२३४५६७८९"
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»—–…•·§¶†‡‰′″"
_RUNS = [" ", "\n", "a", "1", "!", "\t", "\r\n", "中", "😀", "ab", " a", "'s", "-", "é", "\u3000"]
_ALPHABET = [
    " ",
    "\n",
    "\r",
    "\t",
    "a",
    "1",
    "!",
    "'",
    "s",
    "\u00a0",
    "\u0301",
    "中",
    "\u3000",
    "L",
]


def fuzzed(rng: random.Random, count: int) -> Iterator[str]:
    def code_point() -> str:
        while True:
            top = rng.choice([0x80, 0x800, 0x10000, 0x110000])
            value = rng.randrange(0x20 if top == 0x80 else top // 16, top)
            if not 0xD800 <= value <= 0xDFFF:
                return chr(value)

    def piece() -> str:
        kind = rng.random()
        if kind < 0.16:
            return rng.choice(_WHITESPACE) * rng.choice([1, 1, 1, rng.randrange(1, 8)])
        if kind < 0.26:
            return rng.choice(_CONTRACTIONS)
        if kind < 0.44:
            return rng.choice(_WORDS)
        if kind < 0.56:
            return rng.choice(_SYMBOLS)
        if kind < 0.64:
            return rng.choice(_CODE)
        if kind < 0.70:
            return "".join(rng.choice(_DIGITS) for _ in range(rng.randrange(1, 9)))
        if kind < 0.76:
            return "".join(rng.choice(_PUNCTUATION) for _ in range(rng.randrange(1, 5)))
        if kind < 0.92:
            return "".join(code_point() for _ in range(rng.randrange(1, 6)))
        if kind < 0.97:
            return chr(rng.randrange(0, 0x20))
        return rng.choice(_RUNS) * rng.choice([50, 200, 1000, 5000, 20000])

    for _ in range(count):
        text = "".join(piece() for _ in range(rng.choice([1, 2, 3, 5, 8, 13, 30])))
        where = rng.random()
        if where < 0.2:
            text += rng.choice(_WHITESPACE) * rng.randrange(1, 4)
        elif where < 0.3:
            text = rng.choice(_WHITESPACE) + text
        yield text


def real_texts() -> Iterator[str]:
    yield from stdlib_docstrings(10_000.0)
    paths = sysconfig.get_paths()
    files = sorted(Path(paths["stdlib"]).rglob("*.py"))
    for root in (paths["stdlib"], paths["purelib"]):
        files += [path for pattern in _TEXT_FILES for path in sorted(Path(root).rglob(pattern))]
    files += [
        path
        for path in sorted(_ROOT.rglob("*"))
        if path.is_file() and not {".venv", ".git"} & set(path.parts)
    ]
    for path in files:
        try:
            if path.stat().st_size <= 5_000_000:
                yield path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue


def exhaustive(length: int) -> Iterator[str]:
    for size in range(1, length + 1):
        for combination in itertools.product(_ALPHABET, repeat=size):
            yield "".join(combination)


def in_context() -> Iterator[str]:
    for value in range(0x110000):
        if not 0xD800 <= value <= 0xDFFF:
            c = chr(value)
            yield from (f"x{c}y {c}{c}1{c} {c}\n{c}'{c}s{c}", f"{c} ", f" {c}", f"{c}\n ")


def compare(label: str, texts: Iterable[str]) -> int:
    encoding, encoder = get_encoding(), get_ordinary_encoder()
    count = characters = differences = 0
    started = time.perf_counter()
    for text in texts:
        count += 1
        characters += len(text)
        expected = encoding.encode_ordinary(text)
        if encoder.encode(text) != expected or encoder.count(text) != len(expected):
            differences += 1
            if differences <= 10:
                print(f"  DIFFERENT: {text[:200]!r} ({len(text):,} characters)")
    print(
        f"{label}: {count:,} texts, {characters:,} characters, {differences} different "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    return differences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", action="store_true")
    parser.add_argument("--fuzz", type=int, default=0, metavar="N")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exhaustive", type=int, default=0, metavar="L")
    parser.add_argument("--code-points", action="store_true")
    parser.add_argument("--slices", action="store_true")
    args = parser.parse_args()
    if get_ordinary_encoder().backend != "bpe-openai":
        raise SystemExit("bpe-openai is not installed: pip install 'ragkit[speedups]'")
    differences = 0
    if args.files:
        differences += compare("real text files", real_texts())
    if args.fuzz:
        differences += compare(
            f"fuzzed (seed {args.seed})", fuzzed(random.Random(args.seed), args.fuzz)
        )
    if args.exhaustive:
        differences += compare(f"every string up to {args.exhaustive}", exhaustive(args.exhaustive))
    if args.code_points:
        differences += compare("every code point in context", in_context())
    if args.slices:
        saved = tokenizers._SLICE_CHARS
        try:
            for size in (4, 16, 64, 1000):
                tokenizers._SLICE_CHARS = size
                texts = itertools.chain(stdlib_docstrings(1.0), fuzzed(random.Random(size), 5_000))
                differences += compare(f"sliced every {size} characters", texts)
        finally:
            tokenizers._SLICE_CHARS = saved
    print(f"total: {differences} different")
    raise SystemExit(1 if differences else 0)


if __name__ == "__main__":
    main()
