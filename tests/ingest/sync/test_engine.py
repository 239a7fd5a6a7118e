"""``ingest`` against the real server in-process: adds, no-op reruns, updates, moves, deletes,
dry runs, bad files, limits, retried batches and interrupted runs."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import ragkit
from ragkit.ingest import ChunkingConfig, IngestError, IngestReport, ProgressUpdate, ingest
from ragkit.ingest.sync import chunk_id, document_id
from ragkit.limits import MAX_CHUNKS_PER_BATCH, MAX_CUSTOM_METADATA
from ragkit.provenance import chunk_metadata
from ragkit.server.embedded import EmbeddedServer

from .helpers import Recorder, RecordingTransport, new_corpus, paragraphs, snapshot, write

SMALL = ChunkingConfig(chunk_tokens=64, overlap_tokens=0)


def _run(client: ragkit.Client, corpus: str, *paths: Path, **options: Any) -> IngestReport:
    return ingest(list(paths), corpus=corpus, client=client, chunking=SMALL, **options)


def test_first_run_creates_corpus_documents_and_provenance(
    client: ragkit.Client, corpus: str, docs: Path
) -> None:
    write(
        docs,
        {
            "guide.md": "---\ntitle: The Guide\ntags: [setup, linux]\n---\n# Install\n\n"
            "Run the installer.\n\n## Linux\n\nUse apt.\n",
            "notes/today.txt": "Plain notes.\n",
        },
    )
    report = _run(client, corpus, docs)
    assert (report.documents_added, report.failed, report.skipped) == (2, [], [])
    assert report.corpus_created
    assert client.corpora.get(corpus).display_name == corpus.removeprefix("corpora/")
    state = snapshot(client, corpus)
    guide = state[document_id("guide.md")]
    assert guide["display_name"] == "The Guide"
    meta = guide["metadata"]
    assert meta["source"] == "guide.md" and meta["title"] == "The Guide"
    assert meta["content_hash"] == hashlib.sha256((docs / "guide.md").read_bytes()).hexdigest()
    assert meta["tags"] == ["setup", "linux"]
    (text, chunk_meta), *_ = guide["chunks"].values()
    assert chunk_meta["source"] == "guide.md" and chunk_meta["position"] == 0.0
    assert chunk_meta["section"] == "Install"
    expected = chunk_id(document_id("guide.md"), text, chunk_metadata(
        source="guide.md", title="The Guide", position=0, heading_path=("Install",)
    ))  # fmt: skip
    assert expected in guide["chunks"]
    assert report.chunks_created == sum(len(d["chunks"]) for d in state.values())
    assert json.loads(report.to_json())["documents_added"] == 2


def test_unchanged_rerun_sends_no_mutation(
    client: ragkit.Client, recorder: Recorder, corpus: str, docs: Path
) -> None:
    write(docs, {"a.md": paragraphs("alpha", 6), "b.txt": paragraphs("beta", 2)})
    _run(client, corpus, docs)
    before = snapshot(client, corpus)
    recorder.clear()
    report = _run(client, corpus, docs)
    assert recorder.mutations() == []
    assert (report.documents_unchanged, report.chunks_created, report.batches) == (2, 0, 0)
    assert snapshot(client, corpus) == before


def test_changed_file_keeps_unchanged_chunks_and_creates_before_deleting(
    client: ragkit.Client, recorder: Recorder, corpus: str, docs: Path
) -> None:
    write(docs, {"a.md": paragraphs("alpha", 8)})
    _run(client, corpus, docs)
    old = snapshot(client, corpus)[document_id("a.md")]["chunks"]
    write(docs, {"a.md": paragraphs("alpha", 7) + "\n\nA brand new closing paragraph."})
    recorder.clear()
    report = _run(client, corpus, docs)
    new = snapshot(client, corpus)[document_id("a.md")]["chunks"]
    assert report.documents_updated == 1
    assert 0 < report.chunks_created < len(new)
    assert report.chunks_deleted == len(set(old) - set(new)) > 0
    assert set(old) & set(new), "unchanged chunks are kept"
    assert any("A brand new closing" in text for text, _ in new.values())
    creates = recorder.index("POST", ":batchCreate")
    deletes = recorder.index("POST", ":batchDelete")
    marker = [i for i, (m, _) in enumerate(recorder.requests) if m == "PATCH"]
    assert max(creates) < min(deletes) < marker[-1]


def test_moved_file_is_recreated_then_the_old_document_deleted(
    client: ragkit.Client, recorder: Recorder, corpus: str, docs: Path
) -> None:
    write(docs, {"old/place.md": paragraphs("moving", 3), "stay.txt": "stays"})
    _run(client, corpus, docs)
    (docs / "new").mkdir()
    (docs / "old/place.md").rename(docs / "new/place.md")
    recorder.clear()
    report = _run(client, corpus, docs)  # no delete=True: a move still removes the old copy
    assert (report.documents_moved, report.documents_added, report.documents_deleted) == (1, 0, 0)
    state = snapshot(client, corpus)
    assert set(state) == {document_id("new/place.md"), document_id("stay.txt")}
    assert state[document_id("new/place.md")]["metadata"]["source"] == "new/place.md"
    old_name = f"{corpus}/documents/{document_id('old/place.md')}"
    deleted = recorder.index("DELETE", old_name)
    completed = [i for i, (m, p) in enumerate(recorder.requests) if m == "PATCH"]
    assert deleted and completed[-1] < deleted[0]


def test_copy_whose_original_still_exists_is_not_a_move(
    client: ragkit.Client, corpus: str, docs: Path, tmp_path: Path
) -> None:
    write(docs, {"a.md": "same text", "b.md": "other"})
    _run(client, corpus, docs / "a.md", docs / "b.md")
    write(docs, {"c.md": "same text"})
    report = _run(client, corpus, docs / "b.md", docs / "c.md")  # a.md left out, not gone
    assert (report.documents_moved, report.documents_added) == (0, 1)
    assert document_id("a.md") in snapshot(client, corpus)


def test_delete_removes_documents_of_vanished_files_only(
    client: ragkit.Client, corpus: str, docs: Path
) -> None:
    write(docs, {"keep.md": "keep me", "drop.md": "drop me"})
    _run(client, corpus, docs)
    client.corpora.documents.create(corpus, name="handmade", display_name="not ingested")
    (docs / "drop.md").unlink()
    without = _run(client, corpus, docs)
    assert without.documents_deleted == 0 and document_id("drop.md") in snapshot(client, corpus)
    report = _run(client, corpus, docs, delete=True)
    assert (report.documents_deleted, report.documents_unchanged) == (1, 1)
    assert set(snapshot(client, corpus)) == {document_id("keep.md"), "handmade"}


def test_sub_folders_under_one_root_share_ids_and_delete_never_crosses_over(
    client: ragkit.Client, corpus: str, docs: Path
) -> None:
    write(docs, {"a/one.md": "one", "a/two.md": "two", "b/three.md": "three", "b/four.md": "4"})
    for folder in ("a", "b"):
        assert _run(client, corpus, docs / folder, root=docs).documents_added == 2
    whole = {document_id(s) for s in ("a/one.md", "a/two.md", "b/three.md", "b/four.md")}
    assert set(snapshot(client, corpus)) == whole
    assert _run(client, corpus, docs).documents_unchanged == 4  # one run over docs agrees

    (docs / "a/two.md").unlink()
    (docs / "b/four.md").unlink()  # gone too, but b is not synced below
    report = _run(client, corpus, docs / "a", root=docs, delete=True)
    assert (report.documents_deleted, report.documents_unchanged) == (1, 1)
    assert set(snapshot(client, corpus)) == whole - {document_id("a/two.md")}
    write(docs, {"b/three.md": "three, edited"})
    report = _run(client, corpus, docs / "b" / "three.md", root=docs, delete=True)
    assert (report.documents_updated, report.documents_deleted) == (1, 0)  # a file's scope
    assert _run(client, corpus, docs / "b", root=docs, delete=True).documents_deleted == 1


def test_dry_run_sends_nothing_and_prints_the_plan(
    client: ragkit.Client, recorder: Recorder, corpus: str, docs: Path
) -> None:
    write(docs, {"big.md": paragraphs("big", 120), "small.txt": "small", "pic.png": b"\x89PNG"})
    report = _run(client, corpus, docs, dry_run=True)
    assert recorder.mutations() == []
    assert report.corpus_created and report.dry_run
    assert report.documents_added == 2
    plan = {Path(entry.path).name: entry for entry in report.plan}
    big = plan["big.md"]
    assert big.action == "add" and big.chunks == big.chunks_to_create > MAX_CHUNKS_PER_BATCH
    assert big.batches == -(-big.chunks // MAX_CHUNKS_PER_BATCH)
    assert report.batches == big.batches + 1
    assert [Path(s.path).name for s in report.skipped] == ["pic.png"]
    assert "plan" in json.loads(report.to_json())
    with pytest.raises(ragkit.PermissionDeniedError):
        client.corpora.get(corpus)
    # The dry run's counts are what the real run then does.
    real = _run(client, corpus, docs)
    assert (real.chunks_created, real.batches) == (report.chunks_created, report.batches)


def test_dry_run_on_a_changed_corpus_counts_creates_and_deletes(
    client: ragkit.Client, recorder: Recorder, corpus: str, docs: Path
) -> None:
    write(docs, {"a.md": paragraphs("alpha", 8)})
    _run(client, corpus, docs)
    write(docs, {"a.md": paragraphs("alpha", 4)})
    recorder.clear()
    plan = _run(client, corpus, docs, dry_run=True)
    assert recorder.mutations() == []
    real = _run(client, corpus, docs)
    assert plan.documents_updated == real.documents_updated == 1
    assert (plan.chunks_created, plan.chunks_deleted) == (real.chunks_created, real.chunks_deleted)
    assert plan.chunks_deleted > 0


def test_bad_pdfs_fail_with_reasons_and_the_run_goes_on(
    client: ragkit.Client, corpus: str, docs: Path, make_pdf: Callable[..., bytes]
) -> None:
    write(
        docs,
        {
            "good.pdf": make_pdf(["Page one text.", "Page two text."]),
            "locked.pdf": make_pdf(["secret"], user_password="hunter2"),
            "broken.pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage",
            "scan.pdf": make_pdf(["", ""]),
            "fine.txt": "fine",
        },
    )
    report = _run(client, corpus, docs)
    reasons = {Path(f.path).name: f.reason for f in report.failed}
    assert set(reasons) == {"locked.pdf", "broken.pdf", "scan.pdf"}
    assert "encrypted" in reasons["locked.pdf"]
    assert reasons["broken.pdf"].startswith("corrupt or unreadable PDF")
    assert report.documents_added == 2
    pages = [
        meta for _, meta in snapshot(client, corpus)[document_id("good.pdf")]["chunks"].values()
    ]
    assert {(m["page_start"], m["page_end"]) for m in pages} <= {(1.0, 1.0), (1.0, 2.0), (2.0, 2.0)}
    assert document_id("locked.pdf") not in snapshot(client, corpus)


def test_large_document_uploads_in_full_batches(
    client: ragkit.Client, recorder: Recorder, corpus: str, docs: Path
) -> None:
    write(docs, {"big.md": paragraphs("huge", 140, words=20)})
    report = _run(client, corpus, docs, concurrency=3)
    chunks = snapshot(client, corpus)[document_id("big.md")]["chunks"]
    assert report.chunks_created == len(chunks) > 2 * MAX_CHUNKS_PER_BATCH
    expected = -(-len(chunks) // MAX_CHUNKS_PER_BATCH)
    assert report.batches == len(recorder.index("POST", ":batchCreate")) == expected
    positions = sorted(int(meta["position"]) for _, meta in chunks.values())
    assert positions == list(range(len(chunks)))


def test_metadata_budget_and_limits_are_enforced_before_sending(
    client: ragkit.Client, corpus: str, docs: Path
) -> None:
    keys = "\n".join(f"k{i}: v{i}" for i in range(25))
    many = ", ".join(f"t{i}" for i in range(12))
    write(docs, {"meta.md": f"---\ntitle: {'T' * 600}\n{keys}\ntags: [{many}]\n---\nbody text\n"})
    report = _run(client, corpus, docs, metadata={"team": "docs"})
    assert report.failed == []
    meta = snapshot(client, corpus)[document_id("meta.md")]
    assert len(meta["metadata"]) == MAX_CUSTOM_METADATA
    assert meta["metadata"]["team"] == "docs" and "tags" not in meta["metadata"]
    assert len(meta["display_name"]) == 512
    notes = " | ".join(w.reason for w in report.warnings)
    assert "MAX_CUSTOM_METADATA" in notes and "MAX_STRING_LIST_VALUES" in notes
    assert "MAX_DISPLAY_NAME_LENGTH" in notes


def test_invalid_options_raise_before_anything_is_sent(
    client: ragkit.Client, recorder: Recorder, docs: Path
) -> None:
    write(docs, {"a.md": "a"})
    with pytest.raises(ragkit.ResourceNameError):
        _run(client, "corpora/Bad_Name", docs)
    with pytest.raises(ragkit.LimitError, match="reserved"):
        _run(client, new_corpus(), docs, metadata={"source": "x"})
    with pytest.raises(ValueError, match="no such file"):
        _run(client, new_corpus(), docs / "missing")
    assert recorder.requests == []


def test_chunking_change_rebuilds_every_document(
    client: ragkit.Client, corpus: str, docs: Path
) -> None:
    write(docs, {"a.md": paragraphs("alpha", 6)})
    _run(client, corpus, docs)
    report = ingest([docs], corpus=corpus, client=client, chunking=ChunkingConfig(128, 0))
    assert report.documents_updated == 1 and report.chunks_deleted > 0
    assert (
        ingest([docs], corpus=corpus, client=client, chunking=ChunkingConfig(128, 0)).batches == 0
    )


def test_progress_reports_files_and_chunks(client: ragkit.Client, corpus: str, docs: Path) -> None:
    write(docs, {f"f{i}.md": paragraphs(f"p{i}", 3) for i in range(5)})
    updates: list[ProgressUpdate] = []
    report = _run(client, corpus, docs, progress=updates.append)
    last = updates[-1]
    assert (last.files_done, last.files_total) == (5, 5)
    assert last.chunks_done == last.chunks_total == report.chunks_created


class _LoseFirstBatchResponse(httpx.BaseTransport):
    """Lets the first batchCreate through, then answers 503 as if the response was lost."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith(":batchCreate") and not self.lost:
            self.lost += 1
            response.read()
            return httpx.Response(503, json={"error": {"code": 503, "status": "UNAVAILABLE"}})
        return response


