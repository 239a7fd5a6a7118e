from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from ragkit import tokenizers
from ragkit.ingest import (
    HARD_MAX_CHUNK_TOKENS,
    ChunkingConfig,
    ChunkingConfigError,
    ChunkingError,
    LoadedDocument,
    Section,
    TextChunk,
    _token_index,
    chunk_document,
    chunk_text,
    load,
)
from ragkit.ingest import chunking as chunking_module
from ragkit.ingest._token_index import TokenIndex
from ragkit.limits import MAX_TOKENS_PER_CHUNK
from ragkit.tokenizers import OrdinaryEncoder, count_tokens, get_encoding, get_ordinary_encoder

VOCABULARY = """
    the of and to in is that for it as was with be by on not he this are or his from at which
    but have an they you were her she there been one all we their has would when if so no
    retrieval corpus document chunk embedding vector semantic answer question passage model
    internationalization configuration Antidisestablishmentarianism 2024 3.14 e.g. U.S.
    naïve café résumé Zürich
"""
WORDS = VOCABULARY.split()


def prose(seed: int, paragraphs: int, sentences: tuple[int, int] = (2, 7)) -> str:
    rng = random.Random(seed)
    out = []
    for _ in range(paragraphs):
        sentence_list = []
        for _ in range(rng.randint(*sentences)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(4, 24))]
            words[0] = words[0].capitalize()
            sentence_list.append(" ".join(words) + rng.choice([".", ".", ".", "?", "!", '."']))
        out.append(" ".join(sentence_list))
    return "\n\n".join(out)


def check_invariants(text: str, chunks: list[TextChunk], config: ChunkingConfig) -> None:
    """Limits, exact counts, offsets, order, coverage and word boundaries."""
    assert [c.index for c in chunks] == list(range(len(chunks)))
    covered_to = 0
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert chunk.text == chunk.text.strip() and chunk.text
        assert chunk.token_count == count_tokens(chunk.content)
        assert chunk.content == (
            f"{chunk.context}\n\n{chunk.text}" if chunk.context else chunk.text
        )
        assert chunk.token_count <= config.chunk_tokens <= config.max_tokens
        # Nothing but whitespace is skipped between chunks.
        assert not text[covered_to : chunk.start].strip()
        assert chunk.end > covered_to
        covered_to = chunk.end
    assert not text[covered_to:].strip()


def word_boundaries(text: str, chunk: TextChunk) -> bool:
    starts_clean = chunk.start == 0 or text[chunk.start - 1].isspace()
    ends_clean = chunk.end == len(text) or text[chunk.end].isspace()
    return starts_clean and ends_clean


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"chunk_tokens": 100, "overlap_tokens": 100}, "must be smaller than chunk_tokens"),
        ({"chunk_tokens": 100, "overlap_tokens": 150}, "must be smaller than chunk_tokens"),
        ({"overlap_tokens": -1}, "negative"),
        ({"chunk_tokens": 500, "max_tokens": 400}, "exceeds max_tokens=400"),
        ({"max_tokens": HARD_MAX_CHUNK_TOKENS + 1}, "exceeds HARD_MAX_CHUNK_TOKENS"),
        ({"chunk_tokens": 8, "overlap_tokens": 0}, "below the minimum"),
    ],
)
def test_invalid_configs_are_rejected(kwargs: dict[str, int], fragment: str) -> None:
    with pytest.raises(ChunkingConfigError, match=fragment):
        ChunkingConfig(**kwargs)
    with pytest.raises(ValueError):
        ChunkingConfig(**kwargs)


def test_defaults_leave_a_margin_below_the_api_limit() -> None:
    config = ChunkingConfig()
    assert (config.chunk_tokens, config.overlap_tokens) == (200, 50)
    assert config.max_tokens == HARD_MAX_CHUNK_TOKENS < MAX_TOKENS_PER_CHUNK
    big = ChunkingConfig(chunk_tokens=HARD_MAX_CHUNK_TOKENS, overlap_tokens=100)
    chunks = chunk_text(prose(7, 60), big)
    check_invariants(prose(7, 60), chunks, big)
    assert max(c.token_count for c in chunks) > 0.8 * HARD_MAX_CHUNK_TOKENS


