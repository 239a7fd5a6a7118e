"""The local grounded answerer behind ``models/aqa:generateAnswer``.

No generative answer model runs offline, so :class:`Answerer` answers by *selecting*:
it splits the passages into sentences, scores each against the question (dense similarity
from an :class:`~ragkit.server.models.embedding.Embedder` plus IDF-weighted lexical
coverage, see :mod:`ragkit.server.models.evidence`), and composes the answer from the best
sentences, quoted verbatim. Every part of the answer is attributed to its passage, so
nothing in it is invented.

Answer styles (``AnswerStyle`` in the API):

* ``EXTRACTIVE``: the best sentence, trimmed to its best-matching clauses when it runs past
  :data:`EXTRACTIVE_MAX_WORDS` words;
* ``ABSTRACTIVE``: the best one or two sentences, de-duplicated (the sentence before the
  best one is added when the best one opens with a pronoun such as "It");
* ``VERBOSE``: the best three to five sentences, grouped per passage in passage order.

Example::

    answerer = Answerer(load_embedder("minilm"))
    result = answerer.answer(
        "When was the Eiffel Tower completed?",
        [Passage("p1", "The Eiffel Tower is in Paris. It was completed in 1889.")],
    )
    result.text                      # 'The Eiffel Tower is in Paris. It was completed in 1889.'
    result.answerable_probability    # high
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from ragkit.provenance import SECTION_SEPARATOR
from ragkit.server.models.embedding import Embedder
from ragkit.server.models.evidence import (
    HEADING_BONUS,
    RANK_PRIOR,
    SCORE_PRIOR,
    Evidence,
    answer_form_matches,
    answer_form_terms,
    answer_type_matches,
    answerability_features,
    answerable_probability,
    asks_procedure,
    asks_yes_no,
    novelty,
    score_sentences,
    subject_terms,
)
from ragkit.server.models.followup import resolve_followup
from ragkit.server.models.lexical import content_terms
from ragkit.server.models.reranker import E5Reranker, RerankerUnavailableError
from ragkit.server.models.sentence_vectors import SentenceVectors
from ragkit.server.models.sentences import split_clauses, split_sentences, word_spans
from ragkit.server.models.titles import introduced, is_heading, title_match
from ragkit.server.models.titles import title_end as passage_title_end

logger = logging.getLogger("ragkit.server")

__all__ = [
    "DENSE_BUDGET",
    "EXTRACTIVE_MAX_WORDS",
    "MAX_SENTENCES",
    "Answer",
    "AnswerSpan",
    "AnswerStyleName",
    "Answerer",
    "Passage",
    "Reranking",
]

AnswerStyleName = Literal["ABSTRACTIVE", "EXTRACTIVE", "VERBOSE"]

#: An EXTRACTIVE answer longer than this is trimmed to its best clauses.
EXTRACTIVE_MAX_WORDS = 30
#: Sentences considered per request; beyond it the last passages are dropped, as the API
#: drops the last inline passages when the context overflows.
MAX_SENTENCES = 1024
#: Sentences embedded per request (the rest keep a dense score of 0): the lexically best
#: ones, so that long retrieved chunks do not make every answer embed hundreds of sentences.
DENSE_BUDGET = 64
#: Near-duplicate sentences (token Jaccard at or above this) are quoted once.
_DUPLICATE_JACCARD = 0.7
_DUPLICATE_COSINE = 0.97
#: A second ABSTRACTIVE sentence must score within this of the best one.
_ABSTRACTIVE_MARGIN = 0.12
_VERBOSE_MARGIN = 0.3
_VERBOSE_MIN, _VERBOSE_MAX = 3, 5
#: At temperature 1, sentence scores are jittered by up to this much (ties and near-ties).
_TEMPERATURE_JITTER = 0.03
#: The code block, list or table a sentence introduces is quoted with it, up to this many
#: characters (cut at a line end).
BLOCK_MAX_CHARS = 800
_BLOCK_MAX_PARAGRAPHS = 6
_YES_NO_SENTENCE = re.compile(r"^\W*(?:yes|no)\b[^.!?]{0,60}[.!?]?$", re.IGNORECASE)
_LEADING_PRONOUN = re.compile(
    r"^(it|its|this|that|these|those|they|their|them|he|his|she|her|such|there)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Passage:
    """One grounding passage: an inline passage, or a retrieved chunk.

    ``id`` is the passage id or the chunk resource name (e.g.
    ``"corpora/my-corpus/documents/doc-1/chunks/c-1"``); ``score`` its retrieval
    relevance, when known.
    """

    id: str
    text: str
    score: float | None = None


@dataclass(frozen=True)
class Reranking:
    """The order an answer grounds on its retrieved passages (:meth:`Answerer.rerank`)."""

    #: ``(index in the passages given, passage)`` pairs, best first; a reranked passage
    #: carries its fused score.
    order: list[tuple[int, Passage]]
    #: What ordered them: the reranker's name (``"e5"``), or ``"retrieval"`` (no
    #: reranker), ``"retrieval; busy"`` (skipped: no capacity to spare),
    #: ``"retrieval; failed"`` (the reranker raised; logged).
    by: str


@dataclass(frozen=True)
class AnswerSpan:
    """A part of an answer, quoted verbatim from ``passages[passage_index]``."""

    passage_index: int
    text: str


@dataclass(frozen=True)
class Answer:
    """A grounded answer: ``text`` is the ``spans`` joined, every span quoted from a passage.

    Answers a language model composed (:mod:`~ragkit.server.models.llm_answerer`) are the
    model's text, and their spans are the passages it cited.
    """

    text: str
    spans: list[AnswerSpan]
    answerable_probability: float
    #: Who composed the answer: ``"local"`` (this module) or the model, ``"openai:NAME"``.
    composed_by: str = "local"
    #: Why the local answerer answered although a model was configured (``None``: it was not).
    fallback: str | None = None
    #: The features ``answerable_probability`` was computed from (see
    #: :func:`~ragkit.server.models.evidence.answerability_features`), for calibration.
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Sentence:
    passage_index: int
    start: int
    end: int
    text: str
    terms: frozenset[str]
    #: Terms of the in-text heading right above the sentence (see :func:`is_heading`); they
    #: are part of ``terms`` too: "A named location..." under "Tablespace" is about tablespaces.
    heading: frozenset[str] = frozenset()
    #: What is quoted when the sentence is picked: the sentence and the code block, list or
    #: table it introduces ("...execute the command" and the command below it).
    shown: str = ""
    #: Where ``shown`` ends in the passage.
    shown_end: int = 0


class Answerer:
    """Answers questions from the passages given, quoting them (see the module docstring).

    Args:
        embedder: supplies dense similarity; any
            :class:`~ragkit.server.models.embedding.Embedder`.
        sentence_vectors: where sentence vectors are remembered between answers (default:
            a new :class:`~ragkit.server.models.sentence_vectors.SentenceVectors` of the
            default size), so the sentences of a chunk retrieved again are not embedded again.
    """

    def __init__(
        self,
        embedder: Embedder,
        sentence_vectors: SentenceVectors | None = None,
        *,
        reranker: E5Reranker | None = None,
    ) -> None:
        self.embedder = embedder
        self.sentence_vectors = (
            sentence_vectors if sentence_vectors is not None else SentenceVectors()
        )
        self.reranker = reranker

    def rerank(
        self, question: str, passages: Sequence[Passage], *, busy: bool = False
    ) -> Reranking:
        """The order to ground on retrieved ``passages`` (best first, with their scores).

        With a :attr:`reranker`, passages are ordered by its fusion of their retrieval
        scores with its own opinion (:mod:`ragkit.server.models.reranker`), and carry the
        fused score. They keep retrieval order without one; when the server is ``busy``
        (reads waiting) or the reranker's engine is, unless the reranker is ``always``;
        and when it fails (an engine that cannot load turns it off, logged once; any other
        error is logged, and only that answer keeps the order).
        """
        kept = Reranking(list(enumerate(passages)), "retrieval")
        reranker = self.reranker
        if reranker is None or len(passages) < 2:
            return kept
        if busy and not reranker.always:
            return Reranking(kept.order, "retrieval; busy")
        try:
            order = reranker.rerank(
                question,
                [p.text for p in passages],
                [p.score or 0.0 for p in passages],
                wait=reranker.always,
            )
        except RerankerUnavailableError as error:
            logger.warning("Reranking turned off: %s", error)
            self.reranker = None
            return kept
        except Exception:  # never fail an answer over its second opinion
            logger.exception("Reranking failed; this answer keeps the retrieval order")
            return Reranking(kept.order, "retrieval; failed")
        if order is None:
            return Reranking(kept.order, "retrieval; busy")
        ranked = [(i, replace(passages[i], score=score)) for i, score in order]
        return Reranking(ranked, reranker.name)

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        style: AnswerStyleName = "ABSTRACTIVE",
        temperature: float = 0.0,
    ) -> Answer:
        """Answer ``question`` from ``passages`` (most relevant first).

        With ``temperature`` 0 the result depends only on the inputs; above 0, sentences
        whose scores are nearly equal may swap places, through a random generator seeded by
        the question and temperature, so a given input still always gives the same answer.
        Returns an empty answer with probability 0 when no passage has a usable sentence.

        Raises:
            ValueError: ``style`` is not one of the three styles, or ``temperature`` < 0.
        """
        if style not in ("ABSTRACTIVE", "EXTRACTIVE", "VERBOSE"):
            raise ValueError(f"Unknown answer style {style!r}.")
        if temperature < 0:
            raise ValueError("temperature must be >= 0.")
        sentences = _sentences(passages)
        if not sentences or not question.strip():
            return Answer(text="", spans=[], answerable_probability=0.0)
        question_terms = set(content_terms(question))
        vectors, evidence = self._evidence(question, question_terms, sentences, passages)
        relevance = evidence.relevance + _jitter(question, temperature, len(sentences))
        ranking = [int(i) for i in np.lexsort((np.arange(len(sentences)), -relevance))]
        features = _features(
            question, question_terms, sentences, vectors, evidence, ranking, passages
        )
        probability = answerable_probability(features)
        if style == "EXTRACTIVE":
            spans = [_extract(question, question_terms, sentences[ranking[0]], passages)]
        elif style == "ABSTRACTIVE":
            spans = _abstract(question, sentences, vectors, relevance, ranking)
        else:
            spans = _verbose(sentences, vectors, relevance, ranking)
        separator = "\n\n" if style == "VERBOSE" else " "
        return Answer(
            text=_join(spans, separator),
            spans=spans,
            answerable_probability=probability,
            features=features,
        )

    def close(self) -> None:
        """Release what the answerer holds (nothing here; a model client for subclasses)."""

    def resolve(self, question: str, turns: Sequence[tuple[str, str]]) -> str:
        """``question`` made standalone against the earlier ``turns`` (``(role, text)``,
        oldest first): the conversation's subject is carried into a follow-up ("How do I
        clear it?"); see :func:`~ragkit.server.models.followup.resolve_followup`."""
        return resolve_followup(question, [text for role, text in turns if role == "user"])

    def _evidence(
        self,
        question: str,
        question_terms: set[str],
        sentences: list[_Sentence],
        passages: Sequence[Passage],
    ) -> tuple[npt.NDArray[np.float32], Evidence]:
        """Score every sentence; only the lexically best :data:`DENSE_BUDGET` are embedded.

        Returns the sentence vectors (zero rows for sentences not embedded) and the evidence.
        """
        passage_terms: dict[int, set[str]] = {}
        for s in sentences:
            if s.passage_index not in passage_terms:
                # A passage's title ("csv — CSV File Reading and Writing > DictReader") says
                # what all of it is about: its words are context for every sentence.
                text = passages[s.passage_index].text
                passage_terms[s.passage_index] = set(content_terms(text[: passage_title_end(text)]))
            passage_terms[s.passage_index].update(s.terms)
        for index, terms in passage_terms.items():
            passage_terms[index] = _aligned(question_terms, terms)
        subject = subject_terms(question)
        procedure = asks_procedure(question)
        priors = np.array(
            [
                RANK_PRIOR / (1 + s.passage_index)
                + SCORE_PRIOR * min(1.0, max(0.0, passages[s.passage_index].score or 0.0))
                + HEADING_BONUS * title_match(subject, s.heading)
                for s in sentences
            ]
        )

        # What does not depend on the dense scores is computed once for both passes.
        aligned = [_aligned(question_terms, s.terms) for s in sentences]
        contexts = [passage_terms[s.passage_index] for s in sentences]
        antecedents = _antecedent_terms(sentences)
        word_counts = [len(s.text.split()) for s in sentences]
        typed = [answer_type_matches(question, s.text) for s in sentences]
        form_terms = answer_form_terms(question)
        formed = [
            answer_form_matches(question, s.text) or (procedure and s.shown_end > s.end)
            for s in sentences
        ]

        def score(dense: npt.NDArray[np.float64]) -> Evidence:
            return score_sentences(
                question_terms,
                aligned,
                contexts,
                antecedents,
                dense,
                priors,
                word_counts,
                typed,
                form_terms=form_terms,
                form_matches=formed,
            )

        lexical = score(np.zeros(len(sentences)))
        chosen = np.sort(np.argsort(-lexical.relevance, kind="stable")[:DENSE_BUDGET])
        vectors = np.zeros((len(sentences), self.embedder.dimensions), dtype=np.float32)
        # A quoted section title is another section's name ('see Section 6.10, "What's in
        # the pool directory?"'): it would make a pointer look like the answer it points to.
        vectors[chosen] = self._embed_documents([_own_words(sentences[i].text) for i in chosen])
        query = self.embedder.embed([question], kind="query")[0]
        return vectors, score((vectors @ query).astype(np.float64))

    def _embed_documents(self, texts: list[str]) -> npt.NDArray[np.float32]:
        return self.sentence_vectors.embed(self.embedder, [" ".join(t.split()) for t in texts])


