"""The embedded default's data folder is found the same way from any directory, and a
read-only command that finds nothing says so plainly and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.cli import main
from ragkit.rag.local import find_data_dir
from tests.cli.conftest import NewUser


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_folder_is_the_argument_else_the_environment_else_legacy_else_per_user(
    new_user: NewUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_data_dir() == find_data_dir(None)
    assert (find_data_dir().path, find_data_dir().origin) == (new_user.data, "user")
    (new_user.cwd / ".ragkit").mkdir()
    assert (find_data_dir().path, find_data_dir().origin) == (new_user.cwd / ".ragkit", "legacy")
    monkeypatch.setenv("RAGKIT_DATA_DIR", "~/elsewhere")
    assert find_data_dir().path == Path("~/elsewhere").expanduser()
    assert find_data_dir().origin == "environment"
    assert find_data_dir("d").path == new_user.cwd / "d"


def test_a_read_only_command_on_a_new_machine_names_corpus_and_folder_and_creates_nothing(
    new_user: NewUser, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "ask", "What is WAL?", "--corpus", "corpora/small")
    assert (code, out) == (1, "")
    assert err.startswith(
        f"ragkit ask: error: no corpus corpora/small in data folder {new_user.data}"
    )
    assert "ragkit ingest" in err and err.count("\n") == 1
    for argv in (["corpora", "list"], ["query", "small", "x"], ["documents", "list", "small"]):
        code, _, err = _run(capsys, *argv)
        assert code == 1 and str(new_user.data) in err
    assert not new_user.data.exists() and not (new_user.cwd / ".ragkit").exists()
    assert list(new_user.cwd.iterdir()) == []


def test_ingest_then_ask_from_another_directory_finds_the_same_folder(
    new_user: NewUser,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = new_user.cwd / "docs"
    docs.mkdir()
    (docs / "wal.md").write_text("# WAL\n\nIn WAL mode readers do not block writers.\n")
    code, out, _ = _run(capsys, "ingest", str(docs), "--corpus", "corpora/small", "-q")
    assert code == 0 and "1 added" in out
    assert new_user.data.is_dir() and not (new_user.cwd / ".ragkit").exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, _ = _run(capsys, "query", "corpora/small", "readers writers", "--json")
    assert code == 0 and "wal.md" in out
    code, _, err = _run(capsys, "ask", "x?", "--corpus", "corpora/other")
    assert code == 1
    assert err == f"ragkit ask: error: no corpus corpora/other in data folder {new_user.data}\n"
    assert list(elsewhere.iterdir()) == []


def test_an_existing_dot_ragkit_in_the_current_folder_is_used_and_said(
    new_user: NewUser, capsys: pytest.CaptureFixture[str]
) -> None:
    (new_user.cwd / ".ragkit").mkdir()  # where earlier versions always kept the data
    code, _, err = _run(capsys, "corpora", "create", "--name", "old")
    assert code == 0
    assert f"using the data folder {new_user.cwd / '.ragkit'} found in the current folder" in err
    assert str(new_user.data) in err  # where it would go otherwise
    code, out, err = _run(capsys, "corpora", "list", "-q")
    assert "corpora/old" in out and err == ""
    assert not new_user.data.exists()


def test_a_missing_document_or_chunk_is_named_with_the_folder() -> None:
    from ragkit.cli._connect import _missing
    from ragkit.rag.local import DataDir

    folder = DataDir(Path("/data"), "user")
    message = "Permission denied on resource corpora/a/documents/b (or it may not exist)."
    assert _missing(message, folder) == "no document corpora/a/documents/b in data folder /data"
    assert _missing("corpora/a/documents/b/chunks/c", folder) == (
        "no chunk corpora/a/documents/b/chunks/c in data folder /data"
    )
    assert _missing("Unknown", folder) is None
