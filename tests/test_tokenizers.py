"""Offline token counting: ragkit.tokenizers builds cl100k_base from its own data file."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ragkit import tokenizers
from ragkit.tokenizers import (
    SHIPPED_ENCODINGS,
    count_tokens,
    get_encoding,
    get_ordinary_encoder,
    load_ranks,
)

CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
SHIPPED_FILE = Path(tokenizers.__file__).parent / "data" / "cl100k_base.tiktoken"


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make get_encoding build the encoding again instead of reusing a cached one."""
    monkeypatch.setattr(tokenizers, "_cache", {})


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("network disabled by test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")


def test_known_token_ids() -> None:
    encoding = get_encoding()
    assert encoding.name == "cl100k_base"
    assert encoding.encode("hello world") == [15339, 1917]
    assert encoding.encode("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]
    assert encoding.decode([83, 1609, 5963, 374, 2294, 0]) == "tiktoken is great!"
    assert encoding.n_vocab == 100_277


def test_count_tokens_treats_special_tokens_as_text() -> None:
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("<|endoftext|>") > 1
    assert count_tokens("hello world", encoding="cl100k_base") == 2


@pytest.mark.usefixtures("fresh_cache", "no_network")
def test_builds_without_network_or_tiktoken_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "tiktoken-cache"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache_dir))
    environ_before = dict(os.environ)

    assert count_tokens("offline is fine") == len(get_encoding().encode("offline is fine"))

    assert not cache_dir.exists()
    assert dict(os.environ) == environ_before


def test_encoding_is_cached() -> None:
    assert get_encoding() is get_encoding("cl100k_base")


def test_unknown_encoding_is_a_clear_error() -> None:
    assert SHIPPED_ENCODINGS == ("cl100k_base",)
    with pytest.raises(ValueError, match=r"'o200k_base' is not shipped.*cl100k_base"):
        get_encoding("o200k_base")
    with pytest.raises(ValueError, match="not shipped"):
        count_tokens("x", encoding="gpt2")


def test_shipped_file_matches_tiktokens_expected_hash() -> None:
    spec = importlib.util.find_spec("tiktoken_ext.openai_public")
    assert spec is not None and spec.origin is not None
    assert f'expected_hash="{CL100K_SHA256}"' in Path(spec.origin).read_text(encoding="utf-8")
    assert len(load_ranks(SHIPPED_FILE, CL100K_SHA256)) == 100_256


def test_parser_agrees_with_tiktoken_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    from tiktoken.load import load_tiktoken_bpe

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # tiktoken: "" disables its cache
    expected = load_tiktoken_bpe(str(SHIPPED_FILE), expected_hash=CL100K_SHA256)
    assert load_ranks(SHIPPED_FILE, CL100K_SHA256) == expected


def test_corrupted_copy_is_rejected(tmp_path: Path) -> None:
    data = bytearray(SHIPPED_FILE.read_bytes())
    data[100] ^= 0x01
    corrupted = tmp_path / "cl100k_base.tiktoken"
    corrupted.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"corrupted: sha256 [0-9a-f]{64}, expected 223921b7"):
        load_ranks(corrupted, CL100K_SHA256)


@pytest.mark.usefixtures("fresh_cache")
def test_get_encoding_checks_the_shipped_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cl100k_base.tiktoken").write_bytes(SHIPPED_FILE.read_bytes()[:-10])
    monkeypatch.setattr(tokenizers, "_DATA_DIR", tmp_path)
    with pytest.raises(ValueError, match="Reinstall ragkit"):
        get_encoding()


def test_malformed_line_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tiktoken"
    content = b"IQ== 0\nnot-base64! 1\n"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match="line 2: malformed"):
        load_ranks(bad, hashlib.sha256(content).hexdigest())


