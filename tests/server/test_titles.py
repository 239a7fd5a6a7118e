"""Title lines, title match and the ranking's title boost."""

from __future__ import annotations

import pytest

from ragkit.server.models.evidence import (
    ANTECEDENT_WEIGHT,
    answer_form_terms,
    subject_coverage,
    subject_terms,
)
from ragkit.server.models.titles import heading_terms, title, title_end, title_match
from ragkit.server.title_boost import TITLE_WEIGHT, boost_titles

GLOSSARY = "Appendix M. Glossary > Primary key\n\nA special case of a unique constraint."


def test_title_is_the_lone_first_line_before_a_blank_line() -> None:
    assert title(GLOSSARY) == "Appendix M. Glossary > Primary key"
    assert GLOSSARY[title_end(GLOSSARY) :].strip() == "A special case of a unique constraint."
    assert heading_terms(GLOSSARY) == {"primary", "key"}
    # a title may end in a bracket, unless the bracket closes a sentence
    assert title("Glossary > Logger (process)\n\nAn auxiliary process.") == (
        "Glossary > Logger (process)"
    )
    for untitled in (
        "(See the next section.)\n\nMore text.",
        "A sentence ends with a period.\n\nMore text.",  # punctuation: a sentence, not a title
        "Just a title\n\n",  # nothing follows
        "One paragraph only",
    ):
        assert title(untitled) == "" and title_end(untitled) == 0
        assert heading_terms(untitled) == frozenset()


@pytest.mark.parametrize(
    ("question", "form", "subject"),
    [
        ("Which SQL command would you use to drop a table?", {"sql", "command", "use"},
         {"drop", "tabl"}),
        ("What does MVCC mean?", {"mean"}, {"mvcc"}),
        ("In PostgreSQL terminology, what is meant by WAL?", {"meant", "terminology", "postgresql"},
         {"wal"}),
        ("What does TOAST mean in PostgreSQL?", {"mean", "postgresql"}, {"toast"}),
        ("What does it mean in practice to rebase?", {"mean"}, {"practic", "rebas"}),
        ("How long is a cached response fresh?", {"long"}, {"cach", "respons", "fresh"}),
        ("Which tool do I need to resize images?", {"tool", "need"}, {"resiz", "imag"}),
        # a question word followed by a verb names no category
        ("What does the ragkit CLI do?", set(), {"ragkit", "cli"}),
        ("What is the golden rule of rebasing?", set(), {"golden", "rul", "rebas"}),
    ],
)  # fmt: skip
def test_form_and_subject_terms(question: str, form: set[str], subject: set[str]) -> None:
    assert answer_form_terms(question) == form
    assert subject_terms(question) == subject


def test_title_match_is_jaccard_of_subject_and_heading() -> None:
    assert title_match({"primary", "key"}, {"primary", "key"}) == 1.0
    assert title_match({"key"}, {"primary", "key"}) == 0.5
    assert title_match({"key"}, {"index"}) == 0.0
    assert title_match(set(), {"key"}) == 0.0 and title_match({"key"}, set()) == 0.0


def test_boost_lifts_the_chunk_titled_with_the_subject() -> None:
    texts = {
        1: "Chapter 5 > Constraints\n\nEvery table should have a primary key.",
        2: GLOSSARY,
        3: "No title here. Primary keys are unique.",
    }
    ranked = [(1, 0.80), (3, 0.78), (2, 0.75)]
    boosted = boost_titles("What does primary key mean?", ranked, texts, 3)
    assert [chunk_id for chunk_id, _ in boosted] == [2, 1, 3]
    assert boosted[0][1] == pytest.approx(0.75 + TITLE_WEIGHT)
    assert dict(boosted)[1] == 0.80 and dict(boosted)[3] == 0.78  # no match: unchanged
    # cut to count, deleted chunks dropped, the score never passes 1
    assert boost_titles("primary key", [(9, 0.99), (2, 0.98)], texts, 1) == [(2, 1.0)]


def test_subject_coverage_counts_every_subject_term_alike() -> None:
    subject = {"toast", "tabl"}
    assert subject_coverage(subject, {"toast", "tabl", "row"}, set(), set()) == 1.0
    assert subject_coverage(subject, {"tabl"}, {"toast"}, set()) == (1 + ANTECEDENT_WEIGHT) / 2
    assert subject_coverage(subject, {"tabl"}, set(), {"toast"}) == 0.75
    assert subject_coverage(subject, set(), set(), set()) == 0.0
    assert subject_coverage(set(), {"tabl"}, set(), set()) == 0.0