def test_already_exists_on_a_retried_batch_counts_as_created(
    server: EmbeddedServer, recorder: Recorder, corpus: str, docs: Path
) -> None:
    write(docs, {"a.md": paragraphs("alpha", 5)})
    transport = _LoseFirstBatchResponse(RecordingTransport(recorder))
    with ragkit.Client(base_url=server.base_url, api_key="k", transport=transport) as client:
        client._sleep = lambda _seconds: None
        report = _run(client, corpus, docs)
        state = snapshot(client, corpus)
    assert transport.lost == 1 and report.failed == []
    assert len(recorder.index("POST", ":batchCreate")) >= 2  # the retry saw ALREADY_EXISTS
    assert report.chunks_created == len(state[document_id("a.md")]["chunks"])
    assert state[document_id("a.md")]["metadata"].get("content_hash")


class _DieAfter(httpx.BaseTransport):
    """Forwards ``budget`` requests, then fails like a dead network (a fatal error)."""

    def __init__(self, inner: httpx.BaseTransport, budget: int) -> None:
        self.inner, self.budget = inner, budget

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.budget <= 0:
            raise httpx.ConnectError("connection refused", request=request)
        self.budget -= 1
        return self.inner.handle_request(request)


def _interrupt_then_finish(
    server: EmbeddedServer, docs: Path, target: str, budget: int
) -> IngestReport:
    dying = ragkit.Client(
        base_url=server.base_url, api_key="k", transport=_DieAfter(httpx.HTTPTransport(), budget),
        max_retries=0,
    )  # fmt: skip
    with dying, pytest.raises(IngestError) as stopped:
        _run(dying, target, docs, concurrency=2)
    partial = stopped.value.report
    assert partial.documents_added + partial.documents_updated < 10, "it stopped half-way"
    with ragkit.Client(base_url=server.base_url, api_key="k") as client:
        return _run(client, target, docs)


