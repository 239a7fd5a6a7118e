"""A 64-bit key of a chunk's whole text, indexed per corpus to find equal texts fast.

``known_vectors`` looks up, for every chunk of a batch, a stored chunk with the same text
so its embedding can be reused. An index on the whole text would double the size of the
table, and one on a prefix does not discriminate (ragkit's ingestion starts every chunk of
a document with the same context line), so the ``chunks_by_text_key`` index holds this hash
instead; equal keys are confirmed by comparing the texts.
"""

from __future__ import annotations

import hashlib

__all__ = ["text_key"]


def text_key(text: str) -> int:
    """A signed 64-bit BLAKE2b hash of ``text`` (SQLite's INTEGER range)."""
    # surrogatepass: a lone surrogate must still hash (and be rejected elsewhere, not here).
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)
