"""The extractive answerer's rules on documents of the kinds that failed (issue 13).

Each passage is written here, in the shapes real documentation has: ragkit's context line
above a chunk, an FAQ's question above its answer, a how-to whose command sits on its own
line under the sentence that introduces it, a list after a colon, a cross-reference quoting
another section's title, lines wrapped at a fixed width.
"""

from __future__ import annotations

import pytest

from ragkit.server.models.answerer import Answerer, Passage
from ragkit.server.models.embedders.hashed import HashEmbedder
from ragkit.server.models.evidence import (
    UNSCORED,
    answer_form_matches,
    answerability_features,
)
from ragkit.server.models.sentences import split_sentences
from ragkit.server.models.titles import is_heading


@pytest.fixture(scope="module")
def answerer() -> Answerer:
    return Answerer(HashEmbedder())


def test_a_question_title_in_the_context_line_is_never_the_answer(answerer: Answerer) -> None:
    text = (
        "Garden FAQ > Why do tomato leaves curl in summer?\n\n"
        "Leaves curl because the plant loses water faster than its roots can take it up. "
        "Watering deeply in the morning usually stops it."
    )
    answer = answerer.answer("Why do tomato leaves curl in summer?", [Passage("c1", text, 0.8)])

    assert "Garden FAQ" not in answer.text and "?" not in answer.text
    assert answer.text.startswith("Leaves curl because")


def test_an_in_text_question_heading_is_never_the_answer(answerer: Answerer) -> None:
    text = (
        "How often should a sourdough starter be fed?\n\n"
        "Feed it once a day when it is kept at room temperature. In the fridge, once a "
        "week is enough."
    )
    answer = answerer.answer(
        "How often should a sourdough starter be fed?", [Passage("p", text, 0.7)]
    )

    assert "?" not in answer.text
    assert "once a day" in answer.text


def test_a_context_line_is_never_quoted(answerer: Answerer) -> None:
    text = (
        "Bike Manual 2.1 documentation > Brakes > Adjusting the brake cable\n\n"
        "Turn the barrel adjuster counter-clockwise to tighten the cable. Squeeze the "
        "lever to check the pads grip the rim."
    )
    answer = answerer.answer("How do I tighten the brake cable?", [Passage("c", text, 0.8)])

    assert "documentation >" not in answer.text
    assert answer.text.startswith("Turn the barrel adjuster")


def test_a_how_to_keeps_the_command_it_introduces(answerer: Answerer) -> None:
    text = (
        "Snapshots protect the notebook before an upgrade.\n\n"
        "To take a snapshot of every notebook at once, run the command\n\n"
        "    notebook snapshot --all --output ~/snapshots\n\n"
        "The snapshot is a single compressed file."
    )
    answer = answerer.answer(
        "How do I take a snapshot of all notebooks?", [Passage("p", text, 0.8)]
    )

    assert "notebook snapshot --all --output ~/snapshots" in answer.text
    # Quoted verbatim: the command keeps its own line.
    assert "run the command\n\n    notebook snapshot" in answer.text


def test_a_sentence_ending_in_a_colon_keeps_its_list(answerer: Answerer) -> None:
    text = (
        "The exporter writes three formats:\n\n"
        "- JSON, one object per line\n"
        "- YAML documents\n"
        "- CSV with a header row\n\n"
        "Exports are written to the current folder by default."
    )
    answer = answerer.answer("Which formats can the exporter write?", [Passage("p", text)])

    for item in ("JSON, one object per line", "YAML documents", "CSV with a header row"):
        assert item in answer.text
    assert answer.text.count("JSON") == 1  # the items are not quoted a second time


def test_a_why_question_gets_the_reason(answerer: Answerer) -> None:
    text = (
        "The index cache is kept in memory while the server runs. "
        "The index cache is rebuilt at startup because the files it describes may have "
        "changed while the server was stopped. "
        "The index cache holds one entry per open corpus."
    )
    answer = answerer.answer(
        "Why is the index cache rebuilt at startup?",
        [Passage("p", text)],
        style="EXTRACTIVE",
    )

    assert "because the files it describes may have changed" in answer.text


