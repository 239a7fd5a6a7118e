"""Token counting that works offline.

tiktoken normally downloads its vocabularies on first use, which fails on an offline machine.
ragkit ships the ``cl100k_base`` ranks file itself (``ragkit/data/``), checks its sha256 on
load and builds the :class:`tiktoken.Encoding` directly: no network, no tiktoken cache
directory, no change to ``os.environ``.

Importing this module is cheap; tiktoken is imported on the first call.

Example::

    from ragkit.tokenizers import count_tokens

    count_tokens("hello world")  # 2
"""

from __future__ import annotations

import base64
import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import tiktoken

__all__ = ["SHIPPED_ENCODINGS", "count_tokens", "get_encoding", "load_ranks"]

_DATA_DIR = Path(__file__).parent / "data"


class _Shipped(NamedTuple):
    filename: str
    sha256: str
    pat_str: str
    special_tokens: dict[str, int]


# Pattern and special tokens as in tiktoken_ext/openai_public.py (tiktoken 0.14.0); the sha256
# is the expected_hash tiktoken pins for the file at openaipublic.blob.core.windows.net.
_ENCODINGS: dict[str, _Shipped] = {
    "cl100k_base": _Shipped(
        filename="cl100k_base.tiktoken",
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=(
            r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
            r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
        ),
        special_tokens={
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
}

#: Names :func:`get_encoding` can build without a network.
SHIPPED_ENCODINGS: tuple[str, ...] = tuple(_ENCODINGS)

_lock = threading.Lock()
_cache: dict[str, tiktoken.Encoding] = {}


def get_encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """The tiktoken encoding ``name``, built from ragkit's own data file (cached).

    Raises:
        ValueError: ``name`` is not one of :data:`SHIPPED_ENCODINGS`, or the shipped file
            fails its sha256 check (a corrupted installation).
    """
    shipped = _ENCODINGS.get(name)
    if shipped is None:
        raise ValueError(
            f"Encoding {name!r} is not shipped with ragkit (offline encodings: "
            f"{', '.join(SHIPPED_ENCODINGS)})."
        )
    with _lock:
        encoding = _cache.get(name)
        if encoding is None:
            import tiktoken

            encoding = tiktoken.Encoding(
                name,
                pat_str=shipped.pat_str,
                mergeable_ranks=load_ranks(_DATA_DIR / shipped.filename, shipped.sha256),
                special_tokens=shipped.special_tokens,
            )
            _cache[name] = encoding
        return encoding


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    """How many tokens ``text`` encodes to; special-token strings count as plain text."""
    return len(get_encoding(encoding).encode_ordinary(text))


def load_ranks(path: Path, expected_sha256: str) -> dict[bytes, int]:
    """Read a ``.tiktoken`` ranks file (``base64-token rank`` per line) after checking its hash.

    tiktoken's own ``load_tiktoken_bpe`` would also copy the file into its cache directory
    (and fail if a user-set ``TIKTOKEN_CACHE_DIR`` is read-only), so the file is parsed here.

    Raises:
        ValueError: the sha256 of the file is not ``expected_sha256``, or a line is malformed.
        OSError: the file cannot be read.
    """
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ValueError(
            f"Token vocabulary {path} is corrupted: sha256 {actual}, expected "
            f"{expected_sha256}. Reinstall ragkit."
        )
    ranks: dict[bytes, int] = {}
    for number, line in enumerate(data.splitlines(), start=1):
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except ValueError as exc:
            raise ValueError(f"{path}, line {number}: malformed ranks entry {line!r}") from exc
    return ranks
