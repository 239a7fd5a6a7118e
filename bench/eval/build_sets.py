"""Build the PostgreSQL 15 documentation evaluation set, reproducibly, from a Debian package.

    .venv/bin/python bench/eval/build_sets.py            # cache: ~/.cache/ragkit-eval
    .venv/bin/python bench/eval/build_sets.py --cache /tmp/ragkit-eval --check

Steps (nothing is installed; only ``apt-get download`` and ``dpkg -x`` run):

1. download the pinned ``postgresql-doc-15`` .deb into the cache, print its sha256 and
   refuse to go on if it differs from the recorded one;
2. unpack it with ``dpkg -x`` and read its HTML manual (about 1,150 pages);
3. derive labelled questions from the manual's own structure:

   * glossary entries (``<dt>`` term / ``<dd>`` definition in ``glossary.html``) become
     "What is <term>?"-style questions, labelled with the glossary document *and* the start
     of the definition (``contains``), so only the chunk holding the definition counts,
     plus every page the definition links to for more information (the manual's own
     pointers to where the concept is explained); the definition's first sentence is
     the reference answer;
   * reference pages (SQL commands ``sql-*.html`` and programs ``app-*.html``,
     ``pg*.html``...) carry a "NAME — purpose" line; the purpose becomes the question
     ("Which SQL command would you use to define a new table?"), every page with that
     same purpose is relevant, and NAME is the reference answer;

4. split deterministically (sha256 of a fixed seed and the question ID, no RNG state):
   about 25 % of the reference pages are *left out of the corpus* and their questions
   become the unanswerable split; every question is then ``tune`` or ``heldout``
   (half each). Tune on ``tune`` only; report ``heldout``;
5. drop the left-out questions the kept pages still answer (:func:`answered_elsewhere`):
   the manual states many commands' purposes again in prose ("You can use the
   pg_test_timing tool to measure the overhead of timing"), and such a question is not
   unanswerable, so it is listed in the manifest instead (``answered_elsewhere``);
6. write the corpus folder (the kept pages, unchanged) into the cache, and the questions
   (``bench/eval/sets/pg15.jsonl``) and a manifest (package, version, sha256, counts, left
   out pages) into the repo. Running the script again reproduces both files byte for byte;
   ``--check`` fails if they would change.

Relevance labels use ragkit's document IDs (``ragkit.ingest.sync.ids.document_id`` of the
page's path relative to the corpus folder), so the corpus must be ingested from that folder:
``ragkit ingest ~/.cache/ragkit-eval/sets/pg15/corpus --corpus pg15``.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragkit.eval.dataset import Question, Relevant, dump_questions, normalize_text
from ragkit.ingest.loaders import load
from ragkit.ingest.sync.ids import document_id
from ragkit.server.models.lexical import content_terms

PACKAGE = "postgresql-doc-15"
VERSION = "15.18-0+deb12u1"
SHA256 = "3c598277a463c44d672daa2c335deb8d8252e1852fb025fd4578ea2d9a1b90f0"
HTML_DIR = f"usr/share/doc/{PACKAGE}/html"
SET_NAME = "pg15"
SEED = "ragkit-eval-pg15-v1"
UNANSWERABLE_FRACTION = 0.25
HELDOUT_FRACTION = 0.5
#: Words of a glossary definition used as its chunk label (shorter than any chunk overlap,
#: so some chunk always holds all of them).
SNIPPET_WORDS = 8

REPO = Path(__file__).resolve().parents[2]
OUT_DIR = REPO / "bench" / "eval" / "sets"
DEFAULT_CACHE = Path(os.environ.get("RAGKIT_EVAL_CACHE", Path.home() / ".cache" / "ragkit-eval"))

_GLOSSARY_ENTRY = re.compile(
    r'<dt id="(GLOSSARY-[^"]+)"><span class="glossterm">(.*?)</span></dt>'
    r'<dd class="glossdef">(.*?)</dd>',
    re.S,
)
_REFNAME = re.compile(r'<div class="refnamediv"><h2>.*?</h2><p>(.*?)</p></div>', re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?)])")
_LINK = re.compile(r'href="([a-z0-9-]+\.html)(?:#[^"]*)?"')
_PAREN = re.compile(r"\s*\([^)]*\)\s*$")
_GLOSSARY_TEMPLATES = (
    "What is {term}?",
    "What does {term} mean in PostgreSQL?",
    "In PostgreSQL terminology, what is meant by {term}?",
)
#: A statement on a kept page: one line's text up to . ! or ? (index entries and table
#: rows, which end without one, are not statements).
_SENTENCE = re.compile(r"[^\n]+?[.!?](?=\s|$)")
#: A sentence longer than this is a table or a list run together, not a statement.
STATEMENT_MAX_WORDS = 40
_REFERENCE_KINDS = (
    ("sql-", "SQL command"),
    ("app-", "PostgreSQL program"),
    ("pg", "PostgreSQL program"),
    ("vacuumlo", "PostgreSQL program"),
    ("oid2name", "PostgreSQL program"),
)


def unit(key: str) -> float:
    """A fixed pseudo-random number in [0, 1) for ``key`` (sha256 of the seed and key)."""
    digest = hashlib.sha256(f"{SEED}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def text_of(fragment: str) -> str:
    text = " ".join(html.unescape(_TAG.sub(" ", fragment)).split())
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(
    cache: Path,
    package: str = PACKAGE,
    version: str = VERSION,
    sha256: str = SHA256,
    html_dir: str = HTML_DIR,
) -> Path:
    """Download (once) and unpack a pinned package; returns its HTML directory."""
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    deb = debs / f"{package}_{version.replace(':', '%3a')}_all.deb"
    if not deb.exists():
        subprocess.run(["apt-get", "download", f"{package}={version}"], cwd=debs, check=True)
    digest = sha256_file(deb)
    print(f"{deb.name} sha256 {digest}")
    if digest != sha256:
        sys.exit(f"sha256 mismatch: expected {sha256}; the set would not be reproducible")
    unpacked = cache / "unpacked" / f"{package}_{version}"
    if not (unpacked / html_dir).is_dir():
        shutil.rmtree(unpacked, ignore_errors=True)
        unpacked.mkdir(parents=True)
        subprocess.run(["dpkg", "-x", str(deb), str(unpacked)], check=True)
    return unpacked / html_dir


@dataclass(frozen=True)
class Reference:
    page: str
    name: str
    purpose: str
    kind: str


def glossary_questions(html_dir: Path, left_out: set[str]) -> list[Question]:
    """One question per glossary entry whose definition the HTML loader reproduces."""
    page = "glossary.html"
    source = (html_dir / page).read_text(encoding="utf-8")
    loaded = normalize_text(" ".join(s.text for s in load(html_dir / page).sections))
    questions = []
    for anchor, raw_term, raw_definition in _GLOSSARY_ENTRY.findall(source):
        definition = text_of(raw_definition)
        term = _PAREN.sub("", text_of(raw_term))
        words = definition.split()
        if len(words) < SNIPPET_WORDS or definition.startswith("See "):
            continue
        snippet = " ".join(words[:SNIPPET_WORDS])
        if normalize_text(snippet) not in loaded:
            continue
        shown = " ".join(w.lower() if w[1:].islower() else w for w in term.split())
        linked = sorted(set(_LINK.findall(raw_definition)) - {page} - left_out)
        template = _GLOSSARY_TEMPLATES[int(unit(f"template:{anchor}") * len(_GLOSSARY_TEMPLATES))]
        first_sentence = re.split(r"(?<=[.!?])\s", definition, maxsplit=1)[0]
        questions.append(
            Question(
                id=f"glossary:{anchor.lower()}",
                question=template.format(term=shown),
                relevant=(
                    Relevant(document=document_id(page), contains=snippet),
                    *(Relevant(document=document_id(other)) for other in linked),
                ),
                answers=(first_sentence,),
                meta={"kind": "glossary", "page": page, "term": term},
            )
        )
    return questions


def references(html_dir: Path) -> list[Reference]:
    """Reference pages with a "NAME — purpose" line, in file-name order."""
    found = []
    for path in sorted(html_dir.glob("*.html")):
        kind = next((k for prefix, k in _REFERENCE_KINDS if path.name.startswith(prefix)), None)
        if kind is None:
            continue
        match = _REFNAME.search(path.read_text(encoding="utf-8"))
        if match is None:
            continue
        name, dash, purpose = text_of(match.group(1)).partition(" — ")
        if dash and purpose:
            found.append(Reference(path.name, name, purpose.rstrip("."), kind))
    return found


def reference_questions(pages: list[Reference]) -> tuple[list[Question], set[str]]:
    """One question per distinct (kind, purpose); returns them and the left-out pages."""
    groups: dict[tuple[str, str], list[Reference]] = defaultdict(list)
    for ref in pages:
        groups[(ref.kind, ref.purpose.lower())].append(ref)
    questions, left_out = [], set()
    for (kind, _), group in sorted(groups.items()):
        first = group[0]
        qid = f"reference:{first.page.removesuffix('.html')}"
        unanswerable = unit(f"leave-out:{first.page}") < UNANSWERABLE_FRACTION
        if unanswerable:
            left_out.update(ref.page for ref in group)
        questions.append(
            Question(
                id=qid,
                question=f"Which {kind} would you use to {first.purpose}?",
                relevant=() if unanswerable else tuple(
                    Relevant(document=document_id(ref.page)) for ref in group
                ),
                answers=tuple(ref.name for ref in group),
                unanswerable=unanswerable,
                meta={"kind": "reference", "pages": [ref.page for ref in group]},
            )
        )  # fmt: skip
    return questions, left_out


def states_answer(sentence: str, names: Sequence[str], purpose: str) -> bool:
    """Whether ``sentence`` names one of ``names`` (as a whole command, not the start of a
    longer one such as "CREATE TABLE AS") and holds every content word of ``purpose``."""
    if len(sentence.split()) > STATEMENT_MAX_WORDS:
        return False
    if not set(content_terms(purpose)) <= set(content_terms(sentence)):
        return False
    return any(
        re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])(?! [A-Z]{{2,}}\b)", sentence)
        for name in names
    )


def answered_elsewhere(
    html_dir: Path, questions: Sequence[Question], left_out: set[str]
) -> dict[str, str]:
    """Unanswerable questions some kept page answers anyway: ID -> "page: sentence"."""
    pending = {
        q.id: (q.answers, q.question.split(" would you use to ", 1)[1].rstrip("?"))
        for q in questions
        if q.unanswerable
    }
    found: dict[str, str] = {}
    for path in sorted(html_dir.glob("*.html")):
        if path.name in left_out or not pending:
            continue
        for section in load(path).sections:
            for sentence in _SENTENCE.findall(section.text):
                for qid, (names, purpose) in list(pending.items()):
                    if states_answer(sentence, names, purpose):
                        found[qid] = f"{path.name}: {' '.join(sentence.split())}"
                        del pending[qid]
    return found


def with_split(question: Question) -> Question:
    split = "heldout" if unit(f"split:{question.id}") < HELDOUT_FRACTION else "tune"
    return Question(
        id=question.id,
        question=question.question,
        relevant=question.relevant,
        answers=question.answers,
        unanswerable=question.unanswerable,
        split=split,
        meta=question.meta,
    )


def write_corpus(html_dir: Path, corpus: Path, left_out: set[str]) -> int:
    """Copy every kept page into ``corpus`` (recreated); returns the page count."""
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    kept = 0
    for path in sorted(html_dir.glob("*.html")):
        if path.name not in left_out:
            shutil.copy2(path, corpus / path.name)
            kept += 1
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="download/unpack dir")
    parser.add_argument("--check", action="store_true", help="fail if the outputs would change")
    args = parser.parse_args()
    html_dir = fetch(args.cache)
    refs, left_out = reference_questions(references(html_dir))
    elsewhere = answered_elsewhere(html_dir, refs, left_out)
    glossary = glossary_questions(html_dir, left_out)
    questions = [with_split(q) for q in glossary + refs if q.id not in elsewhere]
    corpus = args.cache / "sets" / SET_NAME / "corpus"
    pages = write_corpus(html_dir, corpus, left_out)
    manifest = {
        "set": SET_NAME,
        "package": PACKAGE,
        "version": VERSION,
        "sha256": SHA256,
        "seed": SEED,
        "corpus_pages": pages,
        "left_out_pages": sorted(left_out),
        "answered_elsewhere": dict(sorted(elsewhere.items())),
        "questions": len(questions),
        "by_kind": {
            kind: sum(1 for q in questions if q.meta["kind"] == kind)
            for kind in ("glossary", "reference")
        },
        "by_split": {
            f"{split}/{'unanswerable' if flag else 'answerable'}": sum(
                1 for q in questions if q.split == split and q.unanswerable == flag
            )
            for split in ("tune", "heldout")
            for flag in (False, True)
        },
    }
    return write_set(SET_NAME, questions, manifest, args.cache, corpus, check=args.check)


def write_set(
    name: str,
    questions: Sequence[Question],
    manifest: dict[str, Any],
    cache: Path,
    corpus: Path,
    *,
    check: bool,
) -> int:
    """Write ``bench/eval/sets/<name>.jsonl`` and its manifest, or with ``check`` only
    compare them with what is committed; returns the exit status (1: they would change)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    target = OUT_DIR / f"{name}.jsonl"
    manifest_path = OUT_DIR / f"{name}.manifest.json"
    scratch = cache / f"{name}.jsonl"
    dump_questions(list(questions), scratch)
    manifest_text = json.dumps(manifest, indent=2) + "\n"
    if check:
        same = (
            target.exists()
            and target.read_bytes() == scratch.read_bytes()
            and manifest_path.read_text(encoding="utf-8") == manifest_text
        )
        print("unchanged" if same else "CHANGED")
        return 0 if same else 1
    shutil.copyfile(scratch, target)
    manifest_path.write_text(manifest_text, encoding="utf-8")
    shown = {k: v for k, v in manifest.items() if k not in ("left_out_pages", "answered_elsewhere")}
    print(json.dumps(shown, indent=2))
    dropped = len(manifest.get("answered_elsewhere", {}))
    print(f"dropped {dropped} left-out questions the kept pages answer (see the manifest)")
    print(f"corpus: {corpus}\nquestions: {target.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
