from __future__ import annotations

from pathlib import Path

import pytest

from ragkit._exceptions import RagkitError
from ragkit.ingest import (
    FileReadError,
    LoadedDocument,
    LoadError,
    UnsupportedFileTypeError,
    content_hash,
    load,
    register_loader,
    supported_extensions,
)
from ragkit.ingest.loaders import loader_for


def test_supported_extensions() -> None:
    assert supported_extensions() == [".htm", ".html", ".markdown", ".md", ".pdf", ".text", ".txt"]


@pytest.mark.parametrize("name", ["photo.png", "archive.tar.gz", "Makefile", "notes.docx"])
def test_unsupported_type_is_a_load_error_raised_before_reading(name: str) -> None:
    with pytest.raises(UnsupportedFileTypeError) as caught:
        load(Path("/does/not/exist") / name)
    assert caught.value.reason.startswith("unsupported file type")
    assert isinstance(caught.value, LoadError)
    assert isinstance(caught.value, RagkitError)


def test_extension_match_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "README.MD"
    path.write_text("# Hello\n\nworld", encoding="utf-8")
    doc = load(str(path))
    assert doc.title == "Hello"
    assert doc.path == path


def test_missing_file_is_a_read_error(tmp_path: Path) -> None:
    with pytest.raises(FileReadError, match="cannot read file"):
        load(tmp_path / "gone.txt")


def test_a_failing_file_does_not_stop_a_batch(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("fine")
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "bad.pdf").write_bytes(b"nonsense")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    loaded, failed = [], {}
    for path in sorted(tmp_path.iterdir()):
        try:
            loaded.append(load(path).title)
        except LoadError as exc:
            failed[exc.path.name] = type(exc).__name__
    assert loaded == ["ok"]
    assert failed == {
        "bad.pdf": "CorruptPDFError",
        "empty.md": "EmptyFileError",
        "image.png": "UnsupportedFileTypeError",
    }


def test_register_custom_loader() -> None:
    def load_csv(path: Path, data: bytes) -> LoadedDocument:
        text = data.decode().replace(",", " ")
        return LoadedDocument(path, path.stem, text, [], {}, content_hash(data), "text/csv")

    register_loader(["CSV"], load_csv)
    try:
        assert loader_for("x.csv") is load_csv
        assert load("table.csv", b"a,b").text == "a b"
    finally:
        from ragkit.ingest.loaders import base

        del base._REGISTRY[".csv"]
    assert loader_for("x.csv") is None
