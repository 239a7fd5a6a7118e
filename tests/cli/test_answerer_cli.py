"""``--answerer`` on ask/chat, and chat's line history."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ragkit.cli import chat, main


@pytest.fixture(autouse=True)
def _no_ambient_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RAGKIT_BASE_URL", "RAGKIT_DATA_DIR", "RAGKIT_EMBEDDER", "RAGKIT_UPSTREAM_KEY"):
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_answerer_flags_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    remote = ("--corpus", "kb", "--base-url", "http://127.0.0.1:9")
    code, _, err = run(capsys, "ask", "q", *remote, "--answerer", "openai:http://x/v1",
                       "--answerer-model", "m")  # fmt: skip
    assert code == 1 and "ragkit serve --answerer" in err
    code, _, err = run(capsys, "ask", "q", "--corpus", "kb", "--answerer-model", "m")
    assert code == 1 and "need --answerer" in err
    code, _, err = run(capsys, "ask", "q", "--corpus", "kb", "--answerer", "openai:http://x/v1")
    assert code == 1 and "--answerer-model" in err


def test_ask_answers_locally_when_the_answer_model_is_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    docs = tmp_path / "notes"
    docs.mkdir()
    (docs / "tea.md").write_text(
        "# Tea\n\nGreen tea is brewed at eighty degrees for two minutes.\n", encoding="utf-8"
    )
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    code, out, err = run(
        capsys, "ask", "At what temperature is green tea brewed?", "--docs", str(docs),
        "--data-dir", str(tmp_path / "data"), "--embedder", "hash",
        "--answerer", f"openai:http://127.0.0.1:{port}/v1", "--answerer-model", "m",
        "--answerer-timeout", "5",
    )  # fmt: skip
    assert code == 0, err
    assert "eighty degrees" in out
    assert any("answered locally" in r.getMessage() for r in caplog.records)


def test_chat_history_file_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(chat.HISTORY_ENV_VAR, "")
    assert chat.history_file() is None
    path = tmp_path / "history"
    monkeypatch.setenv(chat.HISTORY_ENV_VAR, str(path))
    assert chat.history_file() == path
    readline = pytest.importorskip("readline")
    readline.clear_history()
    save = chat.line_editing()
    assert save is not None
    readline.add_history("What does functools.lru_cache do?")
    save()
    readline.clear_history()
    chat.line_editing()
    assert readline.get_history_item(1) == "What does functools.lru_cache do?"


@pytest.mark.parametrize("reranker", ["none", "e5"])
def test_ask_takes_the_reranker_flag_on_the_embedded_default(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    reranker: str,
) -> None:
    from ragkit.server.models.reranker import e5_problem

    if reranker == "e5" and e5_problem() is not None:
        pytest.skip(f"e5 cannot run here: {e5_problem()}")
    docs = tmp_path / "notes"
    docs.mkdir()
    (docs / "tea.md").write_text(
        "# Tea\n\nGreen tea is brewed at eighty degrees for two minutes.\n\n"
        "# Coffee\n\nEspresso is brewed at ninety-three degrees.\n",
        encoding="utf-8",
    )
    caplog.set_level("INFO", logger="ragkit.server")
    code, out, err = run(
        capsys, "ask", "At what temperature is green tea brewed?", "--docs", str(docs),
        "--data-dir", str(tmp_path / "data"), "--embedder", "hash", "--reranker", reranker,
    )  # fmt: skip
    assert code == 0, err
    assert "eighty degrees" in out
    second_opinion = any("second opinion: e5" in r.getMessage() for r in caplog.records)
    assert second_opinion == (reranker == "e5")
