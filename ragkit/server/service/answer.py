"""``models/aqa:generateAnswer``: grounded answers from inline passages or a corpus.

The question is the text of the last ``contents`` entry. With ``inline_passages`` each
text part of each passage is one grounding unit, attributed as
``groundingPassage{passageId, partIndex}``. With ``semantic_retriever`` the service runs
the same retrieval as ``corpora:query`` / ``documents:query`` on ``source`` (READER
needed) for the config's ``query``, keeps chunks scoring at least
``minimum_relevance_score``, and attributes spans as ``semanticRetrieverChunk{source,
chunk}``. ``max_chunks_count`` defaults to :data:`DEFAULT_MAX_CHUNKS` (AQA works best with a
few short passages) and may be 1..100.

Safety settings are validated (at most one per category, four supported categories) but
no safety model runs locally, so nothing is ever blocked and ``input_feedback`` is omitted.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import PrivateAttr

from ragkit._exceptions import ResourceNameError
from ragkit.limits import MAX_RESULTS_COUNT
from ragkit.names import model_name
from ragkit.server.api_version import api_version
from ragkit.server.errors import invalid_argument, not_found
from ragkit.server.models.answerer import AnswerStyleName, Passage
from ragkit.server.principal import Principal
from ragkit.server.read_gate import read_gate
from ragkit.server.service.core import ServiceCore
from ragkit.server.service.query import QueryMixin
from ragkit.server.service.validation import (
    check_conversation,
    check_inline_passages,
    check_query,
)
from ragkit.types import (
    AnswerStyle,
    AttributionSourceId,
    Candidate,
    Content,
    FinishReason,
    GenerateAnswerRequest,
    GenerateAnswerResponse,
    GroundingAttribution,
    GroundingPassageId,
    GroundingPassages,
    HarmBlockThreshold,
    HarmCategory,
    Part,
    SafetySetting,
    SemanticRetrieverChunk,
    SemanticRetrieverConfig,
)

__all__ = [
    "ANSWERER_HEADER",
    "AQA_MODEL",
    "DEFAULT_MAX_CHUNKS",
    "AnswerMixin",
    "ComposedAnswerResponse",
    "RERANKER_HEADER",
]

#: The only model that answers ``generateAnswer``.
AQA_MODEL = "models/aqa"
#: Response header naming who composed a generateAnswer answer: ``local``, the answer model
#: (``openai:NAME``, ``google:NAME``), or ``local; fallback="..."`` when the model failed.
ANSWERER_HEADER = "X-Ragkit-Answerer"
#: Response header saying what ordered the passages a generateAnswer answer grounds on:
#: ``e5``, ``retrieval``, ``retrieval; busy`` or ``retrieval; failed``, or ``caller``.
RERANKER_HEADER = "X-Ragkit-Reranker"
#: Chunks retrieved for a ``semantic_retriever`` source when ``max_chunks_count`` is unset.
DEFAULT_MAX_CHUNKS = 5

_SAFETY_CATEGORIES = (
    HarmCategory.HARM_CATEGORY_HATE_SPEECH,
    HarmCategory.HARM_CATEGORY_SEXUALLY_EXPLICIT,
    HarmCategory.HARM_CATEGORY_DANGEROUS_CONTENT,
    HarmCategory.HARM_CATEGORY_HARASSMENT,
)
_STYLES: dict[AnswerStyle, AnswerStyleName] = {
    AnswerStyle.ABSTRACTIVE: "ABSTRACTIVE",
    AnswerStyle.EXTRACTIVE: "EXTRACTIVE",
    AnswerStyle.VERBOSE: "VERBOSE",
}


def _text(content: Content | None) -> str:
    parts = (content.parts or []) if content is not None else []
    return "\n".join(part.text for part in parts if part.text)


def _check_model(model: str) -> None:
    try:
        name = model_name(model)
    except ResourceNameError as error:
        raise invalid_argument(str(error)) from None
    if name != AQA_MODEL:
        raise not_found(
            f"Model {name} is not found for API version {api_version()}, or is not supported for "
            f"generateAnswer; use {AQA_MODEL}."
        )


def _check_safety(settings: Sequence[SafetySetting] | None) -> None:
    seen: set[HarmCategory] = set()
    for setting in settings or []:
        category = setting.category
        if category not in _SAFETY_CATEGORIES:
            allowed = ", ".join(c.name for c in _SAFETY_CATEGORIES)
            shown = category.name if category is not None else "(unset)"
            raise invalid_argument(
                f"Safety setting category {shown} is not supported by generateAnswer; "
                f"use one of {allowed}."
            )
        if category in seen:
            raise invalid_argument(f"Safety setting category {category.name} is set twice.")
        seen.add(category)
        threshold = setting.threshold
        if threshold is None or threshold is HarmBlockThreshold.HARM_BLOCK_THRESHOLD_UNSPECIFIED:
            raise invalid_argument(f"Safety setting {category.name} needs a threshold.")


def _check_request(request: GenerateAnswerRequest) -> tuple[str, AnswerStyleName, float]:
    if not request.contents:
        raise invalid_argument("contents is required: the last content holds the question.")
    check_conversation(request.contents)
    question = _text(request.contents[-1])
    if not question.strip():
        raise invalid_argument("The last content must contain the question text.")
    # Unset (or UNSPECIFIED, the same thing in proto3) means ABSTRACTIVE: what
    # google-generativeai and gRPC clients send when the caller names no style.
    style = request.answer_style
    if style is None or style == AnswerStyle.ANSWER_STYLE_UNSPECIFIED:
        style = AnswerStyle.ABSTRACTIVE
    if style not in _STYLES:
        raise invalid_argument("answer_style must be ABSTRACTIVE, EXTRACTIVE or VERBOSE.")
    temperature = 0.0 if request.temperature is None else request.temperature
    if not 0.0 <= temperature <= 1.0:
        raise invalid_argument(f"temperature must be between 0.0 and 1.0, got {temperature}.")
    _check_safety(request.safety_settings)
    if (request.inline_passages is None) == (request.semantic_retriever is None):
        raise invalid_argument(
            "Exactly one grounding source is required: inline_passages or semantic_retriever."
        )
    return question, _STYLES[style], temperature


def _inline(passages: GroundingPassages) -> tuple[list[Passage], list[AttributionSourceId]]:
    units: list[Passage] = []
    sources: list[AttributionSourceId] = []
    if not passages.passages:
        raise invalid_argument("inline_passages.passages must contain at least one passage.")
    check_inline_passages(passages)
    for i, passage in enumerate(passages.passages):
        if not passage.id:
            raise invalid_argument(f"inline_passages.passages[{i}].id is required.")
        parts = passage.content.parts or [] if passage.content is not None else []
        for part_index, part in enumerate(parts):
            if part.text:
                units.append(Passage(passage.id, part.text))
                sources.append(
                    AttributionSourceId(
                        grounding_passage=GroundingPassageId(
                            passage_id=passage.id, part_index=part_index
                        )
                    )
                )
    return units, sources


class ComposedAnswerResponse(GenerateAnswerResponse):
    """A GenerateAnswerResponse that also knows who composed it (never sent in the body;
    the route sends it as the :data:`ANSWERER_HEADER` header)."""

    _composed_by: str = PrivateAttr(default="local")
    _reranked_by: str = PrivateAttr(default="retrieval")

    @property
    def composed_by(self) -> str:
        """``"local"``, the answer model (``"openai:NAME"``), or ``'local; fallback="why"'``."""
        return self._composed_by

    @property
    def reranked_by(self) -> str:
        """What ordered the passages (:attr:`Reranking.by`; ``"caller"``: inline passages);
        sent as the :data:`RERANKER_HEADER` header."""
        return self._reranked_by


class AnswerMixin(QueryMixin, ServiceCore):
    def generate_answer(
        self, who: Principal, model: str, request: GenerateAnswerRequest
    ) -> ComposedAnswerResponse:
        """Answer the last content's question, grounded on the request's source.

        A follow-up question (earlier turns in ``contents``) is first made standalone
        (:meth:`Answerer.resolve`); the standalone question is answered, and retrieved for
        when the retriever's query is the question itself. Retrieved passages are put in
        the order the answerer's reranker gives (:meth:`Answerer.rerank`; inline passages
        keep the caller's order). The response also says who composed the answer
        (:attr:`ComposedAnswerResponse.composed_by`).

        Raises:
            ApiError: NOT_FOUND (model other than ``models/aqa``), INVALID_ARGUMENT,
                PERMISSION_DENIED (semantic retriever source the caller cannot read).
        """
        _check_model(model)
        question, style, temperature = _check_request(request)
        turns = [(c.role or "user", _text(c)) for c in (request.contents or [])[:-1]]
        reranked_by = "caller"  # inline passages keep the caller's order
        # Behind the search queries that arrive meanwhile (see ragkit.server.read_gate).
        with read_gate().admitted("answer"):
            standalone = self._answerer.resolve(question, turns) if turns else question
            if request.inline_passages is not None:
                passages, sources = _inline(request.inline_passages)
            else:
                assert request.semantic_retriever is not None
                passages, sources = self._retrieved(
                    who, request.semantic_retriever, asked=(question, standalone)
                )
                # The second opinion is work done with capacity to spare (unless the
                # server insists on it): not while other reads wait at the gate.
                reranking = self._answerer.rerank(
                    standalone, passages, busy=read_gate().waiting() > 0
                )
                reranked_by = reranking.by
                passages = [passage for _, passage in reranking.order]
                sources = [sources[index] for index, _ in reranking.order]
            answer = self._answerer.answer(
                standalone, passages, style=style, temperature=temperature
            )
        attributions = [
            GroundingAttribution(
                source_id=sources[span.passage_index], content=Content(parts=[Part(text=span.text)])
            )
            for span in answer.spans
        ]
        candidate = Candidate(
            content=Content(role="model", parts=[Part(text=answer.text)]),
            finish_reason=FinishReason.STOP,
            grounding_attributions=attributions,
            index=0,
        )
        composed_by = answer.composed_by
        if answer.fallback is not None:
            reason = " ".join(answer.fallback.split()).replace('"', "'")
            composed_by = f'local; fallback="{reason}"'
        response = ComposedAnswerResponse(
            answer=candidate, answerable_probability=answer.answerable_probability
        )
        response._composed_by = composed_by
        response._reranked_by = reranked_by
        return response

    def _retrieved(
        self,
        who: Principal,
        config: SemanticRetrieverConfig,
        *,
        asked: tuple[str, str] | None = None,
    ) -> tuple[list[Passage], list[AttributionSourceId]]:
        if not config.source:
            raise invalid_argument("semantic_retriever.source is required.")
        query = _text(config.query)
        if not query.strip():
            raise invalid_argument("semantic_retriever.query must contain text.")
        check_query(query, "semantic_retriever.query")
        # The query is the (follow-up) question itself: search for its standalone form.
        if asked is not None and query.strip() == asked[0].strip():
            query = asked[1]
        count = config.max_chunks_count or DEFAULT_MAX_CHUNKS
        if not 1 <= count <= MAX_RESULTS_COUNT:
            raise invalid_argument(
                f"semantic_retriever.max_chunks_count must be between 1 and "
                f"{MAX_RESULTS_COUNT}, got {count}."
            )
        hits = self._retrieve(who, config.source, query, config.metadata_filters, count)
        floor = config.minimum_relevance_score
        passages: list[Passage] = []
        sources: list[AttributionSourceId] = []
        for hit in hits:
            score = hit.chunk_relevance_score or 0.0
            if hit.chunk is None or (floor is not None and score < floor):
                continue
            name = hit.chunk.name or ""
            passages.append(
                Passage(name, (hit.chunk.data.string_value or "") if hit.chunk.data else "", score)
            )
            sources.append(
                AttributionSourceId(
                    semantic_retriever_chunk=SemanticRetrieverChunk(
                        source=config.source, chunk=name
                    )
                )
            )
        return passages, sources
