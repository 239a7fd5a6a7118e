"""Stable resource IDs for ingested documents and chunks.

A document's ID depends only on its source path (relative to the ingested root), so the same
file always lands in the same document. A chunk's ID is a hash of everything the chunk is (its
document, text and metadata), so re-running an ingestion re-creates nothing that already exists
and an interrupted upload can be completed by creating only the missing names.

>>> document_id("guides/Install on Linux.md")
'guides-install-on-linux-md-89bd25e7a2'
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Final

from ragkit.limits import MAX_ID_LENGTH
from ragkit.names import validate_id
from ragkit.provenance import MetadataValue

__all__ = ["CHUNK_HASH_LENGTH", "DOCUMENT_HASH_LENGTH", "chunk_id", "document_id"]

#: Hex digits of the path hash that ends every document ID (40 bits: collisions among
#: 10,000 documents, the API's per-corpus limit, have odds of about 1 in 20 million).
DOCUMENT_HASH_LENGTH: Final = 10
#: Hex digits of a chunk ID (128 bits of the chunk's content hash).
CHUNK_HASH_LENGTH: Final = 32

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def document_id(source: str) -> str:
    """The document ID for a file whose path relative to the ingested root is ``source``.

    A slug of the path (lowercase letters, digits and dashes) keeps IDs readable; a hash of the
    exact path keeps them unique (``a/b.md`` and ``a-b.md`` share a slug, not an ID). Long paths
    keep the end of their slug, where the file name is. The result is at most
    ``MAX_ID_LENGTH`` characters and always a valid ID.
    """
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()[:DOCUMENT_HASH_LENGTH]
    room = MAX_ID_LENGTH - DOCUMENT_HASH_LENGTH - 1
    slug = _NOT_SLUG.sub("-", source.lower()).strip("-")
    slug = slug[-room:].strip("-")
    return validate_id(f"{slug}-{digest}" if slug else digest, kind="document")


def chunk_id(document: str, text: str, metadata: Mapping[str, MetadataValue]) -> str:
    """The chunk ID for ``text`` with ``metadata`` inside the document with ID ``document``.

    Any change to the text or to the chunk's metadata (its position, section, pages...) gives a
    new ID, so a chunk that exists under its ID is exactly the chunk wanted.
    """
    payload = json.dumps(
        [document, text, dict(sorted(metadata.items()))], ensure_ascii=False, sort_keys=True
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:CHUNK_HASH_LENGTH]