_MARKUP_HEADING = re.compile(r"#{1,6}(?:\s|$)")


def _sentences(passages: Sequence[Passage]) -> list[_Sentence]:
    found: list[_Sentence] = []
    for passage_index, passage in enumerate(passages):
        title_end = passage_title_end(passage.text)
        heading: frozenset[str] = frozenset()
        title = passage.text[:title_end].strip()
        if title.endswith("?"):
            # A question title ("Why is x slow?" above its answer) heads the answer's first
            # sentence as an in-text question heading would.
            heading = frozenset(content_terms(title.rsplit(SECTION_SEPARATOR, 1)[-1]))
        for start, end in split_sentences(passage.text):
            text = passage.text[start:end]
            # Markup headings and titles name a topic; quoting one is never an answer.
            if (
                not any(c.isalnum() for c in text)
                or _MARKUP_HEADING.match(text)
                or end <= title_end
            ):
                continue
            # An in-text heading ("Replication" above its definition, an FAQ's question above
            # its answer) is not quoted either; the sentence under it takes its words.
            if is_heading(passage.text, start, end):
                heading = frozenset(content_terms(text))
                continue
            # A question is never its own answer, nor is a sentence that only quotes a
            # title ('Section 6.10, "What is in the pool directory?".').
            if _is_question(text) or _quotes_only(text):
                continue
            # Words of a quoted title ('see Section 12.1, "What other documentation
            # exists?"') name another section; they say nothing about this sentence.
            terms = frozenset(content_terms(_QUOTED_TITLE.sub(" ", text)))
            shown_end = _introduced_end(passage.text, end)
            found.append(
                _Sentence(
                    passage_index,
                    start,
                    end,
                    text,
                    terms | heading,
                    heading,
                    passage.text[start:shown_end],
                    shown_end,
                )
            )
            heading = frozenset()
            if len(found) == MAX_SENTENCES:
                return found
    return found


