"""Start and stop a real ``ragkit serve`` process for the campaigns in this folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["Server", "free_port"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``python -m ragkit serve --data-dir DATA_DIR ARGS...`` on a free port, logging to a file."""

    def __init__(
        self, data_dir: Path, *args: str, log_path: Path, python: str = sys.executable
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("ab")
        # ``python`` may be another checkout's interpreter, to measure a baseline.
        command = [python, "-m", "ragkit", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--data-dir", str(data_dir), *args]
        self.proc = subprocess.Popen(
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            # Not this checkout: ``-m`` would import ragkit from the working directory
            # rather than from ``python``'s own installation.
            cwd=log_path.parent,
        )

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ragkit serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                httpx.get(f"{self.url}/v1beta/models", timeout=2.0)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise TimeoutError(f"ragkit serve not ready after {timeout}s")

    def kill(self) -> None:
        """SIGKILL: what survives is exactly what was committed."""
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
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._log.close()