@pytest.mark.parametrize(("size", "overlap"), [(400, 50), (100, 20), (40, 10), (16, 4)])
def test_prose_limits_words_and_overlap(size: int, overlap: int) -> None:
    text = prose(size, 25)
    config = ChunkingConfig(chunk_tokens=size, overlap_tokens=overlap)
    chunks = chunk_text(text, config)
    check_invariants(text, chunks, config)
    assert len(chunks) > 3
    assert all(word_boundaries(text, c) for c in chunks)
    for previous, current in itertools.pairwise(chunks):
        assert current.end > previous.end
        if current.start >= previous.end:
            # Only whole words are carried over; none fits when the last word alone is too big.
            assert count_tokens(previous.text.split()[-1]) > overlap
            continue
        shared = text[current.start : previous.end]
        assert 0 < count_tokens(shared) <= overlap


def test_no_overlap_when_disabled() -> None:
    text = prose(3, 20)
    config = ChunkingConfig(chunk_tokens=80, overlap_tokens=0)
    chunks = chunk_text(text, config)
    check_invariants(text, chunks, config)
    assert all(b.start >= a.end for a, b in itertools.pairwise(chunks))


def test_overlap_prefers_whole_sentences() -> None:
    text = " ".join(f"Sentence number {i} is short." for i in range(200))
    config = ChunkingConfig(chunk_tokens=100, overlap_tokens=30)
    chunks = chunk_text(text, config)
    check_invariants(text, chunks, config)
    for chunk in chunks[1:]:
        assert chunk.text.startswith("Sentence number")
        assert chunk.text.endswith("short.")


def test_paragraph_boundaries_are_preferred() -> None:
    paragraphs = [prose(i, 1, (3, 3)) for i in range(30)]
    text = "\n\n".join(paragraphs)
    config = ChunkingConfig(chunk_tokens=220, overlap_tokens=0)
    chunks = chunk_text(text, config)
    check_invariants(text, chunks, config)
    assert max(count_tokens(p) for p in paragraphs) < 110  # so a paragraph break always fits
    for chunk in chunks[:-1]:
        assert text[chunk.end : chunk.end + 2] == "\n\n"


def test_sentence_boundaries_inside_a_long_paragraph() -> None:
    text = prose(11, 1, (60, 60))
    config = ChunkingConfig(chunk_tokens=120, overlap_tokens=0)
    chunks = chunk_text(text, config)
    check_invariants(text, chunks, config)
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.text[-1] in '.?!"'


def test_a_word_longer_than_the_budget_is_split_by_tokens() -> None:
    giant = "x" * 3000
    text = f"Start here. {giant} end."
    config = ChunkingConfig(chunk_tokens=50, overlap_tokens=10)
    chunks = chunk_text(text, config)
    check_invariants(text, chunks, config)
    word_start = text.index(giant)
    word_end = word_start + len(giant)
    inside = [c for c in chunks if not word_boundaries(text, c)]
    assert len(inside) >= count_tokens(giant) // 50, "the giant word must be cut"
    for chunk in inside:
        cut_start = chunk.start > 0 and not text[chunk.start - 1].isspace()
        cut_end = chunk.end < len(text) and not text[chunk.end].isspace()
        assert not cut_start or word_start < chunk.start < word_end
        assert not cut_end or word_start < chunk.end < word_end
    assert chunks[0].text == "Start here."


def test_heading_sections_never_share_a_chunk_when_large() -> None:
    body = "\n\n".join(f"## Part {i}\n\n{prose(i, 4)}" for i in range(5))
    doc = load("manual.md", f"# Manual\n\n{body}".encode())
    config = ChunkingConfig(chunk_tokens=120, overlap_tokens=20)
    chunks = chunk_document(doc, config)
    check_invariants(doc.text, chunks, config)
    for chunk in chunks:
        owners = [s for s in doc.sections if s.start < chunk.end and chunk.start < s.end]
        if chunk.index == 0:  # the bare "# Manual" heading opens Part 0's first chunk
            assert [s.heading_path for s in owners] == [("Manual",), ("Manual", "Part 0")]
            owners = owners[1:]
        assert len(owners) == 1, chunk.text[:60]
        assert chunk.heading_path == owners[0].heading_path
    parts = {c.heading_path for c in chunks}
    assert {("Manual", f"Part {i}") for i in range(5)} <= parts
    firsts = [c for c in chunks if c.text.startswith(("## Part", "# Manual\n\n## Part"))]
    assert len(firsts) == 5  # every section's first chunk starts at its heading: no overlap in


