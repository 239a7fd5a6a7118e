"""Token positions of one text from a single encode, and exact counts for any slice of it.

The chunker needs the token count of many candidate slices. Re-encoding each would cost a full
pass per chunk; instead the document is encoded once and slices are counted from the token
byte offsets. The count is exact, not an estimate, thanks to how cl100k pre-tokenises text:
into letter runs (with at most one leading non-letter), runs of 1-3 digits, punctuation runs
(with one optional leading space and trailing newlines) and whitespace runs, where a run of
spaces leaves its last space to the next piece. Two kinds of position are therefore piece
boundaries in the encoding of *any* string containing them ("sync points"):

* right after a letter or digit, before an ASCII non-alphanumeric character or whitespace
  (letter and digit runs cannot extend into those);
* a space followed by a non-space character (a space only ever starts a piece).

Tokens between two sync points are the same whether the slice or the whole text is encoded,
so only the slice's edges (before its first and after its last sync point) are re-encoded.
"""

from __future__ import annotations

import bisect
import re
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import tiktoken

    from ragkit.tokenizers import OrdinaryEncoder

__all__ = ["TokenIndex"]

_AFTER_ALNUM = r"[\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\s]"
_SYNC = re.compile(rf"(?<=[^\W_]){_AFTER_ALNUM}| (?=\S)")
# The same, for a reversed copy of the text: the first match is the last sync point.
_REVERSED_SYNC = re.compile(rf"{_AFTER_ALNUM}(?=[^\W_])|(?<=\S) ")
_TAIL_WINDOW = 48
_PIECE_CACHE_SIZE = 1 << 16
_MAX_CACHED_PIECE = 48


