"""Grounded answers with citations, and a policy to say "not in the documents" instead of guessing.

>>> answer = ask(client, "corpora/handbook", "How do I enable WAL mode?")  # doctest: +SKIP
>>> print(answer.format())                                                # doctest: +SKIP
Changes are appended to a separate -wal file ... [1]
[1] sqlite-wal.md, SQLite write-ahead logging > What WAL mode is

Two grounding modes (``mode=``):

* ``"retriever"`` (default): the server retrieves from the corpus itself
  (``generateAnswer`` with ``semanticRetriever``); citations name chunks directly.
* ``"passages"``: ragkit searches first (:func:`ragkit.rag.query.search`), then sends the
  best chunks as ``inlinePassages``. This works with any ``generateAnswer``, including
  Google's live one whose corpora are gone; passage IDs map back to the chunks for citations.

The answer policy: an answer whose ``answerable_probability`` is below ``threshold``
(default 0.5, Google's suggested starting point) *abstains*: :attr:`Answer.text` is
:data:`NOT_IN_DOCUMENTS`, no citations are given, and the model's attempt stays in
:attr:`Answer.draft`. With ``cascade``, ragkit tries further answer styles when one gives
nothing usable (an empty answer, a blocked one, or one below the threshold) and keeps the
first usable one.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ragkit import limits
from ragkit._exceptions import APIError
from ragkit.names import corpus_name
from ragkit.provenance import Provenance, provenance_from_metadata, refine_section
from ragkit.rag.filters import WhereInput, compile_where
from ragkit.rag.query import SearchResult, asearch, is_document, search
from ragkit.types import (
    Chunk,
    Content,
    GenerateAnswerResponse,
    GroundingPassage,
    MetadataFilter,
    Part,
    SemanticRetrieverConfig,
)

if TYPE_CHECKING:
    from ragkit._client import AsyncClient, Client

__all__ = [
    "ANSWER_STYLES",
    "AQA_MODEL",
    "NOT_IN_DOCUMENTS",
    "Answer",
    "AnswerStyleName",
    "Attempt",
    "Citation",
    "HistoryInput",
    "Mode",
    "aask",
    "ask",
    "reflow",
]

AnswerStyleName = Literal["ABSTRACTIVE", "EXTRACTIVE", "VERBOSE"]
Mode = Literal["retriever", "passages"]
HistoryInput = Sequence[Content | Mapping[str, Any]]

#: Styles in the order ``cascade=True`` tries them after the requested one.
ANSWER_STYLES: tuple[AnswerStyleName, ...] = ("ABSTRACTIVE", "EXTRACTIVE", "VERBOSE")
AQA_MODEL = "models/aqa"
#: :attr:`Answer.text` of an abstained answer.
NOT_IN_DOCUMENTS = "Not in the documents: I could not find a grounded answer to this question."
DEFAULT_THRESHOLD = 0.5
DEFAULT_MAX_PASSAGES = 5


def reflow(text: str) -> str:
    """``text`` with the hard line wraps of its sources joined; blank-line paragraphs kept.

    Answers quote passages verbatim, and passages keep their files' line breaks.
    """
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer: which chunk, where it came from, what it said.

    Attributes:
        number: 1-based, in order of first use in the answer.
        source: file path relative to the ingested folder (``"manual.pdf"``).
        page: ``"4"`` or ``"4-5"`` for PDFs, else ``None``.
        section: heading trail, ``"Setup > Install"``.
        chunk_name: the chunk resource name (``None`` for inline passages not from a chunk).
        quote: the passage text the answer rests on (the attributed spans, verbatim).
        provenance: everything decoded from the chunk's metadata (title, position...).
    """

    number: int
    source: str | None
    page: str | None
    section: str | None
    chunk_name: str | None
    quote: str
    provenance: Provenance = field(default_factory=Provenance)

    def format(self) -> str:
        """``"[1] manual.pdf, p. 4, Setup > Install"``."""
        return f"[{self.number}] {self.provenance.cite()}"


