"""Every program in examples/ runs, as a user would run it, and prints what it promises.

Each runs in a fresh working directory, on a new data folder there (RAGKIT_DATA_DIR), with
the hash embedder (RAGKIT_EMBEDDER=hash) to stay fast; one slow test runs the quickstart with
MiniLM, the real default.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROGRAMS = sorted(p.name for p in EXAMPLES.glob("*.py"))
#: Lines each program must print (with the hash embedder).
EXPECTED: dict[str, list[str]] = {
    "quickstart.py": [
        "5 added",
        "[1] unicode-text.pdf, p. 3",
        "[1] http-caching.md, HTTP caching in practice",
        "Q: What is the boiling point of mercury?  (answerable probability 0.0",
        "Not in the documents",
    ],
    "search_with_filters.py": [
        "sqlite-wal.md, SQLite write-ahead logging",
        "unicode-text.pdf, p. 2",
        '(source == "git-rebase.md" or source == "python-venv.md") and position < 2',
        "invalid filter at column 15",
    ],
    "chat_session.py": [
        "you> Is the WAL setting persistent?",
        "Checkpoints",
        "Not in the documents",
        "(10 turns in the history)",
    ],
    "access_as_code.py": [
        "plan: 4 change(s)",
        "+ grant READER to everyone on corpora/quickstart",
        "applied; plan now has 0 change(s)",
        "WRITER  bob@example.com",
        "refused: everyone can only be granted READER",
    ],
    "make_pdf.py": ["(3 pages)"],
}


def _run(program: str, cwd: Path, *args: str, embedder: str = "hash") -> str:
    env = {**os.environ, "RAGKIT_EMBEDDER": embedder}
    env.pop("RAGKIT_BASE_URL", None)
    env["RAGKIT_DATA_DIR"] = str(cwd / ".ragkit")
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / program), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_program_has_expectations() -> None:
    assert set(PROGRAMS) == set(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("program", [p for p in PROGRAMS if p != "make_pdf.py"])
def test_example_runs(program: str, tmp_path: Path) -> None:
    out = _run(program, tmp_path)
    for expected in EXPECTED[program]:
        assert expected in out, f"{expected!r} not in the output of {program}:\n{out}"
    assert (tmp_path / ".ragkit").is_dir()


def test_make_pdf_reproduces_the_committed_pdf(tmp_path: Path) -> None:
    target = tmp_path / "out.pdf"
    out = _run("make_pdf.py", tmp_path, str(target))
    assert all(expected in out for expected in EXPECTED["make_pdf.py"])
    assert target.read_bytes() == (EXAMPLES / "docs" / "unicode-text.pdf").read_bytes()


@pytest.mark.slow
def test_quickstart_with_minilm_reruns_without_uploading(tmp_path: Path) -> None:
    first = _run("quickstart.py", tmp_path, embedder="minilm")
    for expected in (
        "WAL mode is enabled per database with `PRAGMA journal_mode=WAL;`",
        "[1] sqlite-wal.md, SQLite write-ahead logging",
        'unicodedata.normalize("NFC", text) returns the NFC form of a string',
        "[1] unicode-text.pdf, p. 3",
        "The golden rule is never to rebase commits that others have based work on",
        "[1] git-rebase.md, Git rebase and merge > When to rebase",
        "[1] http-caching.md, HTTP caching in practice",
        "Not in the documents",
    ):
        assert expected in first, first
    second = _run("quickstart.py", tmp_path, embedder="minilm")
    assert "0 added, 0 updated, 0 moved, 0 deleted, 5 unchanged" in second
    assert second.split("\n\n", 1)[1] == first.split("\n\n", 1)[1]