_QUOTED = re.compile(r"\u201c[^\u201d]*\u201d|\"[^\"]*\"|`[^`']*'")
_CLOSERS = " \t\n\"'\u201d\u2019)]*_"


def _is_question(text: str) -> bool:
    return text.rstrip(_CLOSERS).endswith("?")


#: A quoted question, or a quotation right after a section number: another section's title.
_QUOTED_TITLE = re.compile(
    r"(?:\b(?:Section|Chapter|Appendix)\s+[\w.]+,?\s*)?(?:\u201c[^\u201d]*\?[^\u201d]{0,3}\u201d"
    r"|\"[^\"]*\?[^\"]{0,3}\")"
    r"|\b(?:Section|Chapter|Appendix)\s+[\w.]+,?\s*(?:\u201c[^\u201d]*\u201d|\"[^\"]*\")"
)


def _own_words(text: str) -> str:
    """``text`` without the section titles it quotes (unchanged when nothing else is left)."""
    stripped = _QUOTED_TITLE.sub(" ", text)
    return stripped if any(c.isalnum() for c in stripped) else text


def _quotes_only(text: str) -> bool:
    """A sentence whose words are almost all inside quotation marks quotes a title."""
    if not _QUOTED.search(text):
        return False
    outside = _QUOTED.sub(" ", text).split()
    return sum(1 for word in outside if any(c.isalnum() for c in word)) < 4


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_PROSE_PARAGRAPH = re.compile(r"^[A-Z][^\n]*[.!?][\"'\u201d\u2019)]*$")