def test_small_sections_under_one_parent_merge() -> None:
    source = (
        "# FAQ\n\nShort intro.\n\n## Q1\n\nAnswer one.\n\n## Q2\n\nAnswer two.\n\n"
        "### Detail\n\nMore.\n\n# Other\n\nSeparate chapter text."
    )
    doc = load("faq.md", source.encode())
    chunks = chunk_document(doc, ChunkingConfig(chunk_tokens=200, overlap_tokens=0))
    assert [c.heading_path for c in chunks] == [("FAQ",), ("Other",)]
    assert chunks[0].text.startswith("# FAQ") and chunks[0].text.endswith("More.")


def test_sections_of_different_parents_stay_apart() -> None:
    source = "# A\n\n## x\n\nsmall\n\n# B\n\n## y\n\nsmall too"
    chunks = chunk_document(load("t.md", source.encode()), ChunkingConfig(chunk_tokens=100))
    # Each bare top heading opens its only sub-section's chunk, which keeps that trail.
    assert [c.heading_path for c in chunks] == [("A", "x"), ("B", "y")]
    assert [c.text for c in chunks] == ["# A\n\n## x\n\nsmall", "# B\n\n## y\n\nsmall too"]


def test_page_ranges_follow_the_pages_a_chunk_covers(make_pdf: Callable[..., bytes]) -> None:
    pages = [prose(p, 1, (2, 2)).replace("\n", " ") for p in range(6)]
    doc = load("book.pdf", make_pdf(pages))
    assert [s.page_start for s in doc.sections] == [1, 2, 3, 4, 5, 6]
    config = ChunkingConfig(chunk_tokens=70, overlap_tokens=10)
    chunks = chunk_document(doc, config)
    check_invariants(doc.text, chunks, config)
    spanning = 0
    for chunk in chunks:
        pages_hit = [
            s.page_start for s in doc.sections if s.start < chunk.end and chunk.start < s.end
        ]
        assert (chunk.page_start, chunk.page_end) == (min(pages_hit), max(pages_hit))
        spanning += chunk.page_start != chunk.page_end
        assert chunk.heading_path == ()
    assert spanning, "pages flow into each other within a chunk"


def test_unpaged_documents_have_no_pages() -> None:
    assert {(c.page_start, c.page_end) for c in chunk_text(prose(1, 5))} == {(None, None)}


def test_non_latin_text_and_emoji() -> None:
    text = (
        "日本語のテキストは空白なしで続きます。" * 40
        + "\n\nEmoji 😀🎉 and accents: naïve façade. " * 30
        + "\n\n\u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u0442\u0435\u043a\u0441\u0442. " * 20
    )
    config = ChunkingConfig(chunk_tokens=60, overlap_tokens=10)
    chunks = chunk_text(text, config)
    check_invariants(text, chunks, config)
    assert any("。" in c.text for c in chunks)


def test_empty_and_blank_inputs() -> None:
    assert chunk_text("") == []
    assert chunk_text(" \n\t ") == []
    (only,) = chunk_text("  one small text  ")
    assert (only.text, only.start, only.end, only.token_count) == ("one small text", 2, 16, 3)


def test_oversize_chunk_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> object:
        yield 0, 4, HARD_MAX_CHUNK_TOKENS + 1

    monkeypatch.setattr(chunking_module, "_chunk_group", broken)
    doc = LoadedDocument(Path("x.txt"), "x", "text", load("x.txt", b"text").sections, {}, "", "")
    with pytest.raises(ChunkingError, match="over max_tokens"):
        chunk_document(doc)