def test_a_yes_no_question_keeps_the_yes(answerer: Answerer) -> None:
    text = (
        "Yes. Packages can be upgraded in place, even on a running system. The upgrade "
        "restarts the services it touches."
    )
    answer = answerer.answer("Can packages be upgraded on a running system?", [Passage("p", text)])

    assert answer.text.startswith("Yes. Packages can be upgraded in place")


def test_a_cross_reference_quoting_a_title_is_not_an_answer(answerer: Answerer) -> None:
    text = (
        "Proxies are configured per user. See\n"
        "Section 4.2, \u201cHow do I configure the proxy?\u201d.\n\n"
        "Set the PROXY_URL variable in the settings file to the proxy's address."
    )
    answer = answerer.answer("How do I configure the proxy?", [Passage("p", text)])

    assert "Section 4.2" not in answer.text
    assert "PROXY_URL" in answer.text


def test_a_wrapped_line_ending_in_a_function_word_is_not_a_heading() -> None:
    text = (
        "The pool directory contains the actual packages, see\nSection 6.10 for how it is laid out."
    )
    assert [text[a:b] for a, b in split_sentences(text)] == [text]


def test_a_command_under_its_introduction_is_not_a_heading() -> None:
    text = "Install it with the package manager by running\n\napt install foo\n\nThat is all."
    start = text.index("apt install")
    assert not is_heading(text, start, start + len("apt install foo"))
    term = "Overview\n\nTablespace\n\nA named location on disk."
    start = term.index("Tablespace")
    assert is_heading(term, start, start + len("Tablespace"))


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        ("Why is the cache cleared?", "It is cleared because entries go stale.", True),
        ("Why is the cache cleared?", "The cache holds entries.", False),
        ("How do I clear the cache?", "Call cache_clear() on the function.", True),
        ("How do I clear the cache?", "The cache is a dictionary.", False),
        ("What is a tablespace?", "A tablespace is a named location on disk.", True),
        ("Can I run it offline?", "Yes, everything runs locally.", True),
        ("Where is the file?", "Yes, it is.", False),
        # The value of an attribute is asked for, not a definition.
        ("What is the boiling point of brine?", "Brine is a solution of salt.", False),
        ("What is the default port of the proxy?", "The proxy is a relay.", False),
        ("What is the proxy?", "The proxy is a relay between clients and servers.", True),
    ],
)
def test_answer_form(question: str, sentence: str, expected: bool) -> None:
    assert answer_form_matches(question, sentence) is expected


def test_the_on_topic_sentence_that_answers_beats_the_one_that_mentions(
    answerer: Answerer,
) -> None:
    # Both sentences are about named tuples; only one says how to create one.
    text = (
        "Named tuple instances do not have per-instance dictionaries, so they are "
        "lightweight. To create a named tuple, call namedtuple() with the type name and "
        "the field names: Point = namedtuple('Point', ['x', 'y'])."
    )
    answer = answerer.answer(
        "How do I create a named tuple?", [Passage("p", text)], style="EXTRACTIVE"
    )

    assert "namedtuple('Point'" in answer.text


def test_a_pointer_to_another_section_is_not_an_answer(answerer: Answerer) -> None:
    # The quoted title names the question exactly, but the sentence only points at it.
    pointer = Passage(
        "p1",
        "If this page does not help, be sure to read Section 3.4, \u201cHow do I reset "
        "the router password?\u201d.",
        0.8,
    )
    answering = Passage(
        "p2",
        "Hold the reset button for ten seconds; the password becomes the one printed on "
        "the label under the router.",
        0.75,
    )
    answer = answerer.answer("How do I reset the router password?", [pointer, answering])

    assert answer.spans[0].passage_index == 1


@pytest.fixture(scope="module")
def minilm_answerer() -> Answerer:
    from ragkit.server.models.embedding import load_embedder

    return Answerer(load_embedder("minilm"))