def _introduced_end(text: str, end: int) -> int:
    """Where the block the sentence ending at ``end`` introduces ends (``end`` if none).

    A sentence introduces what follows when it is the last of its paragraph and ends with
    a colon or stops without final punctuation ("...execute the command"): then the next
    paragraph is shown with it, and, after a colon, the paragraphs after it as long as
    they are not prose (items, code, table rows), up to :data:`BLOCK_MAX_CHARS`.
    """
    rest = text[end:]
    after = rest.lstrip(" \t")
    if not after.startswith("\n"):
        return end
    if not introduced(text, len(text) - len(after)):
        return end
    colon = text[:end].rstrip().endswith(":")
    position = len(text) - len(after.lstrip())
    shown = end
    for count in range(_BLOCK_MAX_PARAGRAPHS):
        if position >= len(text):
            break
        gap = _BLANK_LINE.search(text, position)
        stop = gap.start() if gap else len(text)
        paragraph = text[position:stop]
        if count and (not colon or _PROSE_PARAGRAPH.match(paragraph.strip())):
            break
        if stop - end > BLOCK_MAX_CHARS:
            cut = text.rfind("\n", position, end + BLOCK_MAX_CHARS)
            if cut > position:
                shown = cut
            break
        shown = stop
        if gap is None:
            break
        position = gap.end()
    return len(text[:shown].rstrip())


