"""End to end against a real ``ragkit serve`` process: the CLI in its own process, killed with
SIGKILL mid-upload and re-run, must leave exactly the corpus one uninterrupted run leaves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import ragkit
from ragkit.ingest import ChunkingConfig, ingest
from ragkit.provenance import metadata_to_dict

from ...server.http.serving import ServerProcess, serve
from .helpers import paragraphs, snapshot, write

pytestmark = pytest.mark.slow

CHUNKING = ["--chunk-tokens", "64", "--overlap-tokens", "0"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data = tmp_path_factory.mktemp("e2e") / "data"
    with serve(data, "--embedder", "hash", "--max-corpora", "0",
               "--max-documents-per-corpus", "0", "--max-chunks-per-corpus", "0",
               "--log-level", "warning") as running:  # fmt: skip
        yield running


def _cli(server: ServerProcess, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("RAGKIT_BASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "ragkit", "ingest", *args, "--base-url", server.url,
         "--api-key", "k", "--json", *CHUNKING],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def _last_json(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    data: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return data


def _corpus() -> str:
    return f"corpora/e2e-{uuid.uuid4().hex[:10]}"


def test_cli_against_a_real_server(server: ServerProcess, tmp_path: Path) -> None:
    write(tmp_path / "docs", {"a.md": "# A\n\nalpha text", "sub/b.txt": "beta", "c.bin": "x"})
    corpus = _corpus()
    first = _last_json(_cli(server, str(tmp_path / "docs"), "--corpus", corpus))
    assert (first["documents_added"], len(first["skipped"])) == (2, 1)  # type: ignore[arg-type]
    second = _last_json(_cli(server, str(tmp_path / "docs"), "--corpus", corpus))
    assert (second["documents_unchanged"], second["chunks_created"]) == (2, 0)


def _landed(client: ragkit.Client, corpus: str) -> int:
    """Documents plus completed documents: grows with every step a run makes."""
    try:
        documents = list(client.corpora.documents.list(corpus, page_size=20))
    except ragkit.APIError:
        return 0
    complete = [d for d in documents if "content_hash" in metadata_to_dict(d.custom_metadata)]
    return len(documents) + len(complete)


def _kill_mid_run(server: ServerProcess, docs: Path, corpus: str, delay: float) -> None:
    """Start the CLI, wait until it has visibly made progress plus ``delay``, then SIGKILL."""
    with ragkit.Client(base_url=server.url, api_key="k") as client:
        baseline = _landed(client, corpus)
        process = _cli(server, str(docs), "--corpus", corpus)
        deadline = time.monotonic() + 120
        while _landed(client, corpus) == baseline:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
    time.sleep(delay)
    assert process.poll() is None, "the run finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def test_sigkill_mid_upload_then_rerun_matches_a_clean_run(
    server: ServerProcess, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    write(docs, {f"part{i % 7}/file{i}.md": paragraphs(f"w{i}x", 3 + i % 3, words=25)
                 for i in range(240)})  # fmt: skip
    clean, resumed = _corpus(), _corpus()
    with ragkit.Client(base_url=server.url, api_key="k") as client:
        ingest(docs, corpus=clean, client=client, chunking=ChunkingConfig(64, 0))
    _kill_mid_run(server, docs, resumed, delay=0.1)
    _kill_mid_run(server, docs, resumed, delay=0.5)
    with ragkit.Client(base_url=server.url, api_key="k") as client:
        interrupted = snapshot(client, resumed)
        expected = snapshot(client, clean)
        assert interrupted != expected, "the kills left work to do"
        final = _last_json(_cli(server, str(docs), "--corpus", resumed))
        assert final["failed"] == []
        assert snapshot(client, resumed) == expected
    again = _last_json(_cli(server, str(docs), "--corpus", resumed))
    assert (again["documents_unchanged"], again["chunks_created"]) == (240, 0)
