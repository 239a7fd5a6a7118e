"""``ragkit migrate DATA_DIR postgresql://...``: copies a SQLite folder with its vectors,
resumes after an interruption, and the copy answers the same queries."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from ragkit.cli import main
from ragkit.server.models.embedding import load_embedder
from ragkit.server.service import RetrieverService
from ragkit.server.store.copy_to_postgres import CopyError, copy_data_dir
from ragkit.types import Corpus, GranteeType, Permission, Role
from tests.server.pgvec.test_search_backends import FILTERS, QUERIES, fill, hits, same
from tests.server.service.conftest import ALICE, OWNER

C = "corpora/c"


def _open(data_dir: Path, url: str | None = None) -> RetrieverService:
    return RetrieverService.open(data_dir, embedder=load_embedder("hash:64"), database_url=url)


def _copied_chunks(url: str) -> int:
    """The last chunk row id the copy recorded (chunk ids here run 1..120)."""
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('ragkit._ragkit_copy')").fetchone() == (None,):
            return 0
        row = conn.execute(
            "SELECT last_rowid FROM ragkit._ragkit_copy WHERE tbl = 'chunks'"
        ).fetchone()
    return int(row[0]) if row else 0


def _answers(service: RetrieverService) -> list[list[tuple[str, float]]]:
    found = [hits(service, q, f) for q in QUERIES for f in FILTERS[:4]]
    found.append(hits(service, "ocean", [], doc="d2"))
    return found


def test_migrate_resumes_after_an_interruption_and_answers_the_same(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _open(tmp_path)
    fill(source, chunks_per_document=30)
    source.create_permission(
        OWNER,
        C,
        Permission(grantee_type=GranteeType.USER, email_address=ALICE.email, role=Role.READER),
    )
    expected = _answers(source)
    page = source.list_chunks(OWNER, f"{C}/documents/d0", page_size=7, page_token=None)
    source.close()

    # A real kill -9 in the middle of the chunks table: committed batches stay, the one in
    # flight is rolled back with its progress record.
    # The copy pauses 20 ms after each one-row batch, so that it is still running when the
    # kill lands: on a quiet machine an unpaused copy of 120 rows ends between two polls.
    slow_copy = (
        "import sys, time; from pathlib import Path; "
        "from ragkit.server.store.copy_to_postgres import copy_data_dir; "
        "copy_data_dir(Path(sys.argv[1]), sys.argv[2], batch_rows=1, "
        "progress=lambda _: time.sleep(0.02))"
    )
    killed = subprocess.Popen(
        [sys.executable, "-c", slow_copy, str(tmp_path), postgres_url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while _copied_chunks(postgres_url) < 10:
            assert killed.poll() is None, "migrate finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)
    assert 10 <= _copied_chunks(postgres_url) < 120

    assert main(["migrate", str(tmp_path), postgres_url, "--batch-rows", "25"]) == 0
    counts = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert counts["ragkit.chunks"] == "120"
    assert counts["ragkit.documents"] == "4"
    assert counts["ragkit.permissions"] == "2"  # the creator's and Alice's

    (tmp_path / "replica").mkdir()
    copied = _open(tmp_path / "replica", postgres_url)
    try:
        for got, want in zip(_answers(copied), expected, strict=True):
            same(got, want)
        # Ids, the page-token secret and permissions came along: a page token made on
        # SQLite continues on PostgreSQL, and Alice still reads the corpus.
        rest = copied.list_chunks(
            OWNER, f"{C}/documents/d0", page_size=7, page_token=page.next_page_token
        )
        first = [c.name for c in page.chunks or []]
        assert [c.name for c in rest.chunks or []] == [
            name.replace(f"x{i}", f"x{i + 7}") for i, name in enumerate(first)
        ]
        assert copied.get_corpus(ALICE, C).name == C
        # New rows get fresh ids past the copied ones.
        copied.create_corpus(OWNER, Corpus(name="after"))
    finally:
        copied.close()
    # Copying again into the now-used database is refused, not merged.
    with pytest.raises(CopyError, match="another folder"):
        fresh = tmp_path / "other"
        fresh.mkdir()
        other = _open(fresh)
        other.create_corpus(OWNER, Corpus(name="x"))
        other.close()
        copy_data_dir(fresh, postgres_url)
