"""kill -9 in the middle of writes: the database stays consistent, acknowledged batches
survive, and no batch is half-written."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ragkit.server.store import DATABASE_FILENAME

BATCH = 25

_WRITER = textwrap.dedent(
    f"""
    import sys
    from pathlib import Path
    from ragkit.server.models.embedding import load_embedder
    from ragkit.server.principal import LOCAL_USER
    from ragkit.server.service import Quotas, RetrieverService
    from ragkit.types import (BatchCreateChunksRequest, Chunk, ChunkData, Corpus,
                              CreateChunkRequest, CustomMetadata, Document)

    service = RetrieverService.open(Path(sys.argv[1]), embedder=load_embedder("hash:64"),
                                    quotas=Quotas(max_chunks_per_corpus=None))
    service.create_corpus(LOCAL_USER, Corpus(name="c"))
    service.create_document(LOCAL_USER, "corpora/c", Document(name="d"))
    n = 0
    while True:
        chunks = [
            CreateChunkRequest(chunk=Chunk(
                data=ChunkData(string_value=f"batch {{n}} chunk {{i}} " + "padding " * 200),
                custom_metadata=[
                    CustomMetadata(key="batch", numeric_value=n),
                    CustomMetadata(key="tags", string_list_value={{"values": ["a", "b"]}}),
                ],
            ))
            for i in range({BATCH})
        ]
        service.batch_create_chunks(LOCAL_USER, "corpora/c/documents/d",
                                    BatchCreateChunksRequest(requests=chunks))
        n += 1
        print(n, flush=True)
    """
)


@pytest.mark.slow
def test_kill_9_mid_write_leaves_a_consistent_database(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    acknowledged = 0
    deadline = time.monotonic() + 60
    while acknowledged < 12 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        acknowledged = int(line)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert acknowledged >= 12, "the writer did not get going"

    conn = sqlite3.connect(tmp_path / DATABASE_FILENAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        assert chunks % BATCH == 0, "a batch was half written"
        assert chunks >= acknowledged * BATCH, "an acknowledged batch was lost"
        per_batch = conn.execute(
            "SELECT num, COUNT(*) FROM chunk_metadata WHERE key = 'batch' GROUP BY num"
        ).fetchall()
        assert all(count == BATCH for _, count in per_batch)
        assert len(per_batch) * BATCH == chunks
        lists = conn.execute("SELECT COUNT(*) FROM chunk_metadata WHERE key = 'tags'").fetchone()[0]
        assert lists == 3 * chunks  # marker row + two values each
        counted = conn.execute("SELECT chunk_count FROM corpora WHERE name = 'c'").fetchone()[0]
        assert counted == chunks
        missing = conn.execute("SELECT COUNT(*) FROM chunks WHERE vector IS NULL").fetchone()[0]
        assert missing == 0
    finally:
        conn.close()
