"""Build ``debfaq``: question-and-answer prose, a genre unlike pg15's and octave7's manuals.

    .venv/bin/python bench/eval/build_faq.py            # cache: ~/.cache/ragkit-eval
    .venv/bin/python bench/eval/build_faq.py --check

Source: the Debian GNU/Linux FAQ as Debian ships it (package ``debian-faq``, plain-text
edition ``debian-faq.en.txt.gz``), written by people who never saw ragkit. Every section of
the FAQ is a real reader's question ("Why does dpkg ... ?", "How do I install a package
...?") answered in paragraphs, lists and command lines.

Steps (only ``apt-get download`` and ``dpkg -x`` run; nothing is installed):

1. download the pinned ``.deb``, check its sha256, unpack it;
2. split the text into sections (``N.M. Question?`` at the start of a line, wrapped headings
   joined); a section whose heading holds no ``?`` is not a question and is skipped;
3. every section's answer is cut into *raw* chunks: whole paragraphs (blank-line separated)
   up to :data:`CHUNK_WORDS` words; no context line, no question line. This is how a user
   loads prose through ``chunks:batchCreate`` (``run_eval.py ingest --set debfaq`` does
   that from ``<cache>/sets/debfaq/chunks.jsonl``). A second corpus, ``debfaq-q``, keeps
   the question as the first line of each section's first chunk, as an FAQ page reads,
   so an answerer that quotes headings shows it;
4. relevant: every chunk of the question's own section; reference answer: the answer's
   first paragraph (for token F1);
5. a quarter of the sections (sha256 of a seed and the section number) are left out of
   the corpus; their questions stay with ``"unanswerable": true``. FAQ sections overlap
   more than reference pages do, so a few of those may be partly answered by a neighbour;
6. split: sha256 of the seed and the question ID, half ``tune``, half ``heldout``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_sets as common

from ragkit.eval.dataset import Question, Relevant

PACKAGE = "debian-faq"
VERSION = "11.1"
SHA256 = "427426e0cfa6888622fc1d72631071cb4b5a1f86ccde722e7820bcef284de5d0"
TEXT_DIR = "usr/share/doc/debian/FAQ"
TEXT_FILE = "debian-faq.en.txt.gz"
SET_NAME = "debfaq"
SEED = "ragkit-eval-debfaq-v1"
UNANSWERABLE_FRACTION = 0.25
#: A chunk holds whole paragraphs up to this many words (a longer paragraph is one chunk).
CHUNK_WORDS = 160
#: The reference answer: the answer's first paragraph, cut to this many words.
REFERENCE_WORDS = 60

_SECTION = re.compile(r"^(\d+)\.(\d+)\.(?:(\d+)\.)?[ \u00a0](\S.*)$")


@dataclass(frozen=True)
class Section:
    number: str  # "2.5"
    question: str
    paragraphs: tuple[str, ...]


def _fraction(key: str) -> float:
    digest = hashlib.sha256(f"{SEED}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def sections(text: str) -> list[Section]:
    """The FAQ's numbered sections, in order (the table of contents is indented, so skipped)."""
    lines = text.splitlines()
    found: list[Section] = []
    i = 0
    while i < len(lines):
        match = _SECTION.match(lines[i])
        if not match:
            i += 1
            continue
        number = ".".join(g for g in match.group(1, 2, 3) if g)
        heading = [match.group(4).strip()]
        i += 1
        while i < len(lines) and lines[i].strip() and not lines[i].startswith(" "):
            heading.append(lines[i].strip())
            i += 1
        body: list[str] = []
        while i < len(lines) and not _SECTION.match(lines[i]):
            body.append(lines[i])
            i += 1
        found.append(Section(number, " ".join(heading), tuple(_paragraphs(body))))
    return found


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated paragraphs, dedented by the FAQ's four-space body indent."""
    out: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line[4:] if line.startswith("    ") else line.lstrip())
        elif current:
            out.append("\n".join(current).rstrip())
            current = []
    return [p for p in out if not set(p.strip()) <= set("-=_ ")]


def chunks_of(section: Section) -> list[str]:
    """Whole paragraphs grouped up to :data:`CHUNK_WORDS` words."""
    groups: list[list[str]] = []
    words = 0
    for paragraph in section.paragraphs:
        n = len(paragraph.split())
        if groups and words + n <= CHUNK_WORDS:
            groups[-1].append(paragraph)
            words += n
        else:
            groups.append([paragraph])
            words = n
    return ["\n\n".join(g) for g in groups]


def _chunk_id(section: Section, index: int) -> str:
    return f"s{section.number.replace('.', '-')}-{index}"


def _document_id(section: Section) -> str:
    return f"chapter-{section.number.split('.')[0]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=common.DEFAULT_CACHE)
    parser.add_argument("--check", action="store_true", help="compare with the committed set")
    args = parser.parse_args()
    folder = common.fetch(args.cache, PACKAGE, VERSION, SHA256, TEXT_DIR)
    text = gzip.decompress((folder / TEXT_FILE).read_bytes()).decode("utf-8")
    questions: list[Question] = []
    rows: list[dict[str, str]] = []
    left_out: list[str] = []
    skipped: list[str] = []
    for section in sections(text):
        if "?" not in section.question or not section.paragraphs:
            skipped.append(f"{section.number} {section.question}")
            continue
        pieces = chunks_of(section)
        unanswerable = _fraction(f"leave-out\0{section.number}") < UNANSWERABLE_FRACTION
        document = _document_id(section)
        if unanswerable:
            left_out.append(section.number)
        else:
            for index, piece in enumerate(pieces):
                rows.append(
                    {
                        "document": document,
                        "chunk": _chunk_id(section, index),
                        "text": piece,
                        "question": section.question if index == 0 else "",
                    }
                )
        reference = " ".join(section.paragraphs[0].split()[:REFERENCE_WORDS])
        qid = f"faq:{section.number}"
        questions.append(
            Question(
                id=qid,
                question=section.question,
                relevant=()
                if unanswerable
                else tuple(
                    Relevant(document=document, chunk=_chunk_id(section, i))
                    for i in range(len(pieces))
                ),
                answers=(reference,),
                unanswerable=unanswerable,
                split="tune" if _fraction(f"split\0{qid}") < 0.5 else "heldout",
                meta={"kind": "unanswerable" if unanswerable else "faq"},
            )
        )
    corpus = args.cache / "sets" / SET_NAME
    corpus.mkdir(parents=True, exist_ok=True)
    with (corpus / "chunks.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    split_counts = {
        s: sum(1 for q in questions if q.split == s and not q.unanswerable)
        for s in ("tune", "heldout")
    }
    manifest = {
        "set": SET_NAME,
        "package": PACKAGE,
        "version": VERSION,
        "sha256": SHA256,
        "source": f"{TEXT_DIR}/{TEXT_FILE}",
        "seed": SEED,
        "questions": len(questions),
        "answerable_by_split": split_counts,
        "unanswerable": sum(q.unanswerable for q in questions),
        "chunks": len(rows),
        "chunk_words": CHUNK_WORDS,
        "left_out_sections": left_out,
        "skipped_not_questions": skipped,
    }
    return common.write_set(SET_NAME, questions, manifest, args.cache, corpus, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
