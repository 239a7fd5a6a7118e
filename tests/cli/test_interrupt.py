"""Ctrl-C during ``ragkit ingest``, with a real process and SIGINT: acknowledged at once,
stopped within seconds with exit status 130; a second Ctrl-C stops at once, and so does a
stop that outlasts its grace period."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

#: Seconds the acknowledgement may take on a loaded CI machine ("at once").
ACK_WITHIN = 2.0
#: Seconds the whole stop may take (the batches in flight finish first).
STOP_WITHIN = 15.0


def _write_docs(folder: Path, files: int = 80) -> None:
    folder.mkdir()
    for i in range(files):
        text = " ".join(f"Sentence {j} of file {i} is about topic {j % 7}." for j in range(100))
        (folder / f"f{i:03}.md").write_text(text)


class _Run:
    """``ragkit ingest`` in a subprocess, its stderr lines collected with their arrival time."""

    def __init__(self, docs: Path, data: Path) -> None:
        env = {**os.environ, "RAGKIT_EMBEDDER": "hash", "RAGKIT_PROGRESS_INTERVAL": "0"}
        env.pop("RAGKIT_BASE_URL", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ragkit", "ingest", str(docs), "--corpus", "corpora/big",
             "--data-dir", str(data), "--concurrency", "1", "--chunk-tokens", "64"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.seen: list[str] = []
        assert self.process.stderr is not None
        threading.Thread(target=self._read, args=(self.process.stderr,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.lines.put((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, predicate: object, timeout: float) -> float:
        """Seconds until a stderr line satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                at, line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.process.kill()
                raise AssertionError(f"no such line within {timeout} s; saw {self.seen}") from None
            self.seen.append(line)
            if predicate(line):  # type: ignore[operator]
                return at

    def uploading(self) -> None:
        """Wait until chunks are landing (a progress line with more than 0 done)."""
        self.wait_for(lambda line: line.startswith("ingest: ") and not line.startswith(
            "ingest: 0"), timeout=120)  # fmt: skip
        assert self.process.poll() is None, "the run finished before it could be interrupted"


@pytest.mark.slow
def test_ctrl_c_stops_ingest_after_the_current_batch(tmp_path: Path) -> None:
    docs, data = tmp_path / "docs", tmp_path / "data"
    _write_docs(docs)
    run = _Run(docs, data)
    run.uploading()
    sent = time.monotonic()
    run.process.send_signal(signal.SIGINT)
    acknowledged = run.wait_for(lambda line: "stopping after the current batch" in line, 30)
    assert acknowledged - sent < ACK_WITHIN
    run.process.wait(timeout=STOP_WITHIN)
    assert run.process.returncode == 130
    stopped = run.wait_for(lambda line: line.startswith("ragkit ingest: stopped "), 5)
    assert stopped - sent < STOP_WITHIN
    # "stopped with N of ~M chunks uploaded", or if the batch in flight took too long on a busy
    # machine, "stopped without waiting longer for the requests in flight".
    assert "run the same command again to resume" in run.seen[-1]
    assert not any("Traceback" in line for line in run.seen)


#: A command whose stop never finishes: the batch in flight takes far too long.
SLOW_STOP = """
import os, signal, sys, time
from ragkit.cli._interrupt import Interrupted, stop_on_interrupt
with stop_on_interrupt("ragkit test", "stopping after the current batch", grace={grace}):
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
    except Interrupted:
        print("winding down", file=sys.stderr, flush=True)
        time.sleep(30)
"""


def test_a_second_ctrl_c_stops_at_once() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_STOP.format(grace=60)],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    while "winding down" not in process.stderr.readline():
        pass
    second = time.monotonic()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 130
    assert time.monotonic() - second < 5
    assert "ragkit test: stopped at once; run the same command again to resume" in (
        process.stderr.read()
    )


def test_a_stop_that_takes_too_long_ends_after_the_grace_period() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", SLOW_STOP.format(grace=0.5)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 130
    assert time.monotonic() - started < 20
    assert "stopping after the current batch... (Ctrl-C again to stop at once)" in done.stderr
    assert "stopped without waiting longer for the requests in flight" in done.stderr
