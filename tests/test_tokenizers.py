"""Offline token counting: ragkit.tokenizers builds cl100k_base from its own data file."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ragkit import tokenizers
from ragkit.tokenizers import SHIPPED_ENCODINGS, count_tokens, get_encoding, load_ranks

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