class TokenIndex:
    """One span of a text encoded once; maps characters to tokens and counts slices exactly.

    Offsets are character offsets into the whole ``text``; only ``text[start:end]`` is encoded
    and token indices count from ``start``. Per-token offsets are only computed when first
    needed, so a text that turns out to be a single chunk costs one encode and nothing more.
    """

    def __init__(
        self, text: str, encoder: OrdinaryEncoder, start: int = 0, end: int | None = None
    ) -> None:
        self.text = text
        self.encoder = encoder
        self.start = start
        self.end = len(text) if end is None else end
        self._pieces = _piece_cache(encoder.encoding)
        # On the calling thread: tiktoken releases the GIL, so a long text could be encoded
        # in slices on several threads; that was tried and costs about 40 % more CPU (the
        # regex caches of tiktoken's compiled pattern are pooled per thread, and every search
        # from a thread other than the first takes the pool's slow path), and ``ragkit
        # ingest`` already chunks documents in parallel.
        self._tokens = encoder.encode_to_numpy(text[start : self.end])
        self.n_tokens = len(self._tokens)
        self._token_starts: memoryview | None = None
        self._head = self._tail = (-1, -1, 0, 0)

    def _starts(self) -> memoryview:
        """Offset of each token's first (possibly partial) character, in ``text``."""
        if self._token_starts is None:
            lengths = _byte_lengths(self.encoder.encoding).take(self._tokens)
            # int32 halves the memory traffic of the two passes; offsets stay below 2**31
            # for any text under 512 M characters (4 UTF-8 bytes each at most).
            dtype = np.int32 if len(self.text) < 1 << 29 else np.int64
            starts: npt.NDArray[np.signedinteger[Any]] = np.empty(self.n_tokens, dtype=dtype)
            if self.n_tokens:
                starts[0] = 0
                lengths[:-1].cumsum(out=starts[1:])
            span = self.text[self.start : self.end]
            if not span.isascii():
                raw = np.frombuffer(span.encode("utf-8"), dtype=np.uint8)
                # Characters begun up to each byte; a token starting inside a multi-byte
                # character maps to that character.
                begun = np.cumsum((raw & 0xC0) != 0x80)
                starts = np.take(begun, starts) - 1
            if self.start:
                starts += self.start
            # bisect on a memoryview is as fast as on a list and, unlike numpy's scalar
            # searchsorted or building a list, costs nothing per token.
            self._token_starts = starts.data
        return self._token_starts

    def token_at(self, pos: int) -> int:
        """Index of the token holding the character at ``pos`` (``n_tokens`` at the end)."""
        if pos >= self.end:
            return self.n_tokens
        if pos <= self.start:
            return 0
        return bisect.bisect_right(self._token_starts or self._starts(), pos) - 1

    def token_char(self, token: int) -> int:
        """Offset of the first character that token ``token`` (partly) encodes."""
        if token >= self.n_tokens:
            return self.end
        return (self._token_starts or self._starts())[token]

    def char_after(self, pos: int, tokens: int, pos_token: int | None = None) -> int:
        """Offset about ``tokens`` tokens after ``pos``: always a character past ``pos``.

        ``pos_token`` is ``token_at(pos)`` when the caller already has it.
        """
        token = (self.token_at(pos) if pos_token is None else pos_token) + tokens
        char = self.token_char(token)
        while char <= pos and token < self.n_tokens:
            token += 1
            char = self.token_char(token)
        return max(char, min(pos + 1, self.end))

    def count(self, start: int, end: int) -> int:
        """Exact token count of ``text[start:end]``, as ``len(encode_ordinary(slice))``.

        Fast for slices that end in a non-space character (as chunks do); others are encoded.
        """
        text = self.text
        if start >= end:
            return 0
        if start == self.start and end == self.end:
            return self.n_tokens
        if text[end - 1].isspace():
            return self._measure(text[start:end])
        # A chunker asks about one start against several ends and one end against several
        # starts: each edge is measured once and kept until the next edge of its side.
        head = self._head
        if head[0] != start or not 0 <= head[1] < end:
            head = self._head = self._opening(start, end)
            if head[1] < 0:
                return self._measure(text[start:end])
        _, first, first_token, opening = head
        tail = self._tail
        if tail[0] != end or tail[1] < first:
            tail = self._tail = self._closing(first, end)
        return opening + tail[2] - first_token + tail[3]

    def _opening(self, start: int, end: int) -> tuple[int, int, int, int]:
        """``(start, first sync point, its token, tokens of text[start:first])``; the sync
        point is -1 when ``(start, end)`` has none."""
        first = self._first_sync(start, end)
        if first < 0:
            return start, -1, 0, 0
        opening = self.text[start:first]
        starts = self._token_starts or self._starts()
        return (
            start,
            first,
            bisect.bisect_left(starts, first),
            self._pieces.get(opening) or self._measure(opening),
        )

    def _closing(self, first: int, end: int) -> tuple[int, int, int, int]:
        """``(end, last sync point, its token, tokens of text[last:end])``."""
        last = self._last_sync(first, end)
        closing = self.text[last:end]
        starts = self._token_starts or self._starts()
        return (
            end,
            last,
            bisect.bisect_left(starts, last),
            self._pieces.get(closing) or self._measure(closing),
        )

    def _measure(self, piece: str) -> int:
        """``len(encode_ordinary(piece))``, memoised for short pieces (mostly common words)."""
        count = self.encoder.count(piece)
        if len(piece) <= _MAX_CACHED_PIECE:
            if len(self._pieces) >= _PIECE_CACHE_SIZE:
                self._pieces.clear()
            self._pieces[piece] = count
        return count

    def _first_sync(self, start: int, end: int) -> int:
        """The first sync point in ``(start, end)``, or -1; ``text[end - 1]`` is no space."""
        text = self.text
        # Fast path: a space before a non-space (usually the first space) is a sync point.
        space = text.find(" ", start + 1, min(end, start + _TAIL_WINDOW))
        if space > 0 and not text[space + 1].isspace():
            return space
        head = _SYNC.search(text, start + 1, end)
        return head.start() if head is not None else -1

    def _last_sync(self, floor: int, end: int) -> int:
        """The last sync point in ``[floor, end)``; ``floor`` itself is known to be one."""
        text = self.text
        space = text.rfind(" ", max(floor + 1, end - _TAIL_WINDOW), end)
        if space > 0 and not text[space + 1].isspace():
            return space
        window = _TAIL_WINDOW
        while True:
            lo = max(floor, end - window)
            # Reversed, with one character of context on each side for the lookarounds.
            reversed_window = text[lo - 1 : end + 1][::-1]
            context = 1 if end < len(text) else 0
            match = _REVERSED_SYNC.search(reversed_window, context)
            if match is not None:
                sync = end - 1 - (match.start() - context)
                if sync > floor:
                    return sync
            if lo == floor:
                return floor
            window *= 4


@cache
def _piece_cache(encoding: tiktoken.Encoding) -> dict[str, int]:
    """Token counts of short text pieces, shared by every index of one encoding (whichever
    backend counts them: they all count the same)."""
    return {}


@cache
def _byte_lengths(encoding: tiktoken.Encoding) -> npt.NDArray[np.int32]:
    lengths = np.zeros(encoding.max_token_value + 1, dtype=np.int32)
    for token in range(encoding.max_token_value + 1):
        try:
            lengths[token] = len(encoding.decode_single_token_bytes(token))
        except KeyError:
            continue
    return lengths