def _files(version: int) -> dict[str, str]:
    return {
        f"d{i}/f{i}.md": paragraphs(f"x{i}", 2 + (i + version) % 4, words=20)
        + ("\n\nrevised" if version and i % 3 == 0 else "")
        for i in range(10)
    }


@pytest.mark.parametrize("budget", [3, 11, 30])
def test_interrupted_first_run_resumes_to_the_same_corpus(
    server: EmbeddedServer, client: ragkit.Client, docs: Path, budget: int
) -> None:
    write(docs, _files(0))
    clean, resumed = new_corpus(), new_corpus()
    _run(client, clean, docs)
    report = _interrupt_then_finish(server, docs, resumed, budget)
    done = report.documents_added + report.documents_updated + report.documents_unchanged
    assert report.failed == [] and done == 10
    assert snapshot(client, resumed) == snapshot(client, clean)
    assert _run(client, resumed, docs).documents_unchanged == 10


@pytest.mark.parametrize("budget", [5, 18])
def test_interrupted_update_resumes_to_the_same_corpus(
    server: EmbeddedServer, client: ragkit.Client, docs: Path, budget: int
) -> None:
    write(docs, _files(0))
    clean, resumed = new_corpus(), new_corpus()
    _run(client, resumed, docs)
    write(docs, _files(1))
    _run(client, clean, docs)
    report = _interrupt_then_finish(server, docs, resumed, budget)
    assert report.failed == []
    assert snapshot(client, resumed) == snapshot(client, clean)