@dataclass(frozen=True)
class Attempt:
    """One ``generateAnswer`` call of a cascade: its style, probability and answer text."""

    style: AnswerStyleName
    answerable_probability: float
    text: str
    blocked: str | None = None


@dataclass(frozen=True)
class Answer:
    """The result of :func:`ask`.

    Attributes:
        question: the question asked.
        text: the grounded answer, or :data:`NOT_IN_DOCUMENTS` when abstained.
        answerable_probability: the model's estimate that the answer is grounded and correct.
        abstained: true when no attempt reached the threshold (or nothing was retrieved).
        citations: numbered sources, empty when abstained.
        style: the answer style that produced ``text`` (``None`` when nothing was asked).
        reason: why the answer abstained (``None`` otherwise).
        draft: the model's best text even when abstained (for debugging, not for users).
        attempts: every ``generateAnswer`` call made, in order.
    """

    question: str
    text: str
    answerable_probability: float
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    style: AnswerStyleName | None = None
    reason: str | None = None
    draft: str = ""
    attempts: tuple[Attempt, ...] = ()

    def format(self) -> str:
        """The answer (reflowed, see :func:`reflow`) and its numbered citations, one per line."""
        lines = [reflow(self.text)]
        if self.citations:
            lines.append("")
            lines.extend(citation.format() for citation in self.citations)
        return "\n".join(lines)


@dataclass(frozen=True)
class _Source:
    """Where an attribution points: a chunk name and, when known, its provenance and text."""

    chunk_name: str | None
    provenance: Provenance | None = None
    text: str = ""


@dataclass(frozen=True)
class _Request:
    """Everything :func:`ask` and :func:`aask` share before calling the server."""

    corpus: str
    question: str
    contents: list[Content]
    filters: list[MetadataFilter]
    styles: tuple[AnswerStyleName, ...]
    threshold: float
    mode: Mode
    max_passages: int
    minimum_relevance_score: float | None
    temperature: float | None
    model: str

    def retriever(self) -> SemanticRetrieverConfig:
        return SemanticRetrieverConfig(
            source=self.corpus,
            query=Content(role="user", parts=[Part(text=self.question)]),
            metadata_filters=self.filters or None,
            max_chunks_count=self.max_passages,
            minimum_relevance_score=self.minimum_relevance_score,
        )

    def call_arguments(self, passages: Sequence[SearchResult] | None) -> dict[str, Any]:
        grounding: dict[str, Any]
        if passages is None:
            grounding = {"semantic_retriever": self.retriever()}
        else:
            grounding = {"inline_passages": _inline(passages)}
        return {"contents": self.contents, "temperature": self.temperature, **grounding}

    def usable(self, attempt: Attempt) -> bool:
        return bool(attempt.text.strip()) and attempt.answerable_probability >= self.threshold


def _styles(
    style: AnswerStyleName | str, cascade: bool | Sequence[AnswerStyleName | str] | None
) -> tuple[AnswerStyleName, ...]:
    order = [style]
    if cascade is True:
        order.extend(ANSWER_STYLES)
    elif cascade:
        order.extend(cascade)
    result: list[AnswerStyleName] = []
    for item in order:
        name = str(item).upper()
        if name not in ANSWER_STYLES:
            raise ValueError(
                f"unknown answer style {item!r}; use one of {', '.join(ANSWER_STYLES)}"
            )
        if name not in result:
            result.append(name)
    return tuple(result)


def _history(history: HistoryInput | None, question: str) -> list[Content]:
    turns = [
        item if isinstance(item, Content) else Content.model_validate(item)
        for item in history or ()
    ]
    return [*turns, Content(role="user", parts=[Part(text=question)])]


