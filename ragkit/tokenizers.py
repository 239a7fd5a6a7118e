"""Token counting that works offline.

tiktoken normally downloads its vocabularies on first use, which fails on an offline machine.
ragkit ships the ``cl100k_base`` ranks file itself (``ragkit/data/``), checks its sha256 on
load and builds the :class:`tiktoken.Encoding` directly: no network, no tiktoken cache
directory, no change to ``os.environ``.

Importing this module is cheap; tiktoken is imported on the first call.

Example::

    from ragkit.tokenizers import count_tokens

    count_tokens("hello world")  # 2

Faster exact encoding (optional): with ``pip install 'ragkit[speedups]'``,
:func:`get_ordinary_encoder` (which the chunker uses) encodes with bpe-openai, GitHub's Rust
implementation of the same cl100k encoding: about half of tiktoken's CPU time, token for
token the same output (``bench/check_tokeniser_identity.py``: every Unicode code point in
context, every string of up to 5 tricky characters, 256 M characters of real text, 100k
fuzzed strings; a probe is compared again each time it is loaded). Its pre-tokeniser differs
in one place, whitespace after the last newline of a text, which cl100k's vocabulary makes
harmless (a test pins why). It embeds its vocabulary, so it is offline too. Without it,
tiktoken does the work.
"""

from __future__ import annotations

import array
import base64
import hashlib
import importlib.machinery
import importlib.util
import re
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import tiktoken

__all__ = [
    "SHIPPED_ENCODINGS",
    "OrdinaryEncoder",
    "count_tokens",
    "get_encoding",
    "get_ordinary_encoder",
    "load_ranks",
]

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


class _FastBackend(Protocol):
    """The part of bpe-openai's native tokenizer that ragkit uses."""

    def encode(self, text: str) -> list[int]: ...

    def count(self, text: str) -> int: ...


#: Longest text handed to bpe-openai in one call. Unlike tiktoken it holds the GIL while it
#: encodes (about 3 ms per 64 K characters here), so a long document is encoded slice by
#: slice and a server's other threads still get their turns.
_SLICE_CHARS = 1 << 16
#: Where a text may be cut without changing its encoding: a space between two non-space
#: characters. cl100k's pieces (letter, digit and punctuation runs) all stop before a space,
#: and a space only ever starts a piece, so the tokens on either side are the same whether
#: the text is encoded whole or in two parts (no piece pattern looks across that space, and
#: neither part ends in whitespace that ``\s++$`` could take). Python's ``\S`` excludes a
#: few more characters than the encoding's (U+001C-001F), which only skips some cuts.
_CUT = re.compile(r"(?<=\S) (?=\S)")
#: The ``array`` type code of a 32-bit unsigned integer ("I" on every usual platform).
_UINT32 = next(code for code in "IL" if array.array(code).itemsize == 4)
#: Checked against tiktoken whenever bpe-openai is loaded: the inputs where an encoder built
#: on another regex engine could most plausibly drift (trailing whitespace after a newline,
#: contractions, CRLF, non-Latin letters and digits, marks, emoji, no-break spaces).
_PROBE = (
    "Don't STOP'LL we'd\n  x\n \r\n\t\n  \u00a0\u3000 tab\there  \n\nnaïve café 日本語の文。"
    " 한국어 हिन्दी ١٢٣٤ 1234567 3.14 👨\u200d👩\u200d👧 🇫🇷 ﬁ ǅ e\u0301 <|endoftext|> "
    "def f(x):\n    return x  # comment\r\n\r\n   trailing \n "
)