def test_unreachable_server_is_fatal_with_a_partial_report(docs: Path) -> None:
    write(docs, {"a.md": "a"})
    with ragkit.Client(base_url="http://127.0.0.1:9", api_key="k", max_retries=0) as client:
        with pytest.raises(IngestError) as stopped:
            _run(client, new_corpus(), docs)
    assert stopped.value.report.documents_added == 0
    assert isinstance(stopped.value.__cause__, ragkit.APIConnectionError)


class _InFlight(httpx.BaseTransport):
    """Counts requests in flight (each held a few milliseconds) and keeps the peak."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.now, self.peak = inner, 0, 0
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(0.005)
            return self.inner.handle_request(request)
        finally:
            with self.lock:
                self.now -= 1


@pytest.mark.parametrize("concurrency", [1, 3])
def test_requests_in_flight_never_exceed_the_concurrency(
    server: EmbeddedServer, docs: Path, concurrency: int
) -> None:
    write(docs, {f"f{i}.md": paragraphs(f"c{i}", 2, words=20) for i in range(12)})
    transport = _InFlight(httpx.HTTPTransport())
    with ragkit.Client(base_url=server.base_url, api_key="k", transport=transport) as client:
        report = _run(client, new_corpus(), docs, concurrency=concurrency)
    assert report.documents_added == 12
    assert transport.peak == concurrency