def _build(
    corpus: str,
    question: str,
    *,
    where: WhereInput,
    mode: Mode,
    style: AnswerStyleName | str,
    threshold: float,
    cascade: bool | Sequence[AnswerStyleName | str] | None,
    max_passages: int,
    history: HistoryInput | None,
    minimum_relevance_score: float | None,
    temperature: float | None,
    model: str,
    separate_answerer: bool = False,
) -> _Request:
    if separate_answerer and mode != "passages":
        raise ValueError(
            "answer_client needs mode='passages' (the retriever runs where it answers)"
        )
    if not question.strip():
        raise ValueError("question must not be empty")
    if mode not in ("retriever", "passages"):
        raise ValueError(f"mode must be 'retriever' or 'passages', got {mode!r}")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    if not 1 <= max_passages <= limits.MAX_RESULTS_COUNT:
        raise ValueError(
            f"max_passages must be between 1 and {limits.MAX_RESULTS_COUNT}, got {max_passages}"
        )
    target = corpus if is_document(corpus) else corpus_name(corpus)
    return _Request(
        corpus=target,
        question=question,
        contents=_history(history, question),
        filters=compile_where(where, scope="document" if is_document(target) else "corpus"),
        styles=_styles(style, cascade),
        threshold=threshold,
        mode=mode,
        max_passages=max_passages,
        minimum_relevance_score=minimum_relevance_score,
        temperature=temperature,
        model=model,
    )


def _inline(passages: Sequence[SearchResult]) -> list[GroundingPassage]:
    # Passage IDs are list positions, so attributions map straight back to the results.
    return [
        GroundingPassage(id=str(i), content=Content(parts=[Part(text=r.text)]))
        for i, r in enumerate(passages)
    ]


def _attempt(style: AnswerStyleName, response: GenerateAnswerResponse) -> Attempt:
    candidate = response.answer
    parts = (candidate.content.parts or []) if candidate and candidate.content else []
    text = "".join(part.text or "" for part in parts).strip()
    feedback = response.input_feedback
    blocked = feedback.block_reason.name if feedback and feedback.block_reason else None
    return Attempt(style, response.answerable_probability or 0.0, text, blocked)


def _attribution_keys(response: GenerateAnswerResponse) -> list[tuple[str, str, str]]:
    """``(kind, id, quote)`` per grounding attribution, in answer order."""
    candidate = response.answer
    keys: list[tuple[str, str, str]] = []
    for attribution in (candidate.grounding_attributions or []) if candidate else []:
        source = attribution.source_id
        content = attribution.content
        quote = " ".join(p.text for p in (content.parts or []) if p.text) if content else ""
        if source and source.semantic_retriever_chunk and source.semantic_retriever_chunk.chunk:
            keys.append(("chunk", source.semantic_retriever_chunk.chunk, quote))
        elif source and source.grounding_passage and source.grounding_passage.passage_id:
            keys.append(("passage", source.grounding_passage.passage_id, quote))
    return keys


def _citations(
    keys: Sequence[tuple[str, str, str]], sources: Mapping[tuple[str, str], _Source]
) -> list[Citation]:
    quotes: dict[tuple[str, str], list[str]] = {}
    for kind, ident, quote in keys:
        found = quotes.setdefault((kind, ident), [])
        if quote and quote not in found:
            found.append(quote)
    citations = []
    for number, (key, texts) in enumerate(quotes.items(), start=1):
        source = sources.get(key, _Source(None))
        prov = refine_section(
            source.provenance or Provenance(), source.text, texts[0] if texts else ""
        )
        citations.append(
            Citation(
                number=number,
                source=prov.source,
                page=prov.pages,
                section=prov.section,
                chunk_name=source.chunk_name,
                # An attribution without content (allowed by the API) quotes the whole passage.
                quote=" … ".join(texts) or source.text,
                provenance=prov,
            )
        )
    return citations


def _passage_sources(passages: Sequence[SearchResult]) -> dict[tuple[str, str], _Source]:
    return {
        ("passage", str(i)): _Source(r.chunk_name, r.provenance, r.text)
        for i, r in enumerate(passages)
    }


