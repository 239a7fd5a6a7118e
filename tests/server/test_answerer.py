"""Answerer: sentence splitting, styles, attribution, determinism and answerability."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
import pytest

from ragkit.server.models.answerer import (
    DENSE_BUDGET,
    EXTRACTIVE_MAX_WORDS,
    Answer,
    Answerer,
    Passage,
)
from ragkit.server.models.embedders.hashed import HashEmbedder
from ragkit.server.models.embedding import load_embedder
from ragkit.server.models.lexical import content_terms, stem
from ragkit.server.models.sentences import split_clauses, split_sentences
from ragkit.server.models.titles import is_heading

PASSAGES = [
    Passage(
        "eiffel",
        "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris. "
        "It was designed by the engineering company of Gustave Eiffel. "
        "The tower was completed in 1889 as the entrance arch to the World's Fair. "
        "It is 330 metres tall, about the height of an 81-storey building.",
    ),
    Passage(
        "coffee",
        "Coffee is brewed from roasted coffee beans, the seeds of berries from Coffea plants. "
        "The two most cultivated species are arabica and robusta. "
        "Brazil is the largest coffee producer, growing about a third of the world's coffee. "
        "Coffee was first cultivated in Yemen in the 15th century.",
    ),
    Passage(
        "python",
        "Python is a high-level programming language created by Guido van Rossum. "
        "The first version was released in 1991. "
        "Python 3.0, released in December 2008, was a major revision that is not "
        "completely backward-compatible with earlier versions.",
    ),
    Passage(
        "moon",
        "The Moon is Earth's only natural satellite. "
        "It orbits at an average distance of 384,400 km. "
        "Neil Armstrong became the first person to walk on the Moon on 20 July 1969. "
        "Twelve astronauts walked on its surface during the Apollo program.",
    ),
    Passage(
        "bees",
        "Honey bees live in colonies with a single queen, thousands of workers and some drones. "
        "Worker bees communicate the location of flowers with a waggle dance. "
        "A strong colony can produce more than 25 kilograms of surplus honey in a season.",
    ),
    Passage(
        "plan",
        "Billing\n"
        "- The Basic plan costs $5 per month and includes 10 GB of storage.\n"
        "- The Pro plan costs $15 per month and includes 1 TB of storage.\n"
        "Refunds are available within 30 days of purchase.",
    ),
]

ANSWERABLE = [
    "When was the Eiffel Tower completed?",
    "Who designed the Eiffel Tower?",
    "How tall is the Eiffel Tower?",
    "Which country is the largest coffee producer?",
    "Who created the Python programming language?",
    "When was the first version of Python released?",
    "Who was the first person to walk on the Moon?",
    "How do worker bees communicate the location of flowers?",
    "How much does the Pro plan cost per month?",
    "Within how many days are refunds available?",
]
UNANSWERABLE = [
    "Who painted the Mona Lisa?",
    "What is the boiling point of water at sea level?",
    "How many goals did Pele score in his career?",
    "When did the Berlin Wall fall?",
    "Who is the current president of Brazil?",
    "How much caffeine is in a cup of green tea?",
    "Who invented the JavaScript language?",
    "What is the population of Paris?",
    "How long do queen bees live?",
    "Does the Basic plan include phone support?",
]


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return Answerer(HashEmbedder())


def _auroc(positives: list[float], negatives: list[float]) -> float:
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def _assert_grounded(answer: Answer, passages: list[Passage]) -> None:
    assert answer.spans
    for span in answer.spans:
        assert span.text
        assert span.text in passages[span.passage_index].text
        assert span.text in answer.text
    assert 0.0 <= answer.answerable_probability <= 1.0


def test_splitter_handles_abbreviations_decimals_and_bullets() -> None:
    text = (
        "Dr. Smith paid $3.50 for v1.2, e.g. the U.S. edition. J. R. R. Tolkien agreed!\n"
        "Features:\n- fast search\n2) exact results.\n\n"
        "Wrapped prose continues\non the next line. Done?"
    )
    sentences = [text[a:b] for a, b in split_sentences(text)]
    assert sentences == [
        "Dr. Smith paid $3.50 for v1.2, e.g. the U.S. edition.",
        "J. R. R. Tolkien agreed!",
        "Features:",
        "fast search",
        "exact results.",
        "Wrapped prose continues\non the next line.",
        "Done?",
    ]
    assert split_sentences("") == []
    assert split_sentences("Heading\nBody text here.") == [(0, 7), (8, 23)]


def test_clauses_are_verbatim_pieces() -> None:
    text = "The tower, built in 1889, is tall; it is iron - and (mostly) painted."
    clauses = [text[a:b] for a, b in split_clauses(text, 0, len(text))]
    assert clauses == [
        "The tower,",
        "built in 1889,",
        "is tall;",
        "it is iron",
        "and (mostly) painted.",
    ]


def test_light_stemming_matches_inflections() -> None:
    assert stem("completed") == stem("complete") == stem("completes") == stem("completing")
    assert stem("cities") == "city"
    assert stem("1889") == "1889"
    assert content_terms("When was the Eiffel Tower's design completed?") == [
        "eiffel",
        "tower",
        "design",
        "complet",
    ]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When was the Eiffel Tower completed?", "completed in 1889"),
        ("Which country is the largest coffee producer?", "Brazil is the largest"),
        ("How much does the Pro plan cost per month?", "Pro plan costs $15"),
        ("Who was the first person to walk on the Moon?", "Neil Armstrong"),
    ],
)
def test_extractive_answers_quote_the_answering_sentence(
    answerer: Answerer, question: str, expected: str
) -> None:
    answer = answerer.answer(question, PASSAGES, style="EXTRACTIVE")
    _assert_grounded(answer, PASSAGES)
    assert len(answer.spans) == 1
    assert expected in answer.text


def test_extractive_trims_long_sentences_to_the_answering_clauses(answerer: Answerer) -> None:
    filler = ", ".join(f"with feature number {i} enabled" for i in range(12))
    passage = Passage("long", f"The router ships with {filler}, and its warranty lasts 3 years.")
    answer = answerer.answer(
        "How long does the router warranty last?", [passage], style="EXTRACTIVE"
    )
    _assert_grounded(answer, [passage])
    assert len(answer.text.split()) <= EXTRACTIVE_MAX_WORDS
    assert "warranty lasts 3 years." in answer.text


def test_abstractive_adds_antecedent_for_pronoun_sentences(answerer: Answerer) -> None:
    answer = answerer.answer("How tall is the Eiffel Tower?", PASSAGES, style="ABSTRACTIVE")
    _assert_grounded(answer, PASSAGES)
    assert answer.text.endswith("It is 330 metres tall, about the height of an 81-storey building.")
    assert 1 <= len(answer.spans) <= 2


def test_abstractive_deduplicates_repeated_sentences(answerer: Answerer) -> None:
    text = "Refunds are available within 30 days of purchase."
    passages = [Passage("a", text), Passage("b", text + " Contact support to ask.")]
    answer = answerer.answer("Are refunds available?", passages, style="ABSTRACTIVE")
    _assert_grounded(answer, passages)
    assert answer.text.count(text) == 1


def test_verbose_groups_sentences_per_passage_in_passage_order(answerer: Answerer) -> None:
    answer = answerer.answer("Tell me about the Eiffel Tower in Paris.", PASSAGES, style="VERBOSE")
    _assert_grounded(answer, PASSAGES)
    assert 3 <= len(answer.spans) <= 5
    order = [(s.passage_index, PASSAGES[s.passage_index].text.index(s.text)) for s in answer.spans]
    assert order == sorted(order)
    assert {s.passage_index for s in answer.spans} >= {0}


def test_empty_inputs_give_an_empty_unanswerable_answer(answerer: Answerer) -> None:
    for passages in ([], [Passage("x", "   \n ")], [Passage("y", "--- ...")]):
        answer = answerer.answer("Who designed the tower?", passages)
        assert answer == Answer(text="", spans=[], answerable_probability=0.0)
    assert answerer.answer("  ", PASSAGES).text == ""


def test_deterministic_and_temperature_is_seeded(answerer: Answerer) -> None:
    question = "Tell me about coffee."
    first = answerer.answer(question, PASSAGES, style="VERBOSE")
    assert answerer.answer(question, PASSAGES, style="VERBOSE") == first
    warm = answerer.answer(question, PASSAGES, style="VERBOSE", temperature=0.7)
    assert answerer.answer(question, PASSAGES, style="VERBOSE", temperature=0.7) == warm
    _assert_grounded(warm, PASSAGES)


def test_invalid_arguments_are_rejected(answerer: Answerer) -> None:
    with pytest.raises(ValueError, match="style"):
        answerer.answer("q", PASSAGES, style="POETIC")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="temperature"):
        answerer.answer("q", PASSAGES, temperature=-0.1)


def test_answerable_questions_score_higher_than_unanswerable(answerer: Answerer) -> None:
    positives = [answerer.answer(q, PASSAGES).answerable_probability for q in ANSWERABLE]
    negatives = [answerer.answer(q, PASSAGES).answerable_probability for q in UNANSWERABLE]
    assert _auroc(positives, negatives) >= 0.85
    assert sum(p >= 0.5 for p in positives) >= 7
    assert sum(n < 0.5 for n in negatives) >= 7


class _CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__(dimensions=128)
        self.embedded = 0

    def embed(
        self, texts: Sequence[str], *, kind: Literal["query", "document"] = "document"
    ) -> npt.NDArray[np.float32]:
        self.embedded += len(texts)
        return super().embed(texts, kind=kind)


def test_only_the_lexically_best_sentences_are_embedded() -> None:
    embedder = _CountingEmbedder()
    filler = " ".join(f"Item {i} is stored in aisle {i % 7}." for i in range(300))
    passages = [Passage("inventory", filler), Passage("hours", "The shop opens at 9 am daily.")]
    answer = Answerer(embedder).answer("When does the shop open?", passages, style="EXTRACTIVE")
    assert answer.text == "The shop opens at 9 am daily."
    assert embedder.embedded <= DENSE_BUDGET + 1


def test_earlier_passages_win_ties(answerer: Answerer) -> None:
    same = "The museum is closed on Mondays."
    passages = [Passage("first", same), Passage("second", same)]
    answer = answerer.answer("When is the museum closed?", passages, style="EXTRACTIVE")
    assert answer.spans[0].passage_index == 0


@pytest.mark.slow
def test_answerability_separates_with_the_real_embedder() -> None:
    answerer = Answerer(load_embedder("minilm"))
    positives = [answerer.answer(q, PASSAGES).answerable_probability for q in ANSWERABLE]
    negatives = [answerer.answer(q, PASSAGES).answerable_probability for q in UNANSWERABLE]
    assert _auroc(positives, negatives) >= 0.85


def test_markdown_headings_are_never_quoted(answerer: Answerer) -> None:
    passage = Passage(
        "p0",
        "# SQLite write-ahead logging\n\n## What WAL mode is\n\n"
        "WAL mode is enabled with PRAGMA journal_mode=WAL and the setting persists.",
    )
    for style in ("EXTRACTIVE", "ABSTRACTIVE", "VERBOSE"):
        answer = answerer.answer(
            "What is SQLite write-ahead logging WAL mode?", [passage], style=style
        )  # type: ignore[arg-type]
        assert "#" not in answer.text
        assert answer.text.startswith("WAL mode is enabled")


def test_retrieval_scores_steer_the_quoted_passage(answerer: Answerer) -> None:
    # Two passages that answer equally well by their words: the retriever's score decides.
    first = Passage("a", "The museum opens at nine in the morning.", 0.52)
    second = Passage("b", "The museum opens at nine in the morning on weekdays.", 0.71)
    answer = answerer.answer("When does the museum open?", [first, second], style="EXTRACTIVE")
    assert answer.spans[0].passage_index == 1


def test_a_passage_title_is_never_quoted(answerer: Answerer) -> None:
    # ragkit's ingestion sends a context line in front of each chunk's text.
    passage = Passage(
        "p",
        "Museum guide > Opening hours\n\nThe museum opens at nine in the morning.",
    )
    for style in ("EXTRACTIVE", "ABSTRACTIVE", "VERBOSE"):
        answer = answerer.answer("What are the museum opening hours?", [passage], style=style)
        assert answer.text == "The museum opens at nine in the morning."
    # A lone line is the passage itself, and a first sentence with a full stop is no title.
    for text in ("Opening hours of the museum", "Hours vary.\n\nThe museum opens at nine."):
        answer = answerer.answer("When does the museum open?", [Passage("q", text)])
        assert answer.spans and answer.spans[0].text in text


def test_an_in_text_heading_is_not_quoted_and_lends_its_words_below(answerer: Answerer) -> None:
    glossary = Passage(
        "g",
        "Appendix M. Glossary > Replication\n\nReplication\n\n"
        "The act of reproducing data on one server onto another server called a replica. "
        "This can take the form of physical or logical copies.",
    )
    answer = answerer.answer("What is replication?", [glossary], style="EXTRACTIVE")
    # The definition, which never says "replication", answers; the term line above it does not.
    assert answer.text.startswith("The act of reproducing data")
    assert answer.answerable_probability > 0.5
    # Only short own-paragraph lines without final punctuation, with text below, are headings.
    text = "Replication\n\nData is copied.\n\nShort line.\n\nA much longer line without a stop"
    starts = {line: text.index(line) for line in text.split("\n\n")}
    assert is_heading(text, 0, len("Replication"))
    for line in ("Short line.", "A much longer line without a stop"):
        assert not is_heading(text, starts[line], starts[line] + len(line))
    assert not is_heading("Replication", 0, len("Replication"))  # nothing below it


def test_the_sentence_under_a_heading_naming_the_subject_is_preferred(
    answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = Passage(
        "g",
        "Glossary > Tablespace\n\nTablespace\n\nA named location on the server file system. "
        "All SQL objects which require storage must belong to a single tablespace.",
    )

    def best() -> str:
        return answerer.answer("What is a tablespace?", [entry], style="EXTRACTIVE").text

    assert best() == "A named location on the server file system."
    monkeypatch.setattr("ragkit.server.models.answerer.HEADING_BONUS", 0.0)
    assert best().startswith("All SQL objects")  # the sentence naming the term, otherwise