def test_slice_counts_match_a_fresh_encode() -> None:
    rng = random.Random(5)
    alphabet = [
        *"abcXYZ019 .,;:!?'\"()-_\n\t",
        "  ",
        "\n\n",
        "é",
        "日本",
        "😀",
        "'s",
        "<|endoftext|>",
    ]
    encoding = get_encoding("cl100k_base")
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120)))
        index = TokenIndex(text, get_ordinary_encoder())
        assert index.n_tokens == len(encoding.encode_ordinary(text))
        for _ in range(5):
            start = rng.randrange(len(text))
            end = rng.randint(start + 1, len(text))
            assert index.count(start, end) == len(encoding.encode_ordinary(text[start:end]))


def test_definition_entries_are_never_merged() -> None:
    page = (
        b"<h1>Glossary</h1><dl><dt>ACID</dt><dd>Atomicity, Consistency, Isolation, Durability"
        b"</dd><dt>Key</dt><dd>A means of identifying a row.</dd></dl><p>The end.</p>"
    )
    doc = load("glossary.html", page)
    chunks = chunk_document(doc, ChunkingConfig(chunk_tokens=200, overlap_tokens=0))
    # The bare "Glossary" heading opens the first entry's chunk rather than a chunk of its own.
    assert [(c.heading_path, c.text) for c in chunks] == [
        (("Glossary", "ACID"), "Glossary\n\nACID\n\nAtomicity, Consistency, Isolation, Durability"),
        (("Glossary", "Key"), "Key\n\nA means of identifying a row."),
        (("Glossary",), "The end."),
    ]


def test_context_lines_name_document_and_section() -> None:
    source = "# Guide\n\nIntro text here.\n\n## Install\n\n" + prose(3, 6) + "\n\n## Run\n\nGo."
    doc = load("guide.md", source.encode())
    config = ChunkingConfig(chunk_tokens=80, overlap_tokens=0)
    chunks = chunk_document(doc, config)
    check_invariants(doc.text, chunks, config)
    install = [c for c in chunks if c.heading_path == ("Guide", "Install")]
    assert len(install) > 1
    # The title is the first heading here, so the line is the trail alone.
    assert {c.context for c in install} == {"Guide > Install"}
    assert install[1].content.startswith("Guide > Install\n\n")
    # A chunk of a titled document with a different first heading names both.
    other = chunk_document(load("notes.md", b"---\ntitle: Notes\n---\n# Setup\n\nDo it."))
    assert [c.context for c in other] == ["Notes > Setup"]
    off = chunk_document(doc, ChunkingConfig(chunk_tokens=80, overlap_tokens=0, context=False))
    assert all(c.context == "" and c.content == c.text for c in off)


def test_a_context_line_never_takes_more_than_a_quarter_of_the_budget() -> None:
    deep = "".join(
        f"{'#' * level} Heading number {level} of a deep trail\n\n" for level in range(1, 7)
    )
    doc = load("deep.md", (deep + prose(5, 3)).encode())
    config = ChunkingConfig(chunk_tokens=60, overlap_tokens=0)
    chunks = chunk_document(doc, config)
    check_invariants(doc.text, chunks, config)
    for chunk in chunks:
        if chunk.context:
            assert count_tokens(chunk.context + "\n\n") <= 60 // 4
            # Outer headings go first: what is left is the end of the trail.
            assert chunk.context.endswith(chunk.heading_path[-1])


def test_no_runt_at_the_end_when_an_even_split_avoids_it() -> None:
    config = ChunkingConfig(chunk_tokens=60, overlap_tokens=0)
    runts = fixed = 0
    for seed in range(100):
        text = prose(seed, 4)
        section = Section(text, (), None, None, 0)
        index = TokenIndex(text, get_ordinary_encoder(), 0, len(text))
        greedy = list(chunking_module._chunk_group([section], index, 60, 0, 60))
        even = chunk_text(text, config)
        check_invariants(text, even, config)
        assert len(even) <= len(greedy)
        smallest = min(c.token_count for c in even)
        if len(greedy) > 1 and greedy[-1][2] < 60 * 0.25:
            runts += 1
            fixed += smallest > greedy[-1][2]
        else:
            assert [c.token_count for c in even] == [t for *_, t in greedy]
    # Best effort: sentence boundaries do not always allow an even split.
    assert runts >= 5 and fixed >= 0.75 * runts, (runts, fixed)


