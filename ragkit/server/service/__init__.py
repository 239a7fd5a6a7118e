"""The service layer of ``ragkit serve``: the API's rules over the SQLite store.

The HTTP layer calls :class:`RetrieverService` with a
:class:`~ragkit.server.principal.Principal` and wire types; the service checks names,
limits, masks, quotas and roles, runs each request in one transaction, embeds chunks,
answers queries through per-corpus vector indexes, and raises
:class:`~ragkit.server.errors.ApiError` for every failure.
"""

from ragkit.server.service.answer import AQA_MODEL, DEFAULT_MAX_CHUNKS
from ragkit.server.service.quotas import Quotas
from ragkit.server.service.retriever import RetrieverService

__all__ = ["AQA_MODEL", "DEFAULT_MAX_CHUNKS", "Quotas", "RetrieverService"]