def _abstain(request: _Request, reason: str, attempts: Sequence[Attempt] = ()) -> Answer:
    best = max(attempts, key=lambda a: a.answerable_probability, default=None)
    return Answer(
        question=request.question,
        text=NOT_IN_DOCUMENTS,
        answerable_probability=best.answerable_probability if best else 0.0,
        abstained=True,
        reason=reason,
        draft=best.text if best else "",
        attempts=tuple(attempts),
    )


def _why_not(request: _Request, attempts: Sequence[Attempt]) -> str:
    last = attempts[-1]
    if last.blocked:
        return f"the answer was blocked ({last.blocked})"
    best = max(a.answerable_probability for a in attempts)
    if not any(a.text for a in attempts):
        return "the model returned no answer"
    return f"answerable probability {best:.2f} is below the threshold {request.threshold:.2f}"


def _finish(
    request: _Request,
    attempts: Sequence[Attempt],
    response: GenerateAnswerResponse,
    sources: Mapping[tuple[str, str], _Source],
) -> Answer:
    chosen = attempts[-1]
    return Answer(
        question=request.question,
        text=chosen.text,
        answerable_probability=chosen.answerable_probability,
        abstained=False,
        citations=_citations(_attribution_keys(response), sources),
        style=chosen.style,
        draft=chosen.text,
        attempts=tuple(attempts),
    )


def _chunk_names(response: GenerateAnswerResponse) -> list[str]:
    return list(dict.fromkeys(i for kind, i, _ in _attribution_keys(response) if kind == "chunk"))


def _chunk_source(name: str, chunk: Chunk) -> _Source:
    text = (chunk.data.string_value if chunk.data else None) or ""
    return _Source(name, provenance_from_metadata(chunk.custom_metadata), text)


def ask(
    client: Client,
    corpus: str,
    question: str,
    *,
    where: WhereInput = None,
    mode: Mode = "retriever",
    style: AnswerStyleName | str = "ABSTRACTIVE",
    threshold: float = DEFAULT_THRESHOLD,
    cascade: bool | Sequence[AnswerStyleName | str] | None = None,
    max_passages: int = DEFAULT_MAX_PASSAGES,
    history: HistoryInput | None = None,
    minimum_relevance_score: float | None = None,
    temperature: float | None = None,
    model: str = AQA_MODEL,
    answer_client: Client | None = None,
) -> Answer:
    """Answer ``question`` from the documents of ``corpus``, with citations.

    Args:
        client: a :class:`ragkit.Client`.
        corpus: ``"corpora/c"`` (or ``"c"``), or one document ``"corpora/c/documents/d"``.
        question: the question; it is also the retrieval query.
        where: metadata filter (text, :class:`~ragkit.rag.filters.F` expression or
            ``MetadataFilter``\\ s) restricting the passages.
        mode: ``"retriever"`` (server-side retrieval) or ``"passages"`` (client-side
            retrieval sent as inline passages).
        style: ``"ABSTRACTIVE"``, ``"EXTRACTIVE"`` or ``"VERBOSE"``.
        threshold: abstain when ``answerable_probability`` is below it (0 never abstains
            unless the answer is empty).
        cascade: ``True`` to try the other styles (ABSTRACTIVE, EXTRACTIVE, VERBOSE) when
            ``style`` gives nothing usable, or the styles to try after it.
        max_passages: passages to ground on (1..100).
        history: earlier turns (``Content`` with roles ``user``/``model``), sent as
            ``contents`` before the question; see :class:`~ragkit.rag.conversation.Conversation`.
        minimum_relevance_score: retriever mode: ignore chunks scoring below it.
        temperature: 0..1; the server's default when ``None``.
        model: the answering model.
        answer_client: passages mode only: where ``generateAnswer`` goes (default
            ``client``). Retrieval uses ``client`` (e.g. ragkit's server) while the answer
            comes from another endpoint, such as Google's live API, whose corpora are gone.

    Raises:
        FilterError: the filter is invalid (nothing was sent).
        ValueError: an argument is out of range.
        ragkit.APIError: the server refused a call.
    """
    request = _build(
        corpus, question, where=where, mode=mode, style=style, threshold=threshold,
        cascade=cascade, max_passages=max_passages, history=history,
        minimum_relevance_score=minimum_relevance_score, temperature=temperature, model=model,
        separate_answerer=answer_client is not None,
    )  # fmt: skip
    passages: list[SearchResult] | None = None
    if request.mode == "passages":
        passages = search(
            client, request.corpus, question, where=request.filters, results=max_passages
        )
        if not passages:
            return _abstain(request, "no passage in the documents matches the question")
    arguments = request.call_arguments(passages)
    attempts: list[Attempt] = []
    for answer_style in request.styles:
        answerer = answer_client or client
        response = answerer.models.generate_answer(model, answer_style=answer_style, **arguments)
        attempts.append(_attempt(answer_style, response))
        if request.usable(attempts[-1]):
            if passages is not None:
                return _finish(request, attempts, response, _passage_sources(passages))
            sources = {("chunk", n): _fetch_source(client, n) for n in _chunk_names(response)}
            return _finish(request, attempts, response, sources)
    return _abstain(request, _why_not(request, attempts), attempts)


