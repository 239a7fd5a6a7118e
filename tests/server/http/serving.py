"""Run a real ``python -m ragkit serve`` process, for end-to-end tests and for the
benchmarks and campaigns in ``bench/`` (which import this module)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ["ServerProcess", "free_port", "serve"]


# Runs ragkit from another source tree (a checkout of an older commit), ahead of this
# environment's editable install of the working tree: ``python -c _FROM_SOURCE TREE serve ...``.
_FROM_SOURCE = (
    "import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in "
    "type(f).__module__]; sys.path.insert(0, sys.argv.pop(1)); from ragkit.cli import main; "
    "sys.exit(main(sys.argv[1:]))"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """One ``ragkit serve`` process; its output goes to ``log_path``.

    ``python`` runs another installation's ragkit (a benchmark's baseline: an older
    checkout's interpreter); the process then runs in ``log_path``'s folder, since ``-m``
    would import ragkit from this checkout if it were the working directory. ``source``
    runs the ragkit of another source tree (e.g. ``git archive`` of an older commit) with
    this environment's packages.
    """

    def __init__(
        self,
        args: Sequence[str],
        port: int,
        log_path: Path,
        *,
        python: str | None = None,
        source: Path | None = None,
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = log_path.open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        command = [python or sys.executable, "-m", "ragkit", "serve"]
        if source is not None:
            command = [python or sys.executable, "-c", _FROM_SOURCE, str(source), "serve"]
        self.proc = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=None if python is None else log_path.parent,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 120.0, *, path: str = "/v1beta/models") -> int:
        """Wait until the server answers ``GET path`` (any status; returns it) or fail with
        its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ragkit serve exited with {self.proc.returncode}:\n{self.log}")
            try:
                return httpx.get(f"{self.url}{path}", timeout=2.0).status_code
            except httpx.TransportError:
                time.sleep(0.1)
        raise TimeoutError(f"ragkit serve not ready after {timeout}s:\n{self.log}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing; what survives is what was committed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@contextmanager
def serve(data_dir: Path, *args: str, log_dir: Path | None = None) -> Iterator[ServerProcess]:
    """Start ``ragkit serve --data-dir data_dir *args`` on a free port; stop it afterwards.
    The gRPC front stays off unless ``args`` name ``--grpc-port``."""
    log_path = (log_dir or data_dir.parent) / f"serve-{time.monotonic_ns()}.log"
    if not any(arg.startswith(("--grpc-port", "--no-grpc")) for arg in args):
        # gRPC's default port is fixed; servers run side by side, so only on request.
        args = (*args, "--no-grpc")
    server = ServerProcess(["--data-dir", str(data_dir), *args], free_port(), log_path)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