#: Shortest shared stem for :func:`_aligned` ("dict" / "dictionary", "read" / "reader").
_PREFIX_MIN = 4


def _aligned(question: set[str], terms: Set[str]) -> set[str]:
    """``terms`` plus the question terms that one of them begins or is begun by.

    The stemmer leaves "dict" and "dictionary", "read" and "reader", "config" and
    "configuration" apart; a sentence using the short form answers a question using the
    long one (and the other way round) as well as one repeating its word.
    """
    found = set(terms)
    for q in question - found:
        if len(q) < _PREFIX_MIN:
            continue
        if any(len(t) >= _PREFIX_MIN and (t.startswith(q) or q.startswith(t)) for t in terms):
            found.add(q)
    return found


def _antecedent_terms(sentences: list[_Sentence]) -> list[set[str]]:
    """For a sentence opening with a pronoun: the terms of its passage's first sentence
    and of the sentence before it, which the pronoun most likely refers to."""
    found: list[set[str]] = []
    first = 0
    for i, sentence in enumerate(sentences):
        if i == 0 or sentences[i - 1].passage_index != sentence.passage_index:
            first = i
        if i > first and _LEADING_PRONOUN.match(sentence.text):
            found.append(set(sentences[first].terms | sentences[i - 1].terms))
        else:
            found.append(set())
    return found


def _jitter(question: str, temperature: float, n: int) -> npt.NDArray[np.float64]:
    if temperature <= 0:
        return np.zeros(n)
    key = hashlib.blake2b(f"{temperature!r}\0{question}".encode(), digest_size=8).digest()
    rng = np.random.default_rng(int.from_bytes(key, "little"))
    return rng.uniform(0.0, _TEMPERATURE_JITTER * min(temperature, 1.0), n)


def _features(
    question: str,
    question_terms: set[str],
    sentences: list[_Sentence],
    vectors: npt.NDArray[np.float32],
    evidence: Evidence,
    ranking: list[int],
    passages: Sequence[Passage],
) -> dict[str, float]:
    best = ranking[0]
    runners_up = ranking[1:3]
    agreement = float(np.mean(vectors[runners_up] @ vectors[best])) if runners_up else 0.0
    scores = [p.score for p in passages if p.score is not None]
    embedded = evidence.dense[np.any(vectors != 0, axis=1)]
    features = answerability_features(
        dense=float(evidence.dense[best]),
        coverage=0.5 * float(evidence.context_coverage[best] + evidence.subject_coverage[best]),
        agreement=agreement,
        type_match=answer_type_matches(question, sentences[best].text),
        novelty=novelty(question_terms, set(sentences[best].terms)),
        form_match=answer_form_matches(question, sentences[best].text),
        retrieval=scores if len(scores) == len(passages) else None,
        best_passage=sentences[best].passage_index,
    )
    features["dense_max"] = float(np.max(embedded)) if len(embedded) else 0.0
    features["dense_contrast"] = (
        float(evidence.dense[best] - np.median(embedded)) if len(embedded) else 0.0
    )
    return features


def _is_duplicate(
    a: _Sentence, b: _Sentence, vectors: npt.NDArray[np.float32], ia: int, ib: int
) -> bool:
    union = a.terms | b.terms
    if union and len(a.terms & b.terms) / len(union) >= _DUPLICATE_JACCARD:
        return True
    return float(vectors[ia] @ vectors[ib]) >= _DUPLICATE_COSINE


