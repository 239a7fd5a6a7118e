"""Build the GNU Octave 7 manual evaluation set, a second manual nothing was tuned on.

    .venv/bin/python bench/eval/build_octave.py            # cache: ~/.cache/ragkit-eval
    .venv/bin/python bench/eval/build_octave.py --check

It checks that the defaults chosen on the PostgreSQL set (``build_sets.py``) carry to
another manual, built by another tool (Texinfo instead of DocBook), with other phrasing.
Every question is in the ``heldout`` split: nothing is ever chosen on this set.

Steps, as for pg15 (nothing is installed; only ``apt-get download`` and ``dpkg -x`` run):

1. download the pinned ``octave-doc`` .deb, check its sha256, unpack its HTML manual
   (about 1,000 pages);
2. every function the manual documents (``<dl class="def">``: ``<dt>`` with the function's
   name in ``<strong>``, ``<dd>`` with its description) whose description opens with a
   sentence of at least 4 words gives "Which Octave function would you use to *first
   sentence*?" ("...to compute the determinant of A?"). Functions sharing that sentence are
   one question. Relevant: the chunk holding each function's description (its page and the
   description's first 8 words); reference answer: the function names;
3. pages with at least one such function are left out of the corpus with probability 0.25;
   their questions become unanswerable, unless a kept page still states the answer
   (``build_sets.answered_elsewhere``);
4. a fixed sample of the questions (sha256 of a seed and the question ID) is kept, at most
   :data:`MAX_QUESTIONS`, so one evaluation takes minutes.

Writes ``bench/eval/sets/octave7.jsonl``, its manifest, and the corpus folder
``<cache>/sets/octave7/corpus``; then ``run_eval.py ingest --set octave7`` and
``run_eval.py eval --set octave7 --split heldout``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_sets as common

from ragkit.eval.dataset import Question, Relevant, normalize_text
from ragkit.ingest.loaders import load
from ragkit.ingest.sync.ids import document_id

PACKAGE = "octave-doc"
VERSION = "7.3.0-2"
SHA256 = "b27897cc7e3d688daa5cb8f8d1ea47077f3fbd205ce32e22522200ff0c1eadd5"
HTML_DIR = "usr/share/doc/octave/octave.html"
SET_NAME = "octave7"
SEED = "ragkit-eval-octave7-v1"
UNANSWERABLE_FRACTION = 0.25
#: Questions kept (a fixed sample), so that an evaluation with answers takes minutes.
MAX_QUESTIONS = 300
SNIPPET_WORDS = 8
MIN_PURPOSE_WORDS = 4

_DEFINITION = re.compile(r'<dl class="def">\s*<dt[^>]*>(.*?)</dt>.*?<dd>(.*?)</dd>', re.S)
_NAME = re.compile(r"<strong[^>]*>(.*?)</strong>", re.S)
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)")


def unit(key: str) -> float:
    digest = hashlib.sha256(f"{SEED}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def functions(html_dir: Path) -> dict[str, list[tuple[str, str, str]]]:
    """Page -> [(function name, purpose sentence, description snippet)], in page order."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for path in sorted(html_dir.glob("*.html")):
        source = path.read_text(encoding="utf-8", errors="replace")
        loaded = None
        for term, definition in _DEFINITION.findall(source):
            name_match, paragraph = _NAME.search(term), _FIRST_PARAGRAPH.search(definition)
            if name_match is None or paragraph is None:
                continue
            name = common.text_of(name_match.group(1))
            text = common.text_of(paragraph.group(1))
            sentence = _FIRST_SENTENCE.match(text)
            if not name or sentence is None:
                continue
            purpose = sentence.group(1).rstrip(".!?")
            words = text.split()
            if len(purpose.split()) < MIN_PURPOSE_WORDS or not purpose[0].isupper():
                continue
            snippet = " ".join(words[:SNIPPET_WORDS])
            if loaded is None:
                loaded = normalize_text(" ".join(s.text for s in load(path).sections))
            if normalize_text(snippet) not in loaded:
                continue
            found.setdefault(path.name, []).append((name, purpose, snippet))
    return found


def questions_of(pages: dict[str, list[tuple[str, str, str]]]) -> tuple[list[Question], set[str]]:
    left_out = {page for page in pages if unit(f"leave-out:{page}") < UNANSWERABLE_FRACTION}
    groups: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for page, entries in pages.items():
        for name, purpose, snippet in entries:
            groups[purpose.lower()].append((page, name, purpose, snippet))
    questions = []
    seen: dict[str, int] = {}
    for _, group in sorted(groups.items()):
        page, name, purpose, _ = group[0]
        # A function documented with several purposes (``gallery``) asks several questions.
        seen[name] = seen.get(name, 0) + 1
        qid = f"function:{name}" if seen[name] == 1 else f"function:{name}-{seen[name]}"
        # A purpose shared by a kept and a left-out page is still answerable.
        unanswerable = all(member[0] in left_out for member in group)
        names = tuple(dict.fromkeys(member[1] for member in group))
        purpose_text = purpose[0].lower() + purpose[1:]
        questions.append(
            Question(
                id=qid,
                question=f"Which Octave function would you use to {purpose_text}?",
                relevant=()
                if unanswerable
                else tuple(
                    Relevant(document=document_id(p), contains=s)
                    for p, _, _, s in group
                    if p not in left_out
                ),
                answers=names,
                unanswerable=unanswerable,
                split="heldout",
                meta={"kind": "function", "pages": sorted({member[0] for member in group})},
            )
        )
    return questions, left_out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=common.DEFAULT_CACHE)
    parser.add_argument("--check", action="store_true", help="fail if the outputs would change")
    args = parser.parse_args()
    html_dir = common.fetch(args.cache, PACKAGE, VERSION, SHA256, HTML_DIR)
    pages = functions(html_dir)
    every, left_out = questions_of(pages)
    elsewhere = common.answered_elsewhere(html_dir, every, left_out)
    kept = [q for q in every if q.id not in elsewhere]
    kept.sort(key=lambda q: unit(f"sample:{q.id}"))
    sample = sorted(kept[:MAX_QUESTIONS], key=lambda q: q.id)
    corpus = args.cache / "sets" / SET_NAME / "corpus"
    pages_kept = common.write_corpus(html_dir, corpus, left_out)
    manifest = {
        "set": SET_NAME,
        "package": PACKAGE,
        "version": VERSION,
        "sha256": SHA256,
        "seed": SEED,
        "corpus_pages": pages_kept,
        "documented_functions": sum(len(entries) for entries in pages.values()),
        "left_out_pages": sorted(left_out),
        "answered_elsewhere": dict(sorted(elsewhere.items())),
        "questions_before_sampling": len(kept),
        "questions": len(sample),
        "by_split": {
            f"heldout/{'unanswerable' if flag else 'answerable'}": sum(
                1 for q in sample if q.unanswerable == flag
            )
            for flag in (False, True)
        },
    }
    return common.write_set(SET_NAME, sample, manifest, args.cache, corpus, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
