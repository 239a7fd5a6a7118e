"""The pure core: IDs, fingerprints, plans and prepared documents (no server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.ingest import ChunkingConfig, LoadedDocument, Section, TextChunk
from ragkit.ingest.sync import IngestReport, PlannedFile, chunk_id, document_id
from ragkit.ingest.sync.plan import (
    FINGERPRINT_KEY,
    Action,
    LocalFile,
    RemoteDocument,
    fingerprint,
    in_scope,
    plan_sync,
    prepare_document,
)
from ragkit.limits import MAX_ID_LENGTH
from ragkit.names import is_valid_id

FP = fingerprint(ChunkingConfig(), {})


@pytest.mark.parametrize(
    "source",
    ["a.md", "Guides/Install on Linux.md", "x" * 200 + "/readme.md", "///", "Ünïcode/文档.md", "-"],
)
def test_document_ids_are_valid_stable_and_distinct(source: str) -> None:
    made = document_id(source)
    assert is_valid_id(made) and len(made) <= MAX_ID_LENGTH
    assert made == document_id(source)
    assert made != document_id(source + "x")


def test_document_ids_keep_the_file_name_of_long_paths() -> None:
    assert document_id("very/" * 20 + "install.md").startswith("very-very") is False
    assert "install-md" in document_id("very/" * 20 + "install.md")
    assert document_id("a/b.md") != document_id("a-b.md")


def test_chunk_ids_change_with_text_metadata_and_document() -> None:
    base = chunk_id("doc", "text", {"position": 0.0})
    assert is_valid_id(base)
    assert base == chunk_id("doc", "text", {"position": 0.0})
    others = {
        chunk_id("doc", "text!", {"position": 0.0}),
        chunk_id("doc", "text", {"position": 1.0}),
        chunk_id("doc2", "text", {"position": 0.0}),
    }
    assert base not in others and len(others) == 3


def test_fingerprint_follows_chunking_and_metadata() -> None:
    assert fingerprint(ChunkingConfig(), {}) == FP
    assert fingerprint(ChunkingConfig(chunk_tokens=300), {}) != FP
    assert fingerprint(ChunkingConfig(), {"team": "a"}) != FP
    assert fingerprint(ChunkingConfig(context=False), {}) != FP


def test_chunks_are_sent_with_their_context_line() -> None:
    chunk = TextChunk(
        "Body text.", 0, 9, ("Guide", "Install"), None, None, 0, 10, "Guide > Install"
    )
    doc = prepare_document(
        _loaded("Body text.", {}), [chunk], source="g.md", document_id="g", fingerprint=FP
    )
    assert doc.chunks[0].text == "Guide > Install\n\nBody text."
    assert doc.chunks[0].token_count == 9


def _file(source: str, digest: str = "h1") -> LocalFile:
    return LocalFile(source, source, document_id(source), digest)


def _remote(source: str, digest: str | None = "h1", fp: str = FP) -> RemoteDocument:
    meta: dict[str, str | float | list[str]] = {"source": source, FINGERPRINT_KEY: fp}
    if digest:
        meta["content_hash"] = digest
    return RemoteDocument(document_id(source), meta)


def test_plan_classifies_each_file() -> None:
    files = [_file("new.md"), _file("same.md"), _file("edited.md", "h2"), _file("half.md")]
    remote = [
        _remote("same.md"),
        _remote("edited.md"),
        _remote("half.md", digest=None),
        _remote("gone.md", "zz"),
    ]
    plan = plan_sync(files, remote, fingerprint=FP, delete=False, source_exists=lambda s: False)
    actions = [entry.action for entry in plan.entries]
    assert actions == [Action.ADD, Action.UNCHANGED, Action.UPDATE, Action.UPDATE]
    assert plan.deletions == []
    with_delete = plan_sync(files, remote, fingerprint=FP, delete=True, source_exists=bool)
    assert [d.source for d in with_delete.deletions] == ["gone.md"]


def test_plan_sees_a_new_fingerprint_as_a_change() -> None:
    plan = plan_sync(
        [_file("a.md")], [_remote("a.md", fp="v1-old")], fingerprint=FP, delete=False,
        source_exists=bool,
    )  # fmt: skip
    assert plan.entries[0].action is Action.UPDATE


def test_plan_recognises_moves_by_hash_when_the_old_file_is_gone() -> None:
    remote = [_remote("old/a.md", "hA"), _remote("kept/b.md", "hB"), _remote("half.md", None)]
    files = [_file("new/a.md", "hA"), _file("copy/b.md", "hB"), _file("x.md", "hX")]
    gone = {"old/a.md", "half.md"}
    plan = plan_sync(
        files, remote, fingerprint=FP, delete=True, source_exists=lambda s: s not in gone
    )
    moved, copied, _ = plan.entries
    assert moved.action is Action.MOVE and moved.moved_from == remote[0]
    assert copied.action is Action.ADD and copied.moved_from is None
    # The old document is deleted as a move source, never twice.
    assert [d.source for d in plan.deletions] == ["kept/b.md", "half.md"]


def test_plan_finishes_a_move_that_was_interrupted_after_the_new_document() -> None:
    remote = [_remote("old.md", "h"), _remote("new.md", "h")]
    plan = plan_sync(
        [_file("new.md", "h")], remote, fingerprint=FP, delete=False,
        source_exists=lambda s: s != "old.md",
    )  # fmt: skip
    (entry,) = plan.entries
    assert entry.action is Action.UNCHANGED and entry.moved_from == remote[0]


def test_delete_stays_within_the_scope_of_the_run() -> None:
    remote = [_remote(source, source) for source in ("a/gone.md", "ab/x.md", "b/y.md", "top.md")]
    files = [_file("a/kept.md", "new")]

    def deleted(scope: tuple[str, ...]) -> list[str | None]:
        plan = plan_sync(
            files, remote, fingerprint=FP, delete=True, source_exists=bool, scope=scope
        )
        return [d.source for d in plan.deletions]

    assert deleted(("a",)) == ["a/gone.md"]  # "ab/" is a sibling, not a sub-folder of "a"
    assert deleted(("a", "top.md")) == ["a/gone.md", "top.md"]
    assert deleted(("",)) == ["a/gone.md", "ab/x.md", "b/y.md", "top.md"]
    assert (in_scope("a", ["a"]), in_scope("a/b/c.md", ["a/b"]), in_scope("a.md", ["a"])) == (
        True, True, False
    )  # fmt: skip


def test_plan_leaves_unmanaged_documents_alone() -> None:
    handmade = RemoteDocument("handmade", {"author": "me"})
    plan = plan_sync([], [handmade], fingerprint=FP, delete=True, source_exists=bool)
    assert plan.deletions == []


def _loaded(text: str, metadata: dict[str, str | float | list[str]]) -> LoadedDocument:
    return LoadedDocument(
        path=Path("m.md"),
        title="Title",
        text=text,
        sections=[Section(text, ("H",), None, None, 0)],
        metadata=metadata,
        content_hash="c" * 64,
        mime_type="text/markdown",
    )


def _chunk(text: str, index: int, tokens: int = 5) -> TextChunk:
    return TextChunk(text, index, tokens, ("H",), 3, 4, 0, len(text))


def test_prepared_document_orders_metadata_and_builds_chunks() -> None:
    doc = prepare_document(
        _loaded("one two", {"title": "ignored", "lang": "en"}),
        [_chunk("one", 0), _chunk("two", 1)],
        source="m.md",
        document_id="m",
        fingerprint=FP,
        metadata={"team": "docs"},
    )
    keys = ["source", "title", "content_hash", FINGERPRINT_KEY, "team", "lang"]
    assert list(doc.metadata) == keys
    assert "content_hash" not in doc.pending_metadata
    first = doc.chunks[0]
    assert first.metadata == {
        "source": "m.md", "title": "Title", "position": 0.0, "section": "H",
        "page_start": 3.0, "page_end": 4.0,
    }  # fmt: skip
    assert first.chunk_id == chunk_id("m", "one", first.metadata)
    assert doc.problems == () and doc.warnings == ()


def test_prepared_document_reports_what_breaks_a_limit() -> None:
    doc = prepare_document(
        _loaded("x", {"bad": [1, 2]} | {"many": [str(i) for i in range(11)]}),  # type: ignore[dict-item]
        [_chunk("x", 0, tokens=1900), _chunk("   ", 1)],
        source="m.md",
        document_id="m",
        fingerprint=FP,
    )
    assert any("1900 tokens" in p for p in doc.problems)
    assert any("blank" in p for p in doc.problems)
    assert any("'bad'" in w for w in doc.warnings) and any("'many'" in w for w in doc.warnings)
    empty = prepare_document(_loaded("x", {}), [], source="m", document_id="m", fingerprint=FP)
    assert empty.problems == ("no text to index",)


def test_report_json_is_one_line_with_the_documented_keys() -> None:
    report = IngestReport(corpus="corpora/c", documents_added=2, chunks_created=7)
    line = report.to_json()
    assert "\n" not in line
    data = json.loads(line)
    for key in (
        "documents_added", "documents_updated", "documents_unchanged", "documents_deleted",
        "chunks_created", "chunks_deleted", "failed",
    ):  # fmt: skip
        assert key in data
    assert "plan" not in data and (data["documents_added"], data["chunks_created"]) == (2, 7)
    dry = IngestReport(corpus="corpora/c", dry_run=True, plan=[PlannedFile("a", "d", "add")])
    assert json.loads(dry.to_json())["plan"][0]["action"] == "add"
    assert "dry run" in dry.summary()
