"""Answers composed by a language model from numbered passages (``ragkit serve --answerer``).

:class:`LLMAnswerer` keeps retrieval and answerability local and lets a model the operator
runs compose the answer: any OpenAI-compatible ``/v1`` endpoint (Ollama, vLLM, llama.cpp's
server, OpenAI) or Gemini through ``generateContent``. The HTTP clients are the server's
upstream clients (:class:`~ragkit.server.generation.openai.OpenAIUpstream`,
:class:`~ragkit.server.generation.google.GoogleUpstream`).

How an answer is made:

1. the passages are numbered ``[1]``..``[n]`` (with their IDs: passage IDs or chunk
   names) and the model is told to answer only from them, to cite each sentence's
   passages as ``[n]``, and to reply ``NOT_ANSWERABLE`` when they do not answer; the answer
   style becomes an instruction (:data:`STYLE_INSTRUCTIONS`);
2. the citations become the answer's spans, one per cited passage in order of first
   citation, and the markers in the text are renumbered to match (``[1]`` is the first
   grounding attribution). A citation of a passage that was not given (``[9]`` of five, an
   invented chunk name) is dropped from the text and the attributions;
3. ``answerableProbability`` combines the model's verdict with the local answerability
   model (:class:`~ragkit.server.models.answerer.Answerer`'s probability ``p``): an
   answer with at least one valid citation gets ``0.5 + 0.5 p``, a refusal ``0.5 p``.
   The model decides on which side of 0.5 the answer falls; the local evidence says how
   sure to be. A refusal keeps the local answer's text as the draft.

When the model fails (unreachable, an error status, :attr:`LLMAnswerer.timeout` seconds
passed, an empty reply, or a reply citing no given passage), the local answerer answers
and :attr:`~ragkit.server.models.answerer.Answer.fallback` says why; the server then sends
``X-Ragkit-Answerer: local; fallback="..."`` with the response (``openai:MODEL`` or
``google:MODEL`` when the model answered) and logs a warning.

Follow-up questions (:meth:`LLMAnswerer.resolve`) are rewritten by the model into
standalone questions; if that fails, the rule-based rewrite of
:mod:`~ragkit.server.models.followup` applies.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import re
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import replace
from typing import Any

import httpx

from ragkit.server.config import UpstreamConfig
from ragkit.server.errors import ApiError
from ragkit.server.generation.google import GoogleUpstream
from ragkit.server.generation.openai import OpenAIUpstream
from ragkit.server.models.answerer import Answer, Answerer, AnswerSpan, AnswerStyleName, Passage
from ragkit.server.models.embedding import Embedder
from ragkit.server.read_gate import stepped_out
from ragkit.types import GenerateContentResponse
from ragkit.types.status import Code

__all__ = [
    "DEFAULT_ANSWER_TIMEOUT",
    "REFUSAL",
    "STYLE_INSTRUCTIONS",
    "LLMAnswerer",
    "parse_reply",
]

logger = logging.getLogger(__name__)

#: Seconds to wait for the model before the local answerer answers instead.
DEFAULT_ANSWER_TIMEOUT = 60.0
#: What the model is told to reply when the passages do not answer the question.
REFUSAL = "NOT_ANSWERABLE"
STYLE_INSTRUCTIONS: dict[str, str] = {
    "ABSTRACTIVE": "Answer concisely in one to three sentences of your own words.",
    "EXTRACTIVE": "Answer with the shortest exact quotation from the passages that answers "
    "the question, copied word for word.",
    "VERBOSE": "Answer thoroughly: give every relevant detail the passages hold, in a few "
    "paragraphs if needed, keeping any commands or code exactly as written.",
}
_SYSTEM = (
    "You answer questions using only the numbered passages you are given, never other "
    "knowledge. After each sentence, cite the passages that support it by number in square "
    "brackets, like [1] or [2][3]. If the passages do not contain the answer, reply with "
    f"exactly {REFUSAL} and nothing else."
)
_REWRITE = (
    "Rewrite the user's last question so that it can be understood without the "
    "conversation: replace pronouns and elided words with what they refer to. Reply with "
    "the rewritten question only."
)
_CITATION = re.compile(r"\[([^\[\]\n]{1,300})\]")
_MAX_REWRITE_CHARS = 1000
#: Upper bound on the passage text sent to the model, per passage.
_MAX_PASSAGE_CHARS = 8000


def parse_reply(text: str, passages: Sequence[Passage]) -> tuple[str, list[int]] | None:
    """The reply with its citations renumbered, and the cited passage indices in order of
    first citation; ``None`` for a refusal.

    A citation is ``[n]`` (1-based), ``[n, m]``, or a passage's ID (``[p7]``, a chunk name).
    Citations of passages not given are removed from the text.

    Raises:
        ValueError: the reply is empty or cites no given passage.
    """
    stripped = text.strip()
    if not stripped:
        raise ValueError("the model's reply was empty")
    if stripped.strip(" .*`\"'").upper().startswith(REFUSAL):
        return None
    ids = {p.id: i for i, p in enumerate(passages)}
    cited: list[int] = []

    def renumber(match: re.Match[str]) -> str:
        numbers = []
        for item in re.split(r"\s*[,;]\s*", match.group(1).strip()):
            index = _passage_index(item.strip(), ids, len(passages))
            if index is None:
                continue
            if index not in cited:
                cited.append(index)
            number = cited.index(index) + 1
            if number not in numbers:
                numbers.append(number)
        return "".join(f"[{n}]" for n in numbers)

    body = re.sub(r"[ \t]+([.,;:!?])", r"\1", _CITATION.sub(renumber, stripped)).strip()
    if not cited:
        raise ValueError("the model's reply cites none of the passages given")
    return body, cited


def _passage_index(item: str, ids: dict[str, int], n: int) -> int | None:
    label = item.removeprefix("passage").removeprefix("Passage").strip()
    if label.isdigit():
        number = int(label)
        return number - 1 if 1 <= number <= n else None
    return ids.get(item)


class LLMAnswerer(Answerer):
    """An :class:`Answerer` whose answers a language model composes (module docstring).

    Args:
        embedder: for the local answerability model and the fallback answers.
        upstream: the model: ``kind="openai"`` (``base_url`` of a ``/v1`` endpoint,
            ``model``) or ``kind="google"`` (``api_key``, ``model`` such as
            ``gemini-2.5-flash``).
        timeout: seconds to wait for the model per call.
        transport: httpx transport for the upstream client (tests may inject one).
    """

    def __init__(
        self,
        embedder: Embedder,
        upstream: UpstreamConfig,
        *,
        timeout: float = DEFAULT_ANSWER_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(embedder)
        if not upstream.model:
            raise ValueError("an answer model needs a model name (--answerer-model).")
        if timeout <= 0:
            raise ValueError(f"the answer timeout must be positive, got {timeout}.")
        self.upstream = upstream
        self.timeout = timeout
        self.label = f"{upstream.kind}:{upstream.model}"
        self._client: OpenAIUpstream | GoogleUpstream = (
            OpenAIUpstream(upstream, transport=transport)
            if upstream.kind == "openai"
            else GoogleUpstream(upstream, transport=transport)
        )
        # The async clients live on one event loop of their own, so that the answerer can
        # be called from any thread (the server's worker threads, the CLI).
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="ragkit-answer-model", daemon=True
        )
        self._thread.start()
        self._closed = False

    def close(self) -> None:
        """Close the HTTP clients and stop the event loop; safe to call twice."""
        if self._closed:
            return
        self._closed = True

        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(self._client.aclose(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        style: AnswerStyleName = "ABSTRACTIVE",
        temperature: float = 0.0,
    ) -> Answer:
        """Answer with the model; the local answer when the model fails (see the module)."""
        local = super().answer(question, passages, style=style, temperature=temperature)
        if not passages or not question.strip():
            return local
        try:
            reply = self._complete(
                _SYSTEM + " " + STYLE_INSTRUCTIONS[style],
                _prompt(question, passages),
                temperature,
            )
            parsed = parse_reply(reply, passages)
        except (ApiError, ValueError, TimeoutError) as error:
            reason = _reason(error, self.timeout)
            logger.warning("the answer model %s failed (%s); answered locally", self.label, reason)
            return replace(local, fallback=reason)
        p = local.answerable_probability
        if parsed is None:
            return replace(local, answerable_probability=0.5 * p, composed_by=self.label)
        text, cited = parsed
        spans = [AnswerSpan(passage_index=i, text=passages[i].text) for i in cited]
        return Answer(
            text=text, spans=spans, answerable_probability=0.5 + 0.5 * p, composed_by=self.label
        )

    def resolve(self, question: str, turns: Sequence[tuple[str, str]]) -> str:
        """The model's standalone rewrite of a follow-up question; the rule-based one
        (:meth:`Answerer.resolve`) when the model fails or the question needs none."""
        fallback = super().resolve(question, turns)
        if not turns:
            return question
        conversation = "\n".join(f"{role}: {text}" for role, text in turns)
        try:
            reply = self._complete(
                _REWRITE, f"{conversation}\nuser: {question}\n\nStandalone question:", 0.0
            )
        except (ApiError, ValueError, TimeoutError) as error:
            logger.warning("rewriting the follow-up failed (%s)", _reason(error, self.timeout))
            return fallback
        rewritten = " ".join(reply.split()).strip()
        if not rewritten or len(rewritten) > _MAX_REWRITE_CHARS or rewritten.upper() == REFUSAL:
            return fallback
        return rewritten

    def _complete(self, system: str, user: str, temperature: float) -> str:
        """The model's reply text to one system and one user message.

        Raises:
            ApiError: the upstream failed. ValueError: the reply held no text.
            TimeoutError: no reply within :attr:`timeout` seconds.
        """
        client = self._client
        if isinstance(client, OpenAIUpstream):
            body: dict[str, Any] = {
                "model": self.upstream.model,
                "messages": [
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ],
                "temperature": temperature,
            }
            response = self._run(client.generate(body))
        else:
            google_body: dict[str, Any] = {
                "systemInstruction": {"parts": [{"text": system}]},
                "contents": [{"role": "user", "parts": [{"text": user}]}],
                "generationConfig": {"temperature": temperature},
            }
            assert self.upstream.model is not None
            response = self._run(client.generate_content(self.upstream.model, google_body))
        return _reply_text(response)

    def _run(
        self, coroutine: Coroutine[Any, Any, GenerateContentResponse]
    ) -> GenerateContentResponse:
        if self._closed:
            coroutine.close()
            raise ApiError(Code.UNAVAILABLE, "the answer model's client is closed")
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            with stepped_out():  # a read slot serves another request while the model writes
                return future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no reply within {self.timeout:g} s") from None
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            # A body that is not a completion (bad JSON, missing fields) is the model's fault.
            raise ValueError(f"malformed reply ({type(error).__name__}: {error})") from None


def _prompt(question: str, passages: Sequence[Passage]) -> str:
    blocks = [
        f"[{i}] (id: {p.id})\n{p.text[:_MAX_PASSAGE_CHARS]}" for i, p in enumerate(passages, 1)
    ]
    return "Passages:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"


def _reply_text(response: GenerateContentResponse) -> str:
    candidates = response.candidates or []
    if not candidates:
        raise ValueError("the model's reply had no candidates")
    content = candidates[0].content
    parts = (content.parts or []) if content is not None else []
    return "".join(part.text or "" for part in parts)


def _reason(error: Exception, timeout: float) -> str:
    if isinstance(error, TimeoutError):
        return f"the answer model did not reply within {timeout:g} s"
    if isinstance(error, ApiError):
        return f"the answer model failed: {error.message}"
    return str(error)