class OrdinaryEncoder:
    """``encode_ordinary`` of one shipped encoding, by the fastest exact backend installed.

    Gives what ``get_encoding(name).encode_ordinary`` gives, token for token; with
    bpe-openai installed (``ragkit[speedups]``) in about half the CPU time. Get one from
    :func:`get_ordinary_encoder`.

    Attributes:
        encoding: The tiktoken encoding (its vocabulary, special tokens and decoding).
        backend: ``"bpe-openai"`` or ``"tiktoken"``: what :meth:`encode` runs.
    """

    def __init__(self, encoding: tiktoken.Encoding, fast: _FastBackend | None = None) -> None:
        self.encoding = encoding
        self.backend = "tiktoken" if fast is None else "bpe-openai"
        self._fast = fast

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``; special-token strings are encoded as plain text."""
        if self._fast is None:
            return self.encoding.encode_ordinary(text)
        tokens: list[int] = []
        for part in self._parts(text):
            tokens += part
        return tokens

    def encode_to_numpy(self, text: str) -> npt.NDArray[np.uint32]:
        """:meth:`encode` as a numpy array (no Python list with tiktoken)."""
        import numpy as np

        if self._fast is None:
            # With no special tokens allowed or disallowed this is encode_ordinary.
            return self.encoding.encode_to_numpy(text, allowed_special=set(), disallowed_special=())
        # Through a C array: a third cheaper than numpy's conversion of a list of ints.
        parts = [np.frombuffer(array.array(_UINT32, part), np.uint32) for part in self._parts(text)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def count(self, text: str) -> int:
        """``len(encode(text))``, without building the list when bpe-openai is installed."""
        if self._fast is None:
            return len(self.encoding.encode_ordinary(text))
        if len(text) <= _SLICE_CHARS:
            try:
                return self._fast.count(text)
            except UnicodeEncodeError:  # lone surrogates: tiktoken replaces them
                return len(self.encoding.encode_ordinary(text))
        return sum(map(len, self._parts(text)))

    def _parts(self, text: str) -> list[list[int]]:
        """The tokens of ``text`` in slices of at most ``_SLICE_CHARS`` where a cut exists."""
        assert self._fast is not None
        try:
            if len(text) <= _SLICE_CHARS:
                return [self._fast.encode(text)]
            parts: list[list[int]] = []
            start = 0
            while len(text) - start > _SLICE_CHARS:
                cut = _CUT.search(text, start + _SLICE_CHARS // 2, start + _SLICE_CHARS)
                if cut is None:
                    cut = _CUT.search(text, start + _SLICE_CHARS)
                    if cut is None:
                        break
                parts.append(self._fast.encode(text[start : cut.start()]))
                start = cut.start()
            parts.append(self._fast.encode(text[start:]))
            return parts
        except UnicodeEncodeError:  # lone surrogates: tiktoken replaces them
            return [self.encoding.encode_ordinary(text)]


_encoders_lock = threading.Lock()
_encoders: dict[str, OrdinaryEncoder] = {}


def get_ordinary_encoder(name: str = "cl100k_base") -> OrdinaryEncoder:
    """The :class:`OrdinaryEncoder` of ``name``: bpe-openai if installed and in agreement
    with tiktoken on a probe text, else tiktoken (cached).

    Raises:
        ValueError: As :func:`get_encoding`.
    """
    encoder = _encoders.get(name)
    if encoder is None:
        encoding = get_encoding(name)
        with _encoders_lock:
            encoder = _encoders.get(name)
            if encoder is None:
                fast = _load_bpe_openai(name)
                if fast is not None and _disagrees(fast, encoding):
                    fast = None
                encoder = _encoders[name] = OrdinaryEncoder(encoding, fast)
    return encoder


def _disagrees(fast: _FastBackend, encoding: tiktoken.Encoding) -> bool:
    expected = encoding.encode_ordinary(_PROBE)
    return fast.encode(_PROBE) != expected or fast.count(_PROBE) != len(expected)


def _load_bpe_openai(name: str) -> _FastBackend | None:
    """bpe-openai's native tokenizer for ``name``, or ``None`` if it is not installed.

    Only the package's extension module is loaded: importing the package itself would also
    parse every vocabulary it ships into Python dictionaries (about 1 s and 60 MB here),
    which the native tokenizer, holding its own copy, never needs.
    """
    module_name = "bpe_openai._bindings"
    bindings = sys.modules.get(module_name)
    if bindings is None:
        try:
            package = importlib.util.find_spec("bpe_openai")
        except (ImportError, ValueError):
            return None
        folders = package.submodule_search_locations if package is not None else None
        paths = [
            Path(folder) / f"_bindings{suffix}"
            for folder in folders or ()
            for suffix in importlib.machinery.EXTENSION_SUFFIXES
        ]
        path = next((p for p in paths if p.is_file()), None)
        if path is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(module_name, str(path))
        spec = importlib.util.spec_from_file_location(module_name, path, loader=loader)
        if spec is None:
            return None
        try:
            bindings = importlib.util.module_from_spec(spec)
            loader.exec_module(bindings)
        except ImportError:
            return None
        # Registered so that a later ``import bpe_openai`` reuses it: a native module can
        # only be initialised once per process.
        sys.modules[module_name] = bindings
    try:
        fast: _FastBackend = bindings.tokenizer_for_encoding(name)
    except (AttributeError, ValueError, RuntimeError):
        return None
    return fast


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
