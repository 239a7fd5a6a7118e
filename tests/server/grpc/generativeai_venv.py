"""The venv google-generativeai 0.8.6 runs in for its tests (``.venv-generativeai/``).

google-generativeai 0.8.6 (the last release) pins google-ai-generativelanguage 0.6.15, older
than the [dev] environment's, so it gets a venv of its own in the repository (git-ignored),
made with ``pip install google-generativeai==0.8.6`` the first time and reused after.
``RAGKIT_GENERATIVEAI_VENV`` names another folder.

Making it takes a minute or more, mostly one CPU core; the test run uses one core too. So
``conftest.py`` starts :func:`start_build` in a background thread as soon as collection has
selected a test that needs it, and the test waits for :func:`venv_python` only when it gets
there: on a 2-core machine the install is hidden behind the tests that run meanwhile.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["REQUIREMENT", "start_build", "stop_build", "venv_python"]

REQUIREMENT = "google-generativeai==0.8.6"
_ROOT = Path(__file__).resolve().parents[3]
# Written last: a venv without it (an install that was killed) is made again.
_READY = ".ragkit-ready"

_build: threading.Thread | None = None
_outcome: list[Path | BaseException] = []
_guard = threading.Lock()
# The running step (venv, pip), so a test run that ends first (-x, Ctrl-C) leaves nothing
# behind; once stopped, no new step starts.
_running: subprocess.Popen[str] | None = None
_stopped = threading.Event()


def _step(args: list[str], timeout: float) -> None:
    """Run one step of the build, killable by :func:`stop_build`.

    Raises:
        RuntimeError: it failed, or the build was stopped.
    """
    global _running
    with _guard:
        if _stopped.is_set():
            raise RuntimeError("the test run ended before the venv was made")
        # A session of its own: stopping kills what it started too (venv runs ensurepip).
        _running = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
    output, _ = _running.communicate(timeout=timeout)
    if _running.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{output[-3000:]}")


def _venv() -> Path:
    return Path(os.environ.get("RAGKIT_GENERATIVEAI_VENV") or _ROOT / ".venv-generativeai")


def _ensure(venv: Path) -> Path:
    """The venv's Python, with :data:`REQUIREMENT` installed (once; later runs reuse it).

    Raises:
        RuntimeError: venv or pip failed (the end of its output is in the message).
    """
    python = venv / "bin" / "python"
    ready = venv / _READY
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once build it once
        if ready.is_file() and ready.read_text() == REQUIREMENT and python.exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        _step([sys.executable, "-m", "venv", str(venv)], timeout=300)
        _step(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "--no-compile", REQUIREMENT],
            timeout=900,
        )  # fmt: skip
        ready.write_text(REQUIREMENT)
    return python


def _run() -> None:
    try:
        _outcome.append(_ensure(_venv()))
    except BaseException as exc:  # handed to the test that waits for it
        _outcome.append(exc)


def start_build() -> None:
    """Make (or check) the venv in a background thread; at most once per test run."""
    global _build
    with _guard:
        if _build is None:
            _build = threading.Thread(target=_run, name="generativeai-venv", daemon=True)
            _build.start()


def stop_build() -> None:
    """Stop a build still running (the test run is over); the next run starts over."""
    with _guard:
        _stopped.set()
        running = _running
    if running is not None and running.poll() is None:
        os.killpg(running.pid, signal.SIGKILL)
        running.wait(30)


def venv_python() -> Path:
    """The venv's Python, once ready (starting the build if nobody did).

    Raises:
        RuntimeError: the venv could not be made.
    """
    start_build()
    assert _build is not None
    _build.join()
    outcome = _outcome[0]
    if isinstance(outcome, BaseException):
        raise RuntimeError(str(outcome)) from outcome
    return outcome
