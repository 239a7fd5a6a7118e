"""Ask questions of your documents: search, grounded answers, conversations and access.

>>> from ragkit.rag import ask, search, F
>>> answer = ask(client, "corpora/handbook", "How do I enable WAL mode?")  # doctest: +SKIP
>>> print(answer.format())                                                # doctest: +SKIP

- :mod:`ragkit.rag.filters`: the filter language (``year >= 2020 and tags includes "faq"``)
  and the :class:`F` builder, compiled to ``MetadataFilter``\\ s;
- :mod:`ragkit.rag.query`: :func:`search` / :func:`asearch` with decoded provenance;
- :mod:`ragkit.rag.answer`: :func:`ask` / :func:`aask`, citations and abstention;
- :mod:`ragkit.rag.conversation`: multi-turn :class:`Conversation`;
- :mod:`ragkit.rag.access`: grant/revoke/list and the declarative access file (sync and
  ``a``-prefixed async).
"""

from __future__ import annotations

from ragkit.rag.access import (
    AccessError,
    AccessSpec,
    Change,
    Entry,
    Grantee,
    aapply,
    achange_role,
    agrant,
    alist_access,
    aplan,
    apply,
    arevoke,
    change_role,
    grant,
    list_access,
    load_access_file,
    plan,
    revoke,
)
from ragkit.rag.answer import NOT_IN_DOCUMENTS, Answer, Attempt, Citation, aask, ask
from ragkit.rag.conversation import AsyncConversation, Conversation
from ragkit.rag.filters import F, FilterError, compile_where
from ragkit.rag.query import SearchResult, asearch, search

__all__ = [
    "NOT_IN_DOCUMENTS",
    "AccessError",
    "AccessSpec",
    "Answer",
    "AsyncConversation",
    "Attempt",
    "Change",
    "Citation",
    "Conversation",
    "Entry",
    "F",
    "FilterError",
    "Grantee",
    "SearchResult",
    "aapply",
    "aask",
    "achange_role",
    "agrant",
    "alist_access",
    "aplan",
    "apply",
    "arevoke",
    "asearch",
    "ask",
    "change_role",
    "compile_where",
    "grant",
    "list_access",
    "load_access_file",
    "plan",
    "revoke",
    "search",
]
