"""``cachedContents`` below HTTP: create, get, list, update (expiration only), delete.

A cache belongs to the principal who created it and lives until its ``expireTime``
(``ttl`` from creation, default one hour); after that it is gone from get and list and
is purged. Generation reads a cache through :meth:`CacheService.cached_content`, which
only hands it out for the model it was created for.

Decisions: any well-formed ``models/...`` name is accepted (a cache may target an
upstream model this server cannot inspect); Google's minimum cache size (thousands of
tokens) is not enforced, so small test prompts can be cached; ``fileData`` parts must
name ACTIVE text or PDF files of the caller, and their text counts towards
``usageMetadata.totalTokenCount``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from ragkit import limits
from ragkit._exceptions import ResourceNameError
from ragkit.names import generate_id, model_name
from ragkit.server.caching import store
from ragkit.server.caching.store import CacheRecord
from ragkit.server.errors import invalid_argument, not_found
from ragkit.server.media.storage import Clock, open_database, system_clock
from ragkit.server.principal import Principal
from ragkit.server.service.paging import PageTokens, cursor, keyset, resolve_page_size
from ragkit.server.service.validation import parse_mask, parse_name
from ragkit.server.store import Database
from ragkit.server.store.dialect import Connection
from ragkit.tokenizers import count_tokens
from ragkit.types import (
    CachedContent,
    CachedContentUsageMetadata,
    Content,
    ListCachedContentsResponse,
)
from ragkit.types._base import from_wire

__all__ = ["CACHES_DATABASE", "CacheService", "FileTexts"]

#: The SQLite file of cached contents inside the data directory.
CACHES_DATABASE = "cached_contents.sqlite3"

_DURATION = re.compile(r"(\d+)(?:\.(\d{1,9}))?s")
_MASK = {"ttl": "ttl", "expire_time": "expireTime"}
_BODY_FIELDS = ("contents", "system_instruction", "tools", "tool_config")


class FileTexts(Protocol):
    """What the cache needs of the Files API (:class:`~ragkit.server.media.FileService`)."""

    def file_text(self, who: Principal, file_uri: str) -> tuple[str, str]: ...


def parse_ttl(value: str) -> timedelta:
    """``"3600s"`` / ``"1.5s"`` as a positive ``timedelta``.

    Raises:
        ApiError: INVALID_ARGUMENT for another form, or a TTL that is not positive.
    """
    match = _DURATION.fullmatch(value.strip())
    if match is None:
        raise invalid_argument(
            f"Invalid value at 'cached_content.ttl' (type.googleapis.com/google.protobuf."
            f'Duration), "{value}": expected seconds with an "s" suffix, such as "3600s".'
        )
    seconds, fraction = match.groups()
    ttl = timedelta(seconds=int(seconds), microseconds=int((fraction or "0").ljust(9, "0")) // 1000)
    if ttl <= timedelta(0):
        raise invalid_argument("Invalid value at 'cached_content.ttl': must be positive.")
    return ttl


class CacheService:
    """Cached contents in ``data_dir/cached_contents.sqlite3``.

    Example::

        caches = CacheService.open(Path("data"), files=file_service)
        cache = caches.create(LOCAL_USER, CachedContent(model="models/m", contents=[...]))
        caches.cached_content(LOCAL_USER, cache.name, model="models/m").contents
    """

    def __init__(
        self, db: Database, pages: PageTokens, *, clock: Clock, files: FileTexts | None
    ) -> None:
        self._db = db
        self._pages = pages
        self._clock = clock
        self._files = files

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        files: FileTexts | None = None,
        clock: Clock = system_clock,
        database_url: str | None = None,
    ) -> CacheService:
        """Open the store in ``data_dir`` (or PostgreSQL at ``database_url``); ``files``
        resolves ``fileData`` parts."""
        db, pages = open_database(
            Path(data_dir),
            CACHES_DATABASE,
            store.CACHE_MIGRATIONS,
            database_url=database_url,
            pg_migrations=store.CACHE_PG_MIGRATIONS,
        )
        service = cls(db, pages, clock=clock, files=files)
        service.purge_expired()
        return service

    def close(self) -> None:
        self._db.close()

    # -- requests ------------------------------------------------------------------------

    def create(self, who: Principal, cached: CachedContent) -> CachedContent:
        """Cache ``cached`` for ``who``; the answer carries metadata, not the contents.

        Raises:
            ApiError: INVALID_ARGUMENT (model, display name, ttl/expireTime, nothing to
                cache, a bad ``fileData``), NOT_FOUND/FAILED_PRECONDITION from the files a
                ``fileData`` part names.
        """
        model = self._model(cached.model)
        display_name = cached.display_name or ""
        if len(display_name) > limits.MAX_CACHED_CONTENT_DISPLAY_NAME_LENGTH:
            raise invalid_argument(
                "Invalid value at 'cached_content.display_name': at most "
                f"{limits.MAX_CACHED_CONTENT_DISPLAY_NAME_LENGTH} characters are allowed, got "
                f"{len(display_name)}."
            )
        if not (cached.contents or cached.system_instruction or cached.tools):
            raise invalid_argument(
                "Cached content must contain contents, a system instruction or tools."
            )
        now = self._clock()
        expire_time = self._expiry(cached, now, default=True)
        assert expire_time is not None
        tokens = self._count_tokens(who, cached)
        body = cached.model_dump(
            mode="json", by_alias=True, exclude_none=True, include=set(_BODY_FIELDS)
        )
        with self._db.write() as conn:
            cache_id = generate_id()
            while store.name_taken(conn, cache_id):
                cache_id = generate_id()
            record = CacheRecord(
                0, cache_id, who.email, model, display_name, body, tokens, now, now, expire_time
            )
            record = store.insert_cache(conn, record)
        return _metadata(record)

    def get(self, who: Principal, name: str) -> CachedContent:
        """The metadata of ``cachedContents/{id}`` (NOT_FOUND if missing, expired or not
        ``who``'s)."""
        with self._db.read() as conn:
            return _metadata(self._owned(conn, who, name))

    def list(
        self, who: Principal, *, page_size: int | None, page_token: str | None
    ) -> ListCachedContentsResponse:
        """``who``'s unexpired caches, oldest first (page size default 10, max 1000)."""
        size = resolve_page_size(page_size, limits.MAX_CACHED_CONTENTS_PAGE_SIZE)
        scope = ("cachedContents", who.email, size)
        after = cursor(self._pages.read(page_token, *scope))
        with self._db.read() as conn:
            found = store.list_caches(conn, who.email, self._clock(), after=after, limit=size + 1)
        page, token = self._pages.page(found, size, lambda r: keyset(r.create_time, r.id), *scope)
        return ListCachedContentsResponse(
            cached_contents=[_metadata(r) for r in page], next_page_token=token
        )

    def update(
        self, who: Principal, name: str, cached: CachedContent, update_mask: str | None
    ) -> CachedContent:
        """Move the expiration (``updateMask`` may name only ``ttl`` and ``expireTime``).

        Raises:
            ApiError: INVALID_ARGUMENT (another field in the mask, no new expiration),
                NOT_FOUND.
        """
        if update_mask and update_mask.strip():
            parse_mask(update_mask, _MASK, "cached content")
        now = self._clock()
        expire_time = self._expiry(cached, now, default=False)
        if expire_time is None:
            raise invalid_argument(
                "Updating a cached content needs a new ttl or expireTime; nothing else can "
                "be updated."
            )
        with self._db.write() as conn:
            record = self._owned(conn, who, name)
            record = store.update_expiry(conn, record.id, expire_time, max(now, record.update_time))
        return _metadata(record)

    def delete(self, who: Principal, name: str) -> None:
        """Delete ``cachedContents/{id}`` (NOT_FOUND if missing or not ``who``'s)."""
        with self._db.write() as conn:
            record = self._owned(conn, who, name)
            store.delete_cache(conn, record.id)

    def cached_content(
        self, who: Principal, name: str, *, model: str | None = None
    ) -> CachedContent:
        """The full cache (contents, system instruction, tools, tool config and metadata)
        for a ``generateContent`` that names it.

        Raises:
            ApiError: NOT_FOUND (missing, expired, not ``who``'s), INVALID_ARGUMENT when
                ``model`` differs from the model the cache was created for.
        """
        with self._db.read() as conn:
            record = self._owned(conn, who, name)
        if model is not None and model_name(model) != record.model:
            raise invalid_argument(
                f"Model used by GenerateContent request ({model_name(model)}) and "
                f"CachedContent ({record.model}) has to be the same."
            )
        full: CachedContent = from_wire(CachedContent, record.body)
        return _metadata(record).model_copy(
            update={field: getattr(full, field) for field in _BODY_FIELDS}
        )

    def purge_expired(self) -> int:
        """Delete every expired cache now; returns how many."""
        with self._db.write() as conn:
            return store.purge_expired(conn, self._clock())

    # -- checks --------------------------------------------------------------------------

    def _owned(self, conn: Connection, who: Principal, name: str) -> CacheRecord:
        (cache_id,) = parse_name(name, "cachedContents")
        record = store.find_cache(conn, cache_id, self._clock())
        if record is None or record.owner != who.email:
            raise not_found(f"CachedContent not found (or permission denied): {name}.")
        return record

    @staticmethod
    def _model(value: str | None) -> str:
        if not value:
            raise invalid_argument("Invalid value at 'cached_content.model': model is required.")
        if not value.startswith("models/") and not value.startswith("tunedModels/"):
            raise invalid_argument(
                f"Invalid value at 'cached_content.model': {value!r} must be of the form "
                "models/{model}."
            )
        try:
            return model_name(value)
        except ResourceNameError as error:
            raise invalid_argument(f"Invalid value at 'cached_content.model': {error}.") from None

    @staticmethod
    def _expiry(cached: CachedContent, now: datetime, *, default: bool) -> datetime | None:
        if cached.ttl is not None:
            try:
                return now + parse_ttl(cached.ttl)
            except OverflowError:
                raise invalid_argument("Invalid value at 'cached_content.ttl': too long.") from None
        if cached.expire_time is not None:
            if cached.expire_time <= now:
                raise invalid_argument(
                    "Invalid value at 'cached_content.expire_time': must be in the future."
                )
            return cached.expire_time
        if default:
            return now + timedelta(seconds=limits.DEFAULT_CACHE_TTL_SECONDS)
        return None

    def _count_tokens(self, who: Principal, cached: CachedContent) -> int:
        contents: list[Content] = list(cached.contents or [])
        if cached.system_instruction is not None:
            contents.append(cached.system_instruction)
        total = 0
        for content in contents:
            for part in content.parts or ():
                if part.text:
                    total += count_tokens(part.text)
                elif part.file_data is not None:
                    total += self._file_tokens(who, part.file_data.file_uri)
        return total

    def _file_tokens(self, who: Principal, file_uri: str | None) -> int:
        if not file_uri:
            raise invalid_argument("fileData.fileUri is required.")
        if self._files is None:
            raise invalid_argument("This server cannot cache fileData parts: no Files API.")
        _, text = self._files.file_text(who, file_uri)
        return count_tokens(text) if text else 0


def _metadata(record: CacheRecord) -> CachedContent:
    return CachedContent(
        name=f"cachedContents/{record.name}",
        model=record.model,
        display_name=record.display_name or None,
        create_time=record.create_time,
        update_time=record.update_time,
        expire_time=record.expire_time,
        usage_metadata=CachedContentUsageMetadata(total_token_count=record.token_count),
    )
