"""Context caching (``cachedContents``) for ``ragkit serve``.

:class:`CacheService` backs ``routes/cached_contents.py``; generation reads a cache with
:meth:`CacheService.cached_content`.
"""

from ragkit.server.caching.service import CACHES_DATABASE, CacheService, FileTexts, parse_ttl

__all__ = ["CACHES_DATABASE", "CacheService", "FileTexts", "parse_ttl"]