def _pick(
    sentences: list[_Sentence],
    vectors: npt.NDArray[np.float32],
    relevance: npt.NDArray[np.float64],
    ranking: list[int],
    *,
    margin: float,
    minimum: int,
    maximum: int,
) -> list[int]:
    """Best sentences in rank order, skipping near-duplicates of ones already picked."""
    picked = [ranking[0]]
    floor = relevance[ranking[0]] - margin
    for i in ranking[1:]:
        if len(picked) >= maximum or (relevance[i] < floor and len(picked) >= minimum):
            break
        if not any(
            _is_duplicate(sentences[i], sentences[j], vectors, i, j)
            or _inside(sentences[i], sentences[j])
            or _inside(sentences[j], sentences[i])
            for j in picked
        ):
            picked.append(i)
    return picked


def _span(sentence: _Sentence) -> AnswerSpan:
    return AnswerSpan(passage_index=sentence.passage_index, text=sentence.shown or sentence.text)


def _inside(a: _Sentence, b: _Sentence) -> bool:
    """Whether ``a`` is already quoted as part of what ``b`` shows (its introduced block)."""
    return a.passage_index == b.passage_index and b.start <= a.start < max(b.end, b.shown_end)


def _abstract(
    question: str,
    sentences: list[_Sentence],
    vectors: npt.NDArray[np.float32],
    relevance: npt.NDArray[np.float64],
    ranking: list[int],
) -> list[AnswerSpan]:
    best = sentences[ranking[0]]
    previous = ranking[0] - 1
    before = sentences[previous] if previous >= 0 else None
    # "It ..." needs what "it" is; "Yes." / "No." right before the best sentence is the
    # direct answer to a yes/no question, which the sentence then explains.
    if (
        before is not None
        and before.passage_index == best.passage_index
        and (
            _LEADING_PRONOUN.match(best.text)
            or (asks_yes_no(question) and _YES_NO_SENTENCE.match(before.text))
        )
    ):
        return [_span(before), _span(best)]
    picked = _pick(
        sentences, vectors, relevance, ranking, margin=_ABSTRACTIVE_MARGIN, minimum=1, maximum=2
    )
    return [_span(sentences[i]) for i in picked]


def _verbose(
    sentences: list[_Sentence],
    vectors: npt.NDArray[np.float32],
    relevance: npt.NDArray[np.float64],
    ranking: list[int],
) -> list[AnswerSpan]:
    picked = _pick(
        sentences,
        vectors,
        relevance,
        ranking,
        margin=_VERBOSE_MARGIN,
        minimum=_VERBOSE_MIN,
        maximum=_VERBOSE_MAX,
    )
    # Sentence indices already run in passage order, then position order.
    return [_span(sentences[i]) for i in sorted(picked)]


def _extract(
    question: str, question_terms: set[str], sentence: _Sentence, passages: Sequence[Passage]
) -> AnswerSpan:
    text = passages[sentence.passage_index].text
    if len(sentence.text.split()) <= EXTRACTIVE_MAX_WORDS:
        return _span(sentence)
    units: list[tuple[int, int]] = []
    for start, end in split_clauses(text, sentence.start, sentence.end):
        spans = word_spans(text, start, end)
        step = EXTRACTIVE_MAX_WORDS // 2
        units.extend(
            (spans[i][0], spans[min(i + step, len(spans)) - 1][1])
            for i in range(0, len(spans), step)
        )
    best: tuple[float, int, int] | None = None
    for first in range(len(units)):
        for last in range(first, len(units)):
            start, end = units[first][0], units[last][1]
            window = text[start:end]
            if len(window.split()) > EXTRACTIVE_MAX_WORDS:
                break
            overlap = len(question_terms & set(content_terms(window)))
            typed = answer_type_matches(question, window)
            score = overlap + 0.75 * typed - 0.01 * len(window.split())
            if best is None or score > best[0]:
                best = (score, start, end)
    if best is None:
        return _span(sentence)
    return AnswerSpan(passage_index=sentence.passage_index, text=text[best[1] : best[2]])


def _join(spans: list[AnswerSpan], group_separator: str) -> str:
    parts: list[str] = []
    for i, span in enumerate(spans):
        if i:
            same_group = spans[i - 1].passage_index == span.passage_index
            parts.append(" " if same_group else group_separator)
        parts.append(span.text)
    return "".join(parts)
