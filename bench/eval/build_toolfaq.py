"""Build ``toolfaq``: a second question-and-answer prose set, kept out of all tuning.

    .venv/bin/python bench/eval/build_toolfaq.py            # cache: ~/.cache/ragkit-eval
    .venv/bin/python bench/eval/build_toolfaq.py --check

``debfaq`` (``build_faq.py``) is the FAQ-prose set the answerer is tuned on; ``toolfaq`` is
its genre-mate that no rule or weight was chosen on, so that what was fitted to one FAQ can
be checked on another. Sources: the FAQ files four Debian packages ship, written by the
tools' own authors, each in its own layout:

* ``zlib1g-dev``: zlib's FAQ (`` 13. How can I make a Unix shared library?``);
* ``xz-utils``: XZ Utils' FAQ (``Q:`` / ``A:`` blocks);
* ``valgrind``: Valgrind's FAQ (``4.1. Why does Memcheck report...``);
* ``procps``: procps' FAQ (an unindented question line above a tab-indented answer).

Some entries state a problem instead of asking ("compress() returns Z_BUF_ERROR."): that
is how those users asked, so they are kept as they are. Everything else is as in
``build_faq.py``: raw chunks of whole paragraphs up to :data:`build_faq.CHUNK_WORDS` words
(no context line, no question line; ``--with-questions`` corpora add the question line),
relevant = every chunk of the entry, reference answer = the answer's first paragraph, a
quarter of the entries left out of the corpus (unanswerable), splits by sha256. Only
``apt-get download`` and ``dpkg -x`` run; nothing is installed.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_faq
import build_sets as common

from ragkit.eval.dataset import Question, Relevant

SET_NAME = "toolfaq"
SEED = "ragkit-eval-toolfaq-v1"
UNANSWERABLE_FRACTION = 0.25


@dataclass(frozen=True)
class Source:
    key: str  # document id in the corpus
    package: str
    version: str
    arch: str
    sha256: str
    path: str  # the FAQ inside the package (gzip-compressed)
    parse: Callable[[list[str]], Iterator[tuple[str, str, list[str]]]]


@dataclass(frozen=True)
class Entry:
    source: str
    number: str
    question: str
    paragraphs: tuple[str, ...]


def _paragraphs(lines: list[str]) -> list[str]:
    """Blank-line separated paragraphs, each dedented on its own; rules dropped."""
    out: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.expandtabs(8).rstrip())
        elif current:
            out.append(textwrap.dedent("\n".join(current)).strip("\n"))
            current = []
    return [p for p in out if not set(p.strip()) <= set("-=_~ ")]


def _join(lines: list[str]) -> str:
    return " ".join(" ".join(line.split()) for line in lines)


_ZLIB = re.compile(r"^ ?(\d+)\. (\S.*)$")


def parse_zlib(lines: list[str]) -> Iterator[tuple[str, str, list[str]]]:
    """`` 13. Question`` at the margin, continued by indented lines up to a blank line."""
    i = 0
    while i < len(lines):
        match = _ZLIB.match(lines[i])
        if not match:
            i += 1
            continue
        heading = [match.group(2)]
        i += 1
        while i < len(lines) and lines[i].strip():
            heading.append(lines[i])
            i += 1
        body: list[str] = []
        while i < len(lines) and not _ZLIB.match(lines[i]):
            body.append(lines[i])
            i += 1
        yield match.group(1), _join(heading), body


def parse_xz(lines: list[str]) -> Iterator[tuple[str, str, list[str]]]:
    """``Q:`` lines up to ``A:``; the answer up to the next ``Q:``."""
    number = 0
    i = 0
    while i < len(lines):
        if not lines[i].startswith("Q:"):
            i += 1
            continue
        number += 1
        heading = [lines[i][2:]]
        i += 1
        while i < len(lines) and not lines[i].startswith("A:"):
            heading.append(lines[i])
            i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith("Q:"):
            line = lines[i]
            body.append("  " + line[2:] if line.startswith("A:") else line)
            i += 1
        yield str(number), _join(heading), body


_VALGRIND = re.compile(r"^(\d+)\.(\d+)\. (\S.*)$")
_RULE = re.compile(r"^-{10,}\s*$")


def parse_valgrind(lines: list[str]) -> Iterator[tuple[str, str, list[str]]]:
    """``4.1. Question`` lines up to one ending in ``?``, ``:`` or ``.``; the answer up to
    the next entry or rule. An indented block right after a question that ends with a
    colon is the question's own example (an error message), not the answer."""
    i = 0
    while i < len(lines):
        match = _VALGRIND.match(lines[i])
        if not match:
            i += 1
            continue
        heading = [match.group(3)]
        i += 1
        while (
            not heading[-1].rstrip().endswith(("?", ":", "."))
            and i < len(lines)
            and lines[i].strip()
        ):
            heading.append(lines[i])
            i += 1
        if heading[-1].rstrip().endswith(":"):
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                i += 1
        body: list[str] = []
        while i < len(lines) and not _VALGRIND.match(lines[i]) and not _RULE.match(lines[i]):
            body.append(lines[i])
            i += 1
        yield f"{match.group(1)}.{match.group(2)}", _join(heading), body


def parse_procps(lines: list[str]) -> Iterator[tuple[str, str, list[str]]]:
    """An unindented question line above a tab-indented answer."""
    number = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line[0].isspace():
            i += 1
            continue
        number += 1
        heading = [line]
        i += 1
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or lines[i][0].isspace()):
            body.append(lines[i])
            i += 1
        yield str(number), _join(heading), body