def test_a_paraphrased_answer_in_the_top_hit_is_not_refused(minilm_answerer: Answerer) -> None:
    # "dictionaries" / "dict", "read" / "reader": the answer paraphrases the question.
    hit = Passage(
        "c1",
        "Spreadsheet toolkit > tsv module > Module contents\n\n"
        "class tsv.MappingReader(f, fieldnames=None)\n\n"
        "Create an object that operates like a regular reader but maps the information in "
        "each row to a dict whose keys are given by the optional fieldnames parameter.",
        0.62,
    )
    answer = minilm_answerer.answer(
        "How do I read a TSV file into dictionaries keyed by the header?", [hit]
    )

    assert answer.answerable_probability >= 0.5
    assert "maps the information in each row to a dict" in answer.text


# A small FAQ of our own, answered in paragraphs as FAQ files are, loaded without context
# lines: how sure the answerer is must follow the evidence, not the genre.
_KILN_FAQ = {
    "vent": "Open the lid vent until the kiln reaches 600 degrees, so that the water and "
    "the burning binders in the clay can escape; closing it earlier traps the fumes and "
    "can crack the pieces.",
    "cone": "A witness cone is a small slender pyramid of ceramic that bends when the heat "
    "work it received reaches its rating. Set three cones of neighbouring ratings in front "
    "of a peephole and watch which of them bend.",
    "shelf": "Coat the shelves with kiln wash before every few firings. Glaze that runs off "
    "a pot then sticks to the wash and not to the shelf, and the wash can be scraped away.",
}


def test_answerability_features_read_the_retrieval_around_the_best_passage() -> None:
    common = {
        "dense": 0.5,
        "coverage": 0.8,
        "agreement": 0.3,
        "type_match": True,
        "novelty": 1.0,
        "form_match": False,
    }
    scored = answerability_features(**common, retrieval=[0.8, 0.5, 0.4], best_passage=1)
    assert scored["retrieval"] == 0.5 and scored["retrieval_top"] == 0.8
    assert scored["retrieval_margin"] == pytest.approx(0.3)
    assert scored["retrieval_gap"] == pytest.approx(0.35)
    assert scored["best_is_top"] == 0.0
    inline = answerability_features(**common, retrieval=None, best_passage=0)
    assert all(inline[name] == value for name, value in UNSCORED.items())


def test_a_better_retrieval_makes_the_same_answer_more_likely(answerer: Answerer) -> None:
    question = "Why should the lid vent stay open early in a firing?"
    weak = answerer.answer(question, [Passage("a", _KILN_FAQ["vent"], 0.35)])
    strong = answerer.answer(question, [Passage("a", _KILN_FAQ["vent"], 0.75)])

    assert weak.text == strong.text
    assert strong.answerable_probability > weak.answerable_probability
    assert strong.features["retrieval_top"] == 0.75


def test_faq_prose_answers_outrank_near_misses(answerer: Answerer) -> None:
    # Near misses ask about the same kiln, but no paragraph says what they ask.
    passages = [Passage(key, text, 0.6) for key, text in _KILN_FAQ.items()]
    answered = [
        "Why should the lid vent stay open early in a firing?",
        "How do I tell when the clay has had enough heat?",
        "How do I keep glaze from sticking to the kiln shelves?",
    ]
    missed = [
        "How many kilowatts does a small electric kiln draw?",
        "When was the first electric kiln sold?",
        "Who makes the best kiln shelves?",
    ]
    high = [answerer.answer(q, passages).answerable_probability for q in answered]
    low = [answerer.answer(q, passages).answerable_probability for q in missed]

    assert min(high) > max(low)
    assert min(high) >= 0.5 and sum(p < 0.5 for p in low) >= 2


def test_a_quoted_title_does_not_lend_its_meaning_to_a_pointer() -> None:
    embedder = HashEmbedder()
    question = "What is in the glaze cupboard?"
    pointer = (
        "Spare lids are kept there too; see Section 4.2, \u201cWhat is in the glaze "
        "cupboard?\u201d."
    )
    answer = Answerer(embedder).answer(question, [Passage("p", pointer, 0.6)])
    whole = float(
        embedder.embed([pointer], kind="document")[0] @ embedder.embed([question], kind="query")[0]
    )

    assert answer.features["dense"] < whole
