"""Multi-turn question answering over a corpus.

>>> chat = Conversation(client, "corpora/handbook")            # doctest: +SKIP
>>> chat.ask("What is WAL mode in SQLite?").text               # doctest: +SKIP
>>> chat.ask("Does it survive reopening the database?").text   # doctest: +SKIP

Every turn sends the whole history as ``contents`` (user and model turns alternating, the
new question last), so the answering model sees the conversation; retrieval uses the
latest question alone, since earlier turns would drag the search towards old topics.
An abstained turn is recorded with the abstention text, so the history stays truthful
about what the user was told.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ragkit.rag.answer import Answer, aask, ask
from ragkit.types import Content, Part

if TYPE_CHECKING:
    from ragkit._client import AsyncClient, Client

__all__ = ["AsyncConversation", "Conversation"]


class _History:
    def __init__(self, corpus: str, max_turns: int | None, options: dict[str, Any]) -> None:
        if "history" in options:
            raise TypeError("a conversation keeps its own history; do not pass history=")
        if max_turns is not None and max_turns < 1:
            raise ValueError(f"max_turns must be at least 1, got {max_turns}")
        self.corpus = corpus
        self.options = options
        self.max_turns = max_turns
        self._turns: list[Content] = []
        self.answers: list[Answer] = []

    @property
    def history(self) -> list[Content]:
        """The turns so far (``user`` and ``model`` contents, oldest first); a copy."""
        return list(self._turns)

    def _window(self) -> Sequence[Content]:
        # Keep whole exchanges (user + model) so the history never opens with a model turn.
        if self.max_turns is None:
            return self._turns
        return self._turns[-2 * self.max_turns :]

    def _record(self, question: str, answer: Answer) -> Answer:
        self._turns.append(Content(role="user", parts=[Part(text=question)]))
        self._turns.append(Content(role="model", parts=[Part(text=answer.text)]))
        self.answers.append(answer)
        return answer

    def reset(self) -> None:
        """Forget every turn."""
        self._turns.clear()
        self.answers.clear()


class Conversation(_History):
    """A chat over ``corpus`` that keeps its history (blocking client).

    Args:
        client: a :class:`ragkit.Client`.
        corpus: ``"corpora/c"`` or one document.
        max_turns: send at most this many earlier exchanges (``None``: all of them).
        **options: any keyword of :func:`ragkit.rag.answer.ask` (``mode``, ``where``,
            ``threshold``, ``cascade``, ``style``...) except ``history``.
    """

    def __init__(
        self, client: Client, corpus: str, *, max_turns: int | None = None, **options: Any
    ) -> None:
        super().__init__(corpus, max_turns, options)
        self.client = client

    def ask(self, question: str) -> Answer:
        """Answer ``question`` in the context of the conversation and record the exchange."""
        answer = ask(self.client, self.corpus, question, history=self._window(), **self.options)
        return self._record(question, answer)


class AsyncConversation(_History):
    """:class:`Conversation` for :class:`ragkit.AsyncClient`."""

    def __init__(
        self, client: AsyncClient, corpus: str, *, max_turns: int | None = None, **options: Any
    ) -> None:
        super().__init__(corpus, max_turns, options)
        self.client = client

    async def ask(self, question: str) -> Answer:
        """Answer ``question`` in the context of the conversation and record the exchange."""
        answer = await aask(
            self.client, self.corpus, question, history=self._window(), **self.options
        )
        return self._record(question, answer)
