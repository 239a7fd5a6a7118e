"""``ragkit reindex`` and the refusal of another embedder by every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.cli import main
from ragkit.server.models.embedding import load_embedder
from ragkit.server.principal import LOCAL_USER
from ragkit.server.service import RetrieverService
from ragkit.server.service.reindex import stored_embedder
from ragkit.types import (
    BatchCreateChunksRequest,
    Chunk,
    ChunkData,
    Corpus,
    CreateChunkRequest,
    Document,
)

TEXTS = ["Green tea is brewed at eighty degrees.", "Black tea wants boiling water."]


@pytest.fixture(autouse=True)
def _no_ambient_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RAGKIT_BASE_URL", "RAGKIT_DATA_DIR", "RAGKIT_EMBEDDER"):
        monkeypatch.delenv(name, raising=False)


def _folder(data_dir: Path) -> None:
    service = RetrieverService.open(data_dir, embedder=load_embedder("hash"))
    try:
        service.create_corpus(LOCAL_USER, Corpus(name="corpora/tea"))
        document = service.create_document(LOCAL_USER, "corpora/tea", Document(display_name="T"))
        items = [CreateChunkRequest(chunk=Chunk(data=ChunkData(string_value=t))) for t in TEXTS]
        service.batch_create_chunks(
            LOCAL_USER, document.name or "", BatchCreateChunksRequest(requests=items)
        )
    finally:
        service.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_another_embedder_is_refused_until_reindexed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    _folder(data)
    new = ("--data-dir", str(data), "--embedder", "hash:32")
    code, out, err = run(capsys, "query", "corpora/tea", "green tea", *new)
    assert code == 1 and out == ""
    assert "hash (384 dimensions)" in err and "hash (32 dimensions)" in err
    assert "ragkit reindex" in err
    assert stored_embedder(data) == "hash:384"

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--data-dir", str(data), "--embedder", "hash:32", "--port", "9"])
    assert exited.value.code == 2
    assert "hash (384 dimensions)" in capsys.readouterr().err

    code, out, err = run(capsys, "reindex", *new)
    assert code == 0, err
    assert "from hash (384 dimensions) to hash (32 dimensions)" in err
    assert "re-embedded 2/2 chunks with hash (32 dimensions): done" in err
    assert stored_embedder(data) == "hash:32"

    code, out, err = run(capsys, "query", "corpora/tea", "green tea", "--json", *new)
    assert code == 0, err
    assert "eighty degrees" in out
    code, out, _ = run(capsys, "reindex", *new)
    assert code == 0 and "already embedded with hash (32 dimensions)" in out


def test_reindex_needs_a_data_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "reindex", "--data-dir", str(tmp_path / "none"))
    assert code == 1 and "holds no ragkit data" in err
    assert not (tmp_path / "none").exists()


def test_reindex_waits_for_no_server_and_an_empty_folder_takes_any_embedder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    _folder(data)
    serving = RetrieverService.open(data, embedder=load_embedder("hash"))
    try:
        code, _, err = run(capsys, "reindex", "--data-dir", str(data), "--embedder", "hash:32")
        assert code == 1 and "in use by a ragkit server" in err
        assert stored_embedder(data) == "hash:384"
    finally:
        serving.close()
    empty = tmp_path / "empty"
    RetrieverService.open(empty, embedder=load_embedder("hash")).close()
    RetrieverService.open(empty, embedder=load_embedder("hash:32")).close()  # nothing to lose
    code, _, err = run(capsys, "corpora", "list", "--data-dir", str(empty), "--embedder", "hash")
    assert code == 0, err
