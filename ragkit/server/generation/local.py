"""``models/ragkit-local``: a grounded, extractive composer behind ``generateContent``.

There is no generative language model on this machine, so the local model does not write
prose: it answers the **last user turn** by quoting the sentences of the request's own
context that answer it best, with the same answerer as ``models/aqa``
(:class:`~ragkit.server.models.answerer.Answerer`). The context is everything else the
request carries: the cached content, the system instruction, earlier turns (user and
model), and the other parts of the last turn (inline text and PDF data, uploaded text and
PDF files). When the last turn holds several sentences, its final question (or final
sentence) is the question and the rest is context.

When nothing in the context answers the question, the reply says so plainly
(:data:`NO_ANSWER`, :data:`NO_CONTEXT`) instead of inventing an answer. Tools are counted
but never called; nothing is blocked by safety settings (they are validated only).

``candidateCount`` > 1 gives deterministic variants: candidate *k* is the answer in another
style (ABSTRACTIVE, EXTRACTIVE, VERBOSE, in turn); when that repeats an earlier candidate,
the answer from the context with every sentence quoted so far taken out (the next best
evidence); when neither is new and answerable, a repeat of the first candidate.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace

from ragkit.limits import LONGEST_TOKEN_BYTES
from ragkit.server.errors import failed_precondition, invalid_argument
from ragkit.server.generation.checks import Sampling, check_generation_config
from ragkit.server.generation.checks import check_safety_settings as check_safety
from ragkit.server.generation.file_search import (
    FileSearchRetrieval,
    RetrievedChunk,
    grounding_metadata,
)
from ragkit.server.generation.memo import MemoEmbedder
from ragkit.server.generation.output import limit_text
from ragkit.server.generation.parts import Segment, flatten, resolve_cached
from ragkit.server.generation.resolver import ContentResolver
from ragkit.server.generation.tokens import PromptTokens, count_segments
from ragkit.server.models.answerer import Answer, Answerer, AnswerStyleName, Passage
from ragkit.server.models.sentences import split_sentences
from ragkit.server.principal import Principal
from ragkit.tokenizers import count_tokens
from ragkit.types import (
    Candidate,
    Content,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    Model,
    Part,
    ResponseModality,
    UsageMetadata,
)

__all__ = ["MIN_ANSWERABLE", "NO_ANSWER", "NO_CONTEXT", "LocalGenerativeModel"]

#: Answers the answerer rates less likely than this are replaced by :data:`NO_ANSWER`.
MIN_ANSWERABLE = 0.2
NO_ANSWER = "The provided context does not contain an answer to this question."
NO_CONTEXT = (
    "There is no context to answer from: this local model only quotes the text given in the "
    "request (system instruction, earlier turns, inline or uploaded files, cached content)."
)
_TEXT_MIME_TYPES = (None, "", "text/plain")
_STYLES: tuple[AnswerStyleName, ...] = ("ABSTRACTIVE", "EXTRACTIVE", "VERBOSE")


def _check_output_format(config: GenerationConfig | None) -> None:
    if config is None:
        return
    if config.response_mime_type not in _TEXT_MIME_TYPES:
        raise invalid_argument(
            "Invalid value at 'generationConfig.responseMimeType': the local model only "
            f"writes text/plain, got {config.response_mime_type!r}."
        )
    if config.response_schema is not None or config.response_json_schema is not None:
        raise invalid_argument(
            "Invalid value at 'generationConfig.responseSchema': the local model cannot "
            "produce structured output; configure an upstream model for that."
        )
    if any(m is not ResponseModality.TEXT for m in config.response_modalities or []):
        raise invalid_argument(
            "Invalid value at 'generationConfig.responseModalities': the local model "
            "answers in TEXT only."
        )


def _split_question(segments: Sequence[Segment]) -> tuple[str, list[Segment]]:
    """The question (from the last turn) and the segments that form the context."""
    turns = [s.turn for s in segments if s.turn is not None]
    last_turn = max(turns) if turns else None
    last = [s for s in segments if s.turn == last_turn]
    if not last or last[0].role == "model":
        raise invalid_argument(
            "Invalid value at 'contents': the last content must be the user's turn; the "
            "local model answers it."
        )
    texts = [s for s in last if s.text is not None and s.text.strip()]
    if not texts:
        raise invalid_argument(
            "Invalid value at 'contents': the last turn holds no text for the local model "
            "to answer."
        )
    asked = texts[-1]
    assert asked.text is not None
    spans = split_sentences(asked.text)
    context = [s for s in segments if s is not asked and s.role != "tools"]
    if len(spans) <= 1:
        return asked.text.strip(), context
    questions = [span for span in spans if asked.text[span[0] : span[1]].rstrip().endswith("?")]
    start, end = (questions or spans)[-1]
    rest = (asked.text[:start] + asked.text[end:]).strip()
    return asked.text[start:end], [*context, replace(asked, text=rest)]


def _passages(context: Sequence[Segment]) -> list[Passage]:
    passages = []
    for segment in context:
        for n, block in enumerate((segment.text or "").split("\n\n")):
            if block.strip():
                passages.append(Passage(f"{segment.where}#{n}", block))
    return passages


def _without(passages: Sequence[Passage], answer: Answer) -> list[Passage]:
    """``passages`` with the sentences ``answer`` quoted taken out."""
    out = list(passages)
    for span in answer.spans:
        passage = out[span.passage_index]
        out[span.passage_index] = replace(passage, text=passage.text.replace(span.text, " ", 1))
    return out


class LocalGenerativeModel:
    """Answers generateContent requests from their own context (see the module docstring).

    Args:
        answerer: the grounded answerer (the one behind ``models/aqa``).
        resolver: reads ``fileData`` parts and ``cachedContent``; ``None`` makes them
            FAILED_PRECONDITION.
    """

    def __init__(self, answerer: Answerer, resolver: ContentResolver | None = None) -> None:
        self.answerer = answerer
        self.resolver = resolver
        #: Retrieval for the ``fileSearch`` tool; ``None`` makes it FAILED_PRECONDITION.
        self.file_search: FileSearchRetrieval | None = None

    def generate(
        self, who: Principal, model: Model, request: GenerateContentRequest
    ) -> GenerateContentResponse:
        """The complete response to ``request`` sent to ``model`` (a local catalog entry).

        Raises:
            ApiError: INVALID_ARGUMENT (bad fields, too many input tokens, a last turn
                that is not the user's), FAILED_PRECONDITION / NOT_FOUND from the resolver.
        """
        name = model.name or ""
        if request.model is not None and request.model != name:
            raise invalid_argument(
                f"Invalid value at 'model': {request.model!r} does not match the model in "
                f"the URL, {name!r}."
            )
        check_safety(request.safety_settings)
        sampling = check_generation_config(request.generation_config, model.output_token_limit or 1)
        _check_output_format(request.generation_config)
        cached = resolve_cached(request, name, who, self.resolver)
        segments = flatten(request, who, self.resolver, cached=cached)
        limit = model.input_token_limit or 0
        characters = sum(len(segment.text or "") for segment in segments)
        if characters > limit * LONGEST_TOKEN_BYTES:
            # Too long whatever it says: refused before tokenising megabytes.
            raise invalid_argument(
                f"The input is {characters} characters long, more than the maximum number "
                f"of tokens allowed ({limit}) can hold."
            )
        tokens = count_segments(segments)
        if tokens.total > limit:
            raise invalid_argument(
                f"The input token count ({tokens.total}) exceeds the maximum number of "
                f"tokens allowed ({limit})."
            )
        question, context = _split_question(segments)
        retrieved = self._file_search(who, question, request)
        passages = [Passage(f"fileSearch#{i}", c.text) for i, c in enumerate(retrieved)]
        composer = self.file_search.answerer if retrieved and self.file_search else None
        composed = self._compose(question, passages + _passages(context), sampling, composer)
        response = _response(
            model,
            [t for t, _ in composed],
            sampling,
            tokens,
            cached=request.cached_content is not None,
        )
        if retrieved:
            for candidate, (_, answer) in zip(response.candidates or [], composed, strict=True):
                candidate.grounding_metadata = grounding_metadata(candidate, answer, retrieved)
            # The chunks read are tool-use prompt tokens, as Google counts them.
            usage = response.usage_metadata
            if usage is not None:
                tool_tokens = sum(count_tokens(chunk.text) for chunk in retrieved)
                usage.tool_use_prompt_token_count = tool_tokens
                usage.total_token_count = (usage.total_token_count or 0) + tool_tokens
        return response

    def _file_search(
        self, who: Principal, question: str, request: GenerateContentRequest
    ) -> list[RetrievedChunk]:
        tools = [t.file_search for t in request.tools or [] if t.file_search is not None]
        if not tools:
            return []
        if self.file_search is None:
            raise failed_precondition("The fileSearch tool is not available on this server.")
        found: list[RetrievedChunk] = []
        for tool in tools:
            found += self.file_search.retrieve(who, question, tool)
        return found

    def _compose(
        self,
        question: str,
        passages: list[Passage],
        sampling: Sampling,
        composer: Answerer | None = None,
    ) -> list[tuple[str, Answer | None]]:
        """Each candidate's text, with the answer it quotes (``None`` for a fixed reply);
        ``composer`` answers instead of a fresh local answerer (File Search answers come
        from the server's answerer, an LLM when ``--answerer`` is set)."""
        if not passages:
            return [(NO_CONTEXT, None)] * sampling.candidate_count
        answerer = composer or Answerer(
            MemoEmbedder(self.answerer.embedder), self.answerer.sentence_vectors
        )
        texts: list[str] = []
        answers: list[Answer | None] = []
        remaining = passages
        for k in range(sampling.candidate_count):
            tries = [(passages, _STYLES[k % len(_STYLES)]), (remaining, _STYLES[0])]
            chosen: Answer | None = None
            for pool, style in tries:
                answer = answerer.answer(
                    question, pool, style=style, temperature=sampling.temperature
                )
                usable = answer.text and answer.answerable_probability >= MIN_ANSWERABLE
                if usable and answer.text not in texts:
                    chosen = answer
                    break
            if chosen is None:
                texts.append(texts[0] if texts else NO_ANSWER)
                answers.append(answers[0] if answers else None)
                continue
            texts.append(chosen.text)
            answers.append(chosen)
            remaining = _without(remaining, chosen)
        return list(zip(texts, answers, strict=True))


def _response(
    model: Model,
    texts: Sequence[str],
    sampling: Sampling,
    tokens: PromptTokens,
    *,
    cached: bool,
) -> GenerateContentResponse:
    candidates = []
    output_tokens = 0
    for index, text in enumerate(texts):
        limited, finish = limit_text(text, sampling.stop_sequences, sampling.max_output_tokens)
        output_tokens += count_tokens(limited)
        candidates.append(
            Candidate(
                content=Content(role="model", parts=[Part(text=limited)]),
                finish_reason=finish,
                index=index,
            )
        )
    usage = UsageMetadata(
        prompt_token_count=tokens.total,
        candidates_token_count=output_tokens,
        total_token_count=tokens.total + output_tokens,
        cached_content_token_count=tokens.cached if cached else None,
    )
    return GenerateContentResponse(
        candidates=candidates,
        usage_metadata=usage,
        model_version=f"{model.base_model_id}-{model.version}",
        response_id=secrets.token_urlsafe(16),
    )