def _fetch_source(client: Client, name: str) -> _Source:
    try:
        chunk = client.corpora.documents.chunks.get(name)
    except APIError:
        # The answer stands without provenance rather than failing on a citation lookup.
        return _Source(name)
    return _chunk_source(name, chunk)


async def _afetch_source(client: AsyncClient, name: str) -> _Source:
    try:
        chunk = await client.corpora.documents.chunks.get(name)
    except APIError:
        return _Source(name)
    return _chunk_source(name, chunk)


async def aask(
    client: AsyncClient,
    corpus: str,
    question: str,
    *,
    where: WhereInput = None,
    mode: Mode = "retriever",
    style: AnswerStyleName | str = "ABSTRACTIVE",
    threshold: float = DEFAULT_THRESHOLD,
    cascade: bool | Sequence[AnswerStyleName | str] | None = None,
    max_passages: int = DEFAULT_MAX_PASSAGES,
    history: HistoryInput | None = None,
    minimum_relevance_score: float | None = None,
    temperature: float | None = None,
    model: str = AQA_MODEL,
    answer_client: AsyncClient | None = None,
) -> Answer:
    """:func:`ask` for :class:`ragkit.AsyncClient`."""
    request = _build(
        corpus, question, where=where, mode=mode, style=style, threshold=threshold,
        cascade=cascade, max_passages=max_passages, history=history,
        minimum_relevance_score=minimum_relevance_score, temperature=temperature, model=model,
        separate_answerer=answer_client is not None,
    )  # fmt: skip
    passages: list[SearchResult] | None = None
    if request.mode == "passages":
        passages = await asearch(
            client, request.corpus, question, where=request.filters, results=max_passages
        )
        if not passages:
            return _abstain(request, "no passage in the documents matches the question")
    arguments = request.call_arguments(passages)
    attempts: list[Attempt] = []
    for answer_style in request.styles:
        response = await (answer_client or client).models.generate_answer(
            model, answer_style=answer_style, **arguments
        )
        attempts.append(_attempt(answer_style, response))
        if request.usable(attempts[-1]):
            if passages is not None:
                return _finish(request, attempts, response, _passage_sources(passages))
            names = _chunk_names(response)
            found = await asyncio.gather(*(_afetch_source(client, n) for n in names))
            return _finish(
                request, attempts, response, {("chunk", s.chunk_name or ""): s for s in found}
            )
    return _abstain(request, _why_not(request, attempts), attempts)