def test_slice_counts_stay_exact_when_starts_and_ends_repeat() -> None:
    """The index keeps the last measured start and end edge; interleaved queries sharing one
    side (as the chunker makes them) must still count exactly, on a span not at offset 0."""
    rng = random.Random(11)
    encoding = get_encoding("cl100k_base")
    text = "  " + prose(4, 3) + "\n\nnaïve 😀 日本語の文。 (x) 3.14 'quoted' end.  "
    lo, hi = 2, len(text) - 2
    index = TokenIndex(text, get_ordinary_encoder(), lo, hi)
    stops = [i + 1 for i in range(lo, hi) if text[i] in ".)'"]  # ends like a chunk's
    points = sorted({*rng.sample(range(lo, hi + 1), 60), *stops})
    for _ in range(60):
        # One start against several ends, then one end against several starts, shuffled.
        start, end = sorted(rng.sample(points, 2))
        pairs = [(start, e) for e in rng.sample(points, 8) if e > start]
        pairs += [(s, end) for s in rng.sample(points, 8) if s < end]
        pairs += [(s, end) for s in range(max(lo, end - 12), end)]  # inside its last words
        for a, b in pairs:
            assert index.count(a, b) == len(encoding.encode_ordinary(text[a:b])), (a, b)
    for token in range(index.n_tokens):
        char = index.token_char(token)
        assert lo <= char < hi and index.token_at(char) >= token
        assert index.token_char(index.token_at(char)) == char


def test_overlap_crosses_paragraphs_and_stays_within_budget() -> None:
    """Short paragraphs: the overlap may reach back across a paragraph break."""
    text = "\n\n".join(f"Point {i} is brief. It has two sentences." for i in range(80))
    config = ChunkingConfig(chunk_tokens=60, overlap_tokens=25)
    chunks = chunk_text(text, config)
    check_invariants(text, chunks, config)
    crossing = [
        b
        for a, b in itertools.pairwise(chunks)
        if b.start < a.end and "\n\n" in text[b.start : a.end]
    ]
    assert crossing, "some overlap spans a paragraph break"
    for a, b in itertools.pairwise(chunks):
        if b.start < a.end:
            assert count_tokens(text[b.start : a.end]) <= 25


def test_chunks_are_the_same_with_either_tokeniser(
    make_pdf: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """bpe-openai (ragkit[speedups]) and tiktoken give the very same chunks: boundaries,
    counts, headings, pages and context lines. Small slices make bpe-openai's path cut
    every text it encodes."""
    fast = get_ordinary_encoder()
    assert fast.backend == "bpe-openai"  # ragkit[dev] installs ragkit[speedups]
    monkeypatch.setattr(tokenizers, "_SLICE_CHARS", 64)
    tricky = "naïve 😀 日本語の文。 Don't 'quoted' 3.14159 x\r\n  y\u00a0z \t\n".join(
        prose(seed, 3) for seed in range(8)
    )
    documents = [
        load("guide.md", ("# Guide\n\n" + prose(1, 4) + "\n\n## Install\n\n" + tricky).encode()),
        load("faq.md", "".join(f"## Q{i}\n\nShort answer {i}.\n\n" for i in range(12)).encode()),
        load("paged.pdf", make_pdf([prose(2, 2), prose(3, 3)], title="Paged")),
        load("notes.txt", (tricky + "\n\n" + "x" * 3000 + "  trailing \n ").encode()),
    ]
    configs = [ChunkingConfig(64, 16), ChunkingConfig(200, 50, context=False)]
    pieces = _token_index._piece_cache(fast.encoding)

    def chunks_with(encoder: OrdinaryEncoder) -> list[list[TextChunk]]:
        monkeypatch.setattr(chunking_module, "get_ordinary_encoder", lambda name: encoder)
        pieces.clear()  # no short-piece count carried over from the other tokeniser
        out = [chunk_document(d, c) for d in documents for c in configs]
        out += [chunk_text(tricky, c) for c in configs]
        return out

    with_fast = chunks_with(fast)
    assert with_fast == chunks_with(OrdinaryEncoder(fast.encoding))
    assert sum(map(len, with_fast)) > 40