def test_import_is_light() -> None:
    code = (
        "import sys, ragkit.tokenizers; "
        "heavy = {'numpy', 'tiktoken'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- get_ordinary_encoder: bpe-openai (ragkit[speedups]) when installed, else tiktoken --------

#: Inputs where two cl100k implementations on different regex engines could disagree, and
#: where they were checked to agree: whitespace after a final newline (tiktoken's ``\s++$``
#: against bpe-openai's rewritten lookahead), CRLF, Unicode spaces and separators,
#: contractions, letters with combining marks, digits of other scripts, emoji sequences, CJK,
#: special-token text, control characters, long runs of one character.
TRICKY = [
    "",
    "a\n ",
    "a\n  ",
    "foo\n  bar  \n ",
    "x \n\t ",
    "\n\n  ",
    "a\r\n \r\n  ",
    "  \n  \n",
    "trailing   ",
    " \u00a0\u3000\u2028\u2029\u0085\u1680\u200b\ufeff end \u000b\u000c",
    "\x1c\x1d\x1e\x1f x\x1f y",
    "Don't WE'LL they'Re I'm it's 's 'S '",
    "e\u0301 \u0915\u093f\u0902 \u0e44\u0e17\u0e22 \u05e2\u05d1\u05e8\u05d9\u05ea",
    "\u0663\u0664 \u096a\u096b 12345678901234567890 3.14159 1,000,000 \u00bd \u00b2 \u216b",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 \U0001f1eb\U0001f1f7",
    "1\ufe0f\u20e3 \U0001fae8 \U0001f44d\U0001f3fd",
    "\u65e5\u672c\u8a9e\u306e\u6587\u3002\ud55c\uad6d\uc5b4 \U00020000\U0002a700",
    "<|endoftext|> <|fim_prefix|> <|endofprompt|>",
    "def f(x):\n    return x  # c\r\n\r\n\tif (a&&b) { c++; }",
    "\x00\x01\x7f",
    " " * 5000 + "x",
    "a" * 20_000,
    "\n" * 3000 + " " * 3000,
    "!" * 999 + "'s" * 500,
]


class _Recorder:
    """A bpe-openai stand-in that records the longest text it is given."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.longest = 0

    def encode(self, text: str) -> list[int]:
        self.longest = max(self.longest, len(text))
        result: list[int] = self.real.encode(text)
        return result

    def count(self, text: str) -> int:
        self.longest = max(self.longest, len(text))
        result: int = self.real.count(text)
        return result


@pytest.fixture
def fresh_encoders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokenizers, "_encoders", {})


def test_bpe_openai_is_used_when_installed() -> None:
    encoder = get_ordinary_encoder()
    assert encoder.backend == "bpe-openai"  # ragkit[dev] installs ragkit[speedups]
    assert get_ordinary_encoder("cl100k_base") is encoder
    assert encoder.encoding is get_encoding()
    with pytest.raises(ValueError, match="not shipped"):
        get_ordinary_encoder("o200k_base")


@pytest.mark.parametrize("text", TRICKY, ids=range(len(TRICKY)))
def test_both_backends_encode_exactly_as_encode_ordinary(text: str) -> None:
    expected = get_encoding().encode_ordinary(text)
    fast = get_ordinary_encoder()
    for encoder in (fast, tokenizers.OrdinaryEncoder(fast.encoding)):
        assert encoder.encode(text) == expected
        assert encoder.encode_to_numpy(text).tolist() == expected
        assert encoder.count(text) == len(expected)


def test_every_code_point_encodes_as_tiktoken_does() -> None:
    """Every Unicode scalar value of the planes in use, next to a letter, a digit, a space
    and a newline: a difference in the two regex engines' letter, number or whitespace
    tables (e.g. a newer Unicode version on one side) shows here. Planes 4-13 have never
    had an assigned character."""
    encoding, fast = get_encoding(), get_ordinary_encoder()
    scalars = [chr(c) for c in [*range(0xD800), *range(0xE000, 0x40000), *range(0xE0000, 0x110000)]]
    for block in range(0, len(scalars), 8192):
        text = "".join(f"x{c}1{c} {c}\n" for c in scalars[block : block + 8192])
        assert fast.encode(text) == encoding.encode_ordinary(text), hex(ord(scalars[block]))


def test_no_token_runs_from_a_newline_into_trailing_whitespace() -> None:
    """Why the one known difference between the two is harmless. At the end of a text,
    tiktoken's ``\\s++$`` makes "\\n  " one piece, where bpe-openai's rewritten pattern makes
    "\\n" and "  " two. The tokens agree because no cl100k token holds a newline followed by
    whitespace (or the start of a multi-byte space) that does not end in a newline again."""
    encoding = get_encoding()
    spaces = [c.encode() for c in map(chr, range(0x80, 0x3001)) if c.isspace()]
    parts = {space[:n] for space in spaces for n in range(1, len(space) + 1)}
    partial = sorted(parts, key=len, reverse=True)  # a whole space before a part of one
    crossing = []
    for token in range(encoding.n_vocab):
        try:
            data = encoding.decode_single_token_bytes(token)
        except KeyError:
            continue
        tail = re.search(rb"[\r\n]([^\r\n]+)\Z", data)
        if tail is not None:
            rest = tail.group(1).lstrip(b" \t\x0b\x0c")
            while rest and not rest.isascii():
                prefix = next((s for s in partial if rest.startswith(s)), b"")
                if not prefix:
                    break
                rest = rest[len(prefix) :].lstrip(b" \t\x0b\x0c")
            if not rest:
                crossing.append(data)
    assert crossing == []
    assert encoding.encode_ordinary("a\n  ") == get_ordinary_encoder().encode("a\n  ")


def test_long_texts_are_encoded_in_slices_with_the_same_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bpe-openai holds the GIL while it encodes, so a long text is given to it in slices
    cut where the encoding cannot change."""
    encoding = get_encoding()
    recorder = _Recorder(get_ordinary_encoder()._fast)
    encoder = tokenizers.OrdinaryEncoder(encoding, recorder)
    monkeypatch.setattr(tokenizers, "_SLICE_CHARS", 256)
    text = " ".join(TRICKY[1:-4]) * 40  # ~25 K characters with a cut every few words
    expected = encoding.encode_ordinary(text)
    assert encoder.encode(text) == expected
    assert encoder.encode_to_numpy(text).tolist() == expected
    assert encoder.count(text) == len(expected)
    assert 0 < recorder.longest <= 256
    # Without a space between two non-spaces there is no safe cut: one call.
    assert encoder.encode("a" * 1000) == encoding.encode_ordinary("a" * 1000)
    assert recorder.longest == 1000


def test_lone_surrogates_are_encoded_as_tiktoken_does() -> None:
    text = "a\ud800b \udfff"
    expected = get_encoding().encode_ordinary(text)
    encoder = get_ordinary_encoder()
    assert encoder.encode(text) == expected
    assert encoder.count(text) == len(expected)
    assert encoder.encode(text * 20_000) == get_encoding().encode_ordinary(text * 20_000)


@pytest.mark.usefixtures("fresh_encoders")
def test_a_disagreeing_backend_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    class OffByOne:
        def encode(self, text: str) -> list[int]:
            return [1, *get_encoding().encode_ordinary(text)]

        def count(self, text: str) -> int:
            return len(self.encode(text))

    monkeypatch.setattr(tokenizers, "_load_bpe_openai", lambda name: OffByOne())
    assert get_ordinary_encoder().backend == "tiktoken"


@pytest.mark.usefixtures("fresh_encoders", "no_network")
def test_falls_back_to_tiktoken_without_bpe_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "bpe_openai._bindings", raising=False)
    monkeypatch.setitem(sys.modules, "bpe_openai", None)  # as if not installed
    encoder = get_ordinary_encoder()
    assert encoder.backend == "tiktoken"
    assert encoder.encode("hello world") == [15339, 1917]


def test_bpe_openai_loads_offline_and_its_package_still_imports_after() -> None:
    """ragkit loads bpe-openai's native module alone, without network; importing the
    package afterwards (a native module initialises once per process) still works."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network disabled')\n"
        "socket.socket = socket.create_connection = socket.getaddrinfo = refuse\n"
        "import sys\n"
        "from ragkit.tokenizers import get_ordinary_encoder\n"
        "encoder = get_ordinary_encoder()\n"
        "assert encoder.backend == 'bpe-openai', encoder.backend\n"
        "assert encoder.encode('hello world') == [15339, 1917]\n"
        "assert 'bpe_openai' not in sys.modules\n"
        "import bpe_openai\n"
        "assert bpe_openai.get_encoding('cl100k_base').encode_ordinary('hi there') == "
        "encoder.encode('hi there')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
