"""How well each passage sentence answers a question, and how likely any answer is grounded.

Used by :mod:`ragkit.server.models.answerer`. A sentence's *relevance* mixes

* dense similarity: cosine between the question (embedded as a query) and the sentence
  (embedded as a document);
* lexical coverage: the IDF-weighted share of the question's content words (stemmed,
  stopwords removed) that the sentence contains; IDF is taken over the given sentences, so
  a question word found nowhere weighs most;
* pronouns: a sentence opening with "It", "They"... counts the words of its passage's first
  sentence and of the sentence before it at :data:`ANTECEDENT_WEIGHT` (so "It was
  designed by Gustave Eiffel." covers "Eiffel Tower" from its neighbour);
* context coverage: the same, but words found anywhere else in the sentence's passage count
  half;
* a mild prior for passages the caller ranked first and for their retrieval score, and a
  bonus for a sentence right under an in-text heading that names the question's subject
  (:data:`HEADING_BONUS`).

Form words ("Which **SQL command** would you **use** to...", "What does X **mean**?") weigh
less than the question's subject (:func:`answer_form_terms`, :func:`subject_terms`).
:func:`answerable_probability` turns the best sentence's evidence into a probability with a
logistic; its constants are documented on :data:`PROBABILITY_WEIGHTS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ragkit.server.models.lexical import (
    STOPWORDS,
    content_terms,
    idf_weights,
    stem,
    words,
    wordset,
)

__all__ = [
    "HEADING_BONUS",
    "PROBABILITY_BIAS",
    "PROBABILITY_WEIGHTS",
    "Evidence",
    "answer_form_matches",
    "answer_form_terms",
    "answer_type_matches",
    "answerability_features",
    "answerable_probability",
    "asks_procedure",
    "asks_yes_no",
    "coverage",
    "subject_coverage",
    "subject_terms",
]

#: Weights of the relevance mix (dense, sentence coverage, context coverage).
DENSE_WEIGHT = 0.5
COVERAGE_WEIGHT = 0.5
CONTEXT_WEIGHT = 0.15
#: How much the words a leading pronoun stands for count toward a sentence's coverage.
ANTECEDENT_WEIGHT = 0.75
#: Bonus for the caller's first passage, decaying as 1 / (1 + passage index).
RANK_PRIOR = 0.03
#: Bonus per unit of a passage's retrieval score (``chunkRelevanceScore`` is in [0, 1]). The
#: retriever compared the whole chunk, context line included, with the question, which
#: sentence scores alone cannot: on the PostgreSQL evaluation set (tune split) raising this
#: from 0.05 to 4 raised attribution precision from 0.70 to 0.84 (``bench/RESULTS.md``), so
#: a retrieval score 0.05 higher outweighs most differences between sentences.
SCORE_PRIOR = 4.0
#: Bonus for a sentence right under an in-text heading that names the question's subject
#: (scaled by their Jaccard overlap; see :mod:`ragkit.server.models.titles`): under
#: "Tablespace", "A named location on the server filesystem." is the definition even though
#: it never says "tablespace". On the PostgreSQL evaluation set's tune split, 0.1 / 0.2 / 0.4
#: took token F1 from 0.405 to 0.450 / 0.491 / 0.549 and attribution from 0.885 to 0.885 /
#: 0.893 / 0.901, but answerable AUROC from 0.875 to 0.872 / 0.856 / 0.850; 0.2 keeps AUROC
#: within 0.02.
HEADING_BONUS = 0.2
#: Sentences shorter than this many words (headings, list stubs) are discounted.
SHORT_SENTENCE_WORDS = 4
SHORT_SENTENCE_PENALTY = 0.1
#: Words that shape a question rather than name its topic (see :func:`answer_form_terms`):
#: "long" in "how long...", "SQL command" in "Which SQL command would you use to...", "mean"
#: in "What does X mean?". Answers rarely repeat them ("21 km", "ALTER TABLE — change the
#: definition of a table"), so they count this fraction of their IDF. On the PostgreSQL
#: evaluation set (tune split) treating the asked-for category, "you use" and "mean" this
#: way raised answerable AUROC from 0.64 to 0.74 (``bench/RESULTS.md``).
FORM_TERM_WEIGHT = 0.3
#: Bonus for holding the kind of token the question asks for (see :func:`answer_type_matches`).
ANSWER_TYPE_BONUS = 0.2
#: Bonus for a sentence shaped like an answer to the question's form (see
#: :func:`answer_form_matches`): a reason for "why", a procedure for "how do I", a
#: definition for "what is", a yes or no for a yes/no question.
ANSWER_FORM_BONUS = 0.1

#: Logistic weights for :func:`answerable_probability`: ``z = PROBABILITY_BIAS +
#: sum(weight * feature)`` over the features :func:`answerability_features` computes:
#:
#: * ``dense``: the best sentence's dense similarity to the question;
#: * ``dense_contrast``: how far it stands above the median similarity of the sentences
#:   embedded (one sentence that answers stands out; on an unanswerable question the
#:   nearest sentences are all about equally near);
#: * ``coverage``: the mean of its context coverage of the question and its
#:   :func:`subject_coverage`;
#: * ``answer_form``: 1 if it has the form the question asks for (:func:`answer_form_matches`);
#: * ``retrieval_floor``: the best retrieval score among the passages
#:   (``chunkRelevanceScore``, clipped to [0, 1]), counted as :data:`RETRIEVAL_FLOOR` when
#:   lower.
#:
#: Fitted, not hand-set: an L2-regularised logistic regression on the tune splits of two
#: genres, the Debian FAQ (``debfaq``: its answer paragraphs alone, and with each answer's
#: question line, as an FAQ page reads) and the PostgreSQL manual (``pg15``), each set
#: weighted alike, by ``bench/eval/fit_answerability.py``; the FAQ set ``toolfaq`` and the
#: Octave manual were kept out of the fit (``bench/RESULTS.md``, section 4). ``dense``
#: weighs against ``dense_contrast``: the same best similarity counts for less when every
#: sentence is about as near. Features that separated nothing on the tune splits or pushed
#: opposite ways in the two genres (novelty, agreement, the retrieval margin and gap) are
#: left out, and so is the answer-type match (a number for "how many"...): the sets almost
#: never ask for such a token, and at its former hand-set weight every tune split separated
#: worse. It still steers which sentence is quoted (:data:`ANSWER_TYPE_BONUS`).
PROBABILITY_WEIGHTS = {
    "dense": -0.26,
    "dense_contrast": 1.71,
    "coverage": 3.45,
    "answer_form": 1.04,
    "retrieval_floor": 2.73,
}
PROBABILITY_BIAS = -3.38
#: The centre of the retrieval scores, for passages without one (see :data:`UNSCORED`).
RETRIEVAL_CENTER = 0.6
#: Retrieval scores below this count as this much in ``retrieval_floor``: embedders whose
#: scores run low (``hash``) are not refused for it.
RETRIEVAL_FLOOR = 0.4
#: The retrieval features of passages without a retrieval score (inline passages): a
#: typical top score, nothing standing out; ``retrieval_floor``, the one the probability
#: weighs, counts just above :data:`RETRIEVAL_FLOOR`, since nothing measured how well the
#: passages match (at a typical hit's 0.6, an unrelated inline passage kept 0.24).
UNSCORED = {
    "retrieval": RETRIEVAL_CENTER,
    "retrieval_top": RETRIEVAL_CENTER,
    "retrieval_floor": 0.45,
    "retrieval_margin": 0.0,
    "retrieval_gap": 0.0,
    "best_is_top": 1.0,
}

_NUMBER_WORDS = wordset("""
    zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy
    eighty ninety hundred thousand million billion trillion dozen half once twice
    """)
_TIME_WORDS = wordset("""
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday century centuries decade
    decades year years ago today yesterday tomorrow morning evening night noon midnight
    spring summer autumn fall winter daily weekly monthly annually
    """)
_ASKS_QUANTITY = re.compile(
    r"\bhow\s+(many|much|long|old|far|big|tall|large|high|fast|often|deep|wide|heavy)\b"
    r"|\bwhat\s+(percentage|percent|number|amount|size|price|cost)\b",
    re.IGNORECASE,
)
_ASKS_TIME = re.compile(
    r"\bwhen\b|\b(what|which)\s+(year|date|time|day|month|century|decade)\b", re.IGNORECASE
)
_ASKS_NAME = re.compile(r"\b(who|whom|whose|where)\b", re.IGNORECASE)
#: "Which SQL command would...", "What tool should...": the words between the question word
#: and the verb name the category of the answer, not its topic.
_AUXILIARY = r"(?:would|should|could|can|do|does|did|is|are|was|were|will|has|have|might|must)\b"
_ASKS_CATEGORY = re.compile(
    rf"\b(?:which|what)\s+(?!{_AUXILIARY})((?:[\w-]+\s+){{0,3}}?[\w-]+)\s+{_AUXILIARY}",
    re.IGNORECASE,
)
#: "...would you use to...", "...do I need to...": the asker's own action.
_ASKS_ACTION = re.compile(r"\b(?:you|one|i|we)\s+(use|need|run|call|choose|pick)\b", re.IGNORECASE)
#: "What does X mean?", "In PostgreSQL terminology, what is meant by X?": asks for a definition.
_ASKS_DEFINITION = re.compile(r"\b(mean|means|meant|terminology)\b", re.IGNORECASE)
#: The frame of a definition, "...mean in PostgreSQL?", "In PostgreSQL terminology, ...": the
#: vocabulary the term belongs to, which its definition does not repeat.
_DEFINITION_FRAME = re.compile(
    r"\bmean\w*\s+in\s+((?:[\w-]+\s+)?[\w-]+)\s*\?*\s*$"
    r"|\bin\s+((?:[\w-]+\s+)?[\w-]+)\s+terminology\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z0-9'\u2019-]*")
_ASKS_REASON = re.compile(r"^\W*why\b|\bhow come\b|\bwhat is the (?:reason|point)\b", re.I)
_REASON = re.compile(
    r"\b(?:because|since|so that|in order to|due to|reasons?|as a result|therefore|thus|"
    r"otherwise|to (?:avoid|ensure|prevent|allow|make sure|keep)|this is why|that is why|"
    r"the idea|so as to|for (?:historical|performance|security|compatibility) reasons)\b",
    re.I,
)
_ASKS_PROCEDURE = re.compile(
    r"^\W*how\s+(?:do|can|could|should|would|to|does one|may|might|is it possible to)\b"
    r"|\bwhat(?:'s| is) the (?:best |easiest |right |recommended |preferred )?way\b",
    re.I,
)
_PROCEDURE = re.compile(
    r"^\W*(?:use|run|type|add|edit|install|set|call|execute|create|put|open|enter|select|"
    r"pass|write|make|remove|give|start|invoke|click|choose|define|import)\b"
    r"|\b(?:use|using|run|running|execute|executing|type|command|invoke|call|calling|by "
    r"\w+ing|with the \S+ (?:command|function|option|method|tool|program))\b|:\s*$",
    re.I,
)
#: "What is the population of Paris?" asks for the value of an attribute, not a definition.
_ASKS_DEFINITION_FORM = re.compile(
    r"^\W*what\s+(?:is|are|does)\s+(?!the (?:best|easiest|difference|reason|point|way)\b)"
    r"(?!the (?:[\w-]+ ){1,2}of\b)"
    r"|\bmeant by\b|\bwhat does \S+(?: \S+)? mean\b",
    re.I,
)
#: "X is a ...", "refers to", "means", "stands for", "is defined as", "denotes". Looser
#: forms ("is used", "is called", "contains") matched generic sentences on the PostgreSQL
#: tune split ("The SQL standard uses this term to indicate what is called a database...").
_DEFINITION = re.compile(
    r"\b(?:is|are)\s+(?:a|an|the|one|any)\b|\brefers? to\b|\bmeans?\b|\bstands? for\b"
    r"|\bis defined as\b|\bdenotes?\b",
    re.I,
)
_ASKS_YES_NO = re.compile(
    r"^\W*(?:can|could|is|are|does|do|did|will|would|should|must|may|has|have|am)\b", re.I
)
_YES_NO = re.compile(r"^\W*(?:yes|no)\b", re.I)


@dataclass(frozen=True)
class Evidence:
    """Per-sentence scores (arrays aligned with the candidate sentences)."""

    dense: npt.NDArray[np.float64]
    coverage: npt.NDArray[np.float64]
    context_coverage: npt.NDArray[np.float64]
    #: Unweighted share of the question's subject terms found (see :func:`subject_coverage`).
    subject_coverage: npt.NDArray[np.float64]
    relevance: npt.NDArray[np.float64]


def coverage(
    question: set[str],
    found: set[str],
    idf: dict[str, float],
    nearby: set[str] | None = None,
    nearby_weight: float = 0.5,
) -> float:
    """IDF-weighted share of ``question`` terms in ``found``; terms only in ``nearby``
    count ``nearby_weight``."""
    total = sum(idf[t] for t in question)
    if total == 0:
        return 0.0
    hit = sum(idf[t] for t in question & found)
    if nearby:
        hit += nearby_weight * sum(idf[t] for t in (question & nearby) - found)
    return hit / total


def subject_coverage(
    subject: Set[str], found: Set[str], nearby: Set[str], context: Set[str]
) -> float:
    """Share of ``subject`` terms the evidence holds, every term counting alike: 1 for a
    term in ``found`` (the sentence), :data:`ANTECEDENT_WEIGHT` for one in ``nearby`` (what
    its pronoun stands for), 0.5 for one elsewhere in ``context`` (its passage).

    Unlike :func:`coverage`, no IDF: the words every retrieved passage shares are the
    question's topic, the last a grounded answer may lack, although they tell passages
    apart least.
    """
    if not subject:
        return 0.0
    hit = sum(
        1.0 if t in found else ANTECEDENT_WEIGHT if t in nearby else 0.5 if t in context else 0.0
        for t in subject
    )
    return hit / len(subject)


def score_sentences(
    question_terms: set[str],
    sentence_terms: list[set[str]],
    passage_terms: list[set[str]],
    antecedent_terms: list[set[str]],
    dense: npt.NDArray[np.float64],
    priors: npt.NDArray[np.float64],
    word_counts: list[int],
    type_matches: list[bool],
    *,
    form_terms: frozenset[str] = frozenset(),
    form_matches: list[bool] | None = None,
) -> Evidence:
    """Combine dense and lexical evidence into one relevance score per sentence.

    ``passage_terms[i]`` is the term set of sentence ``i``'s whole passage and
    ``antecedent_terms[i]`` the terms a leading pronoun ("It was...") may stand for
    (empty for other sentences); ``priors`` holds
    the rank and retrieval-score bonus of each sentence's passage; ``type_matches`` whether
    each sentence holds the kind of answer the question asks for. ``form_terms`` (see
    :func:`answer_form_terms`) weigh only :data:`FORM_TERM_WEIGHT` of their IDF;
    ``form_matches`` (see :func:`answer_form_matches`) earn :data:`ANSWER_FORM_BONUS`.
    """
    idf = dict(idf_weights(sentence_terms, question_terms))
    for term in form_terms & question_terms:
        idf[term] *= FORM_TERM_WEIGHT
    cov = np.array(
        [
            coverage(question_terms, s, idf, a, ANTECEDENT_WEIGHT)
            for s, a in zip(sentence_terms, antecedent_terms, strict=True)
        ]
    )
    ctx = np.array(
        [
            coverage(question_terms, s | a, idf, p)
            for s, a, p in zip(sentence_terms, antecedent_terms, passage_terms, strict=True)
        ]
    )
    subject = question_terms - form_terms
    subject_cov = (
        np.array(
            [
                subject_coverage(subject, s, a, p)
                for s, a, p in zip(sentence_terms, antecedent_terms, passage_terms, strict=True)
            ]
        )
        if subject
        else ctx
    )
    short = np.array([n < SHORT_SENTENCE_WORDS for n in word_counts], dtype=np.float64)
    typed = np.array(type_matches, dtype=np.float64)
    formed = np.array(form_matches or [False] * len(word_counts), dtype=np.float64)
    relevance = (
        DENSE_WEIGHT * dense
        + COVERAGE_WEIGHT * cov
        + CONTEXT_WEIGHT * ctx
        + priors
        - SHORT_SENTENCE_PENALTY * short
        + ANSWER_TYPE_BONUS * typed
        + ANSWER_FORM_BONUS * formed
    )
    return Evidence(
        dense=dense,
        coverage=cov,
        context_coverage=ctx,
        subject_coverage=subject_cov,
        relevance=relevance,
    )


def answer_form_terms(question: str) -> frozenset[str]:
    """Stemmed words that shape ``question`` rather than name its topic.

    ``{"long"}`` for "How long is...?", ``{"sql", "command", "use"}`` for "Which SQL command
    would you use to drop a table?", ``{"mean"}`` for "What does MVCC mean?", ``{"mean",
    "postgresql"}`` for "What does MVCC mean in PostgreSQL?".
    """
    found = {stem(m.group(1).lower()) for m in _ASKS_QUANTITY.finditer(question) if m.group(1)}
    for m in _ASKS_CATEGORY.finditer(question):
        found.update(stem(w) for w in words(m.group(1)) if w not in STOPWORDS)
    for pattern in (_ASKS_ACTION, _ASKS_DEFINITION):
        found.update(stem(m.group(1).lower()) for m in pattern.finditer(question))
    for m in _DEFINITION_FRAME.finditer(question):
        found.update(stem(w) for w in words(m.group(1) or m.group(2)) if w not in STOPWORDS)
    return frozenset(found)


def subject_terms(question: str) -> frozenset[str]:
    """The content terms naming what ``question`` is about (its form terms removed).

    ``{"drop", "tabl"}`` for "Which SQL command would you use to drop a table?".
    """
    return frozenset(content_terms(question)) - answer_form_terms(question)


def answer_type_matches(question: str, sentence: str) -> bool:
    """Whether ``sentence`` holds the kind of token ``question`` asks for.

    "How many/much..." wants a number, "when/what year..." a number or time word,
    "who/where" a capitalised name not taken from the question; other questions accept any
    sentence.
    """
    tokens = set(words(sentence))
    has_number = any(t.isdigit() or t in _NUMBER_WORDS for t in tokens) or bool(
        re.search(r"\d", sentence)
    )
    if _ASKS_QUANTITY.search(question):
        return has_number
    if _ASKS_TIME.search(question):
        return has_number or bool(tokens & _TIME_WORDS)
    if _ASKS_NAME.search(question):
        asked = {stem(w) for w in words(question)}
        names = [found[0] for m in _CAPITALISED.finditer(sentence) if (found := words(m.group()))]
        return any(w not in STOPWORDS and stem(w) not in asked for w in names)
    return True


def answer_form_matches(question: str, sentence: str) -> bool:
    """Whether ``sentence`` is shaped like an answer to the form of ``question``.

    "Why ...?" wants a reason ("because", "so that", "to avoid"...); "How do I ...?" a
    procedure (an instruction, a command, "use ...", or a sentence ending in a colon that
    introduces one); "What is X?" a definition ("X is a ...", "refers to", "means"); a
    yes/no question a sentence opening with yes or no. False for other questions, so the
    bonus only ever separates sentences of a question that has a form.
    """
    if _ASKS_REASON.search(question):
        return bool(_REASON.search(sentence))
    if _ASKS_PROCEDURE.search(question):
        return bool(_PROCEDURE.search(sentence))
    if _ASKS_DEFINITION_FORM.search(question):
        return bool(_DEFINITION.search(sentence))
    if _ASKS_YES_NO.search(question):
        return bool(_YES_NO.search(sentence))
    return False


def asks_procedure(question: str) -> bool:
    """Whether ``question`` asks how to do something ("How do I ...?")."""
    return bool(_ASKS_PROCEDURE.search(question))


def asks_yes_no(question: str) -> bool:
    """Whether ``question`` is a yes/no question ("Can I ...?", "Is there ...?")."""
    return bool(_ASKS_YES_NO.search(question))


def novelty(question_terms: set[str], sentence_terms: set[str]) -> float:
    """Share (capped at 1) of three content words the sentence adds beyond the question."""
    return min(1.0, len(sentence_terms - question_terms) / 3.0)


def answerability_features(
    *,
    dense: float,
    coverage: float,
    agreement: float,
    type_match: bool,
    novelty: float,
    form_match: bool,
    retrieval: Sequence[float] | None,
    best_passage: int,
) -> dict[str, float]:
    """The evidence :func:`answerable_probability` weighs, from the best sentence and the
    retrieval that found its passage.

    ``retrieval`` holds the passages' retrieval scores in the order given (``None`` when
    they are not all known, as for inline passages: then the retrieval features take the
    values :data:`UNSCORED` gives them); ``best_passage`` is the index of the best
    sentence's passage.
    """
    features = {
        "dense": dense,
        "coverage": coverage,
        "agreement": agreement,
        "answer_type": float(type_match),
        "novelty": novelty,
        "answer_form": float(form_match),
    }
    if not retrieval:
        features.update(UNSCORED)
        return features
    clipped = [min(1.0, max(0.0, s)) for s in retrieval]
    top = max(clipped)
    rest = sorted(clipped, reverse=True)[1:]
    features.update(
        {
            "retrieval": clipped[best_passage],
            "retrieval_top": top,
            "retrieval_floor": max(top, RETRIEVAL_FLOOR),
            "retrieval_margin": top - rest[0] if rest else 0.0,
            "retrieval_gap": top - float(np.mean(rest)) if rest else 0.0,
            "best_is_top": float(clipped[best_passage] >= top),
        }
    )
    return features


def answerable_probability(features: Mapping[str, float]) -> float:
    """Logistic of :func:`answerability_features`; see :data:`PROBABILITY_WEIGHTS`."""
    z = PROBABILITY_BIAS + sum(
        w * features.get(name, 0.0) for name, w in PROBABILITY_WEIGHTS.items()
    )
    return 1.0 / (1.0 + math.exp(-z))