SOURCES = (
    Source(
        "zlib",
        "zlib1g-dev",
        "1:1.2.13.dfsg-1",
        "amd64",
        "f9ce531f60cbd5df37996af9370e0171be96902a17ec2bdbd8d62038c354094f",
        "usr/share/doc/zlib1g-dev/FAQ.gz",
        parse_zlib,
    ),
    Source(
        "xz",
        "xz-utils",
        "5.4.1-1+deb12u1",
        "amd64",
        "cc6dc501e0c06be3f89e9a7f8dfd7a97f92aadfd9daa60fad19b90d6a5558b80",
        "usr/share/doc/xz-utils/faq.txt.gz",
        parse_xz,
    ),
    Source(
        "valgrind",
        "valgrind",
        "1:3.19.0-1",
        "amd64",
        "324842f2308a1e42abf2d81ff5eb19a9475fc9db95647f4d9da71444eda4087f",
        "usr/share/doc/valgrind/FAQ.txt.gz",
        parse_valgrind,
    ),
    Source(
        "procps",
        "procps",
        "2:4.0.2-3",
        "amd64",
        "d9d0e75779cb79af869181f17b93c5c263a2b89cac6a0193c436160a4483ddc1",
        "usr/share/doc/procps/FAQ.gz",
        parse_procps,
    ),
)


def fetch(cache: Path, source: Source) -> Path:
    """Download (once) the pinned package, check its sha256, unpack it; returns the FAQ."""
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    version = source.version.replace(":", "%3a")
    deb = debs / f"{source.package}_{version}_{source.arch}.deb"
    if not deb.exists():
        subprocess.run(
            ["apt-get", "download", f"{source.package}:{source.arch}={source.version}"],
            cwd=debs,
            check=True,
        )
    digest = common.sha256_file(deb)
    print(f"{deb.name} sha256 {digest}")
    if digest != source.sha256:
        sys.exit(f"sha256 mismatch: expected {source.sha256}; the set would not be reproducible")
    unpacked = cache / "unpacked" / f"{source.package}_{source.version}"
    if not (unpacked / source.path).is_file():
        shutil.rmtree(unpacked, ignore_errors=True)
        unpacked.mkdir(parents=True)
        subprocess.run(["dpkg", "-x", str(deb), str(unpacked)], check=True)
    return unpacked / source.path


def entries(source: Source, text: str) -> list[Entry]:
    found = []
    for number, question, body in source.parse(text.splitlines()):
        paragraphs = _paragraphs(body)
        if paragraphs:
            found.append(Entry(source.key, number, question.strip(), tuple(paragraphs)))
    return found


def _fraction(key: str) -> float:
    digest = hashlib.sha256(f"{SEED}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _chunk_id(entry: Entry, index: int) -> str:
    return f"{entry.source}-{entry.number.replace('.', '-')}-{index}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=common.DEFAULT_CACHE)
    parser.add_argument("--check", action="store_true", help="compare with the committed set")
    args = parser.parse_args()
    questions: list[Question] = []
    rows: list[dict[str, str]] = []
    left_out: list[str] = []
    per_source: dict[str, int] = {}
    for source in SOURCES:
        path = fetch(args.cache, source)
        text = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        found = entries(source, text)
        per_source[source.key] = len(found)
        for entry in found:
            section = build_faq.Section(entry.number, entry.question, entry.paragraphs)
            pieces = build_faq.chunks_of(section)
            key = f"{entry.source}:{entry.number}"
            unanswerable = _fraction(f"leave-out\0{key}") < UNANSWERABLE_FRACTION
            if unanswerable:
                left_out.append(key)
            else:
                for index, piece in enumerate(pieces):
                    rows.append(
                        {
                            "document": entry.source,
                            "chunk": _chunk_id(entry, index),
                            "text": piece,
                            "question": entry.question if index == 0 else "",
                        }
                    )
            reference = " ".join(entry.paragraphs[0].split()[: build_faq.REFERENCE_WORDS])
            qid = f"toolfaq:{key}"
            questions.append(
                Question(
                    id=qid,
                    question=entry.question,
                    relevant=()
                    if unanswerable
                    else tuple(
                        Relevant(document=entry.source, chunk=_chunk_id(entry, i))
                        for i in range(len(pieces))
                    ),
                    answers=(reference,),
                    unanswerable=unanswerable,
                    split="tune" if _fraction(f"split\0{qid}") < 0.5 else "heldout",
                    meta={
                        "kind": "unanswerable" if unanswerable else "faq",
                        "source": entry.source,
                    },
                )
            )
    corpus = args.cache / "sets" / SET_NAME
    corpus.mkdir(parents=True, exist_ok=True)
    with (corpus / "chunks.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    manifest = {
        "set": SET_NAME,
        "sources": [
            {"package": s.package, "version": s.version, "sha256": s.sha256, "path": s.path}
            for s in SOURCES
        ],
        "seed": SEED,
        "questions": len(questions),
        "entries_by_source": per_source,
        "answerable_by_split": {
            s: sum(1 for q in questions if q.split == s and not q.unanswerable)
            for s in ("tune", "heldout")
        },
        "unanswerable": sum(q.unanswerable for q in questions),
        "chunks": len(rows),
        "chunk_words": build_faq.CHUNK_WORDS,
        "left_out_entries": left_out,
    }
    return common.write_set(SET_NAME, questions, manifest, args.cache, corpus, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
