"""``ragkit ingest`` progress: chunks with rate and time left, a tqdm bar on terminals and
plain periodic lines elsewhere; and the total is estimated before every file is read."""

from __future__ import annotations

import io

import pytest

from ragkit.cli._progress import Progress
from ragkit.ingest.sync import ProgressUpdate


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _update(done: int, total: int, read: int = 4, to_read: int = 4) -> ProgressUpdate:
    return ProgressUpdate(
        files_done=read - 1, files_total=to_read, chunks_done=done, chunks_total=total,
        files_read=read, files_to_read=to_read,
    )  # fmt: skip


def test_the_total_is_extrapolated_until_every_file_is_read() -> None:
    assert _update(0, 100, read=1, to_read=4).chunks_expected == 400
    assert _update(0, 100, read=4, to_read=4).chunks_expected == 100
    assert _update(0, 0, read=0, to_read=4).chunks_expected == 0


def test_off_a_terminal_it_prints_plain_lines_with_rate_and_time_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAGKIT_PROGRESS_INTERVAL", "0")
    stream = io.StringIO()
    progress = Progress.for_stream(stream)
    progress.update(_update(100, 400, read=1))
    progress.update(_update(250, 400))
    progress.close()
    first, second = stream.getvalue().splitlines()
    assert first.startswith("ingest: 100/1600 chunks (6%), ")
    assert "(total estimated)" in first and "chunks/s" in first and "left" in first
    assert second.startswith("ingest: 250/400 chunks (62%), ") and "files 3/4" in second
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_lines_come_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGKIT_PROGRESS_INTERVAL", "3600")
    stream = io.StringIO()
    progress = Progress.for_stream(stream)
    for done in range(0, 400, 10):
        progress.update(_update(done, 400))
    assert len(stream.getvalue().splitlines()) == 1  # the first, then one an hour


def test_on_a_terminal_it_is_a_bar_counting_chunks_and_erased_at_the_end() -> None:
    stream = _Terminal()
    progress = Progress.for_stream(stream)
    progress.update(_update(10, 40))
    progress.update(_update(40, 40))
    drawn = stream.getvalue()
    assert "\r" in drawn and "chunk" in drawn and "files 3/4" in drawn
    assert "40/40" in drawn
    progress.close()
    assert stream.getvalue().endswith("\r") or stream.getvalue().endswith("\x1b[A")
