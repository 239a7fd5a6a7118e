"""google-generativeai 0.8.6 with no transport argument, against a real ragkit serve over
TLS: gRPC for the sync calls, grpc_asyncio for the ``*_async`` ones.

google-generativeai 0.8.6 (the last release) pins google-ai-generativelanguage 0.6.15,
while the [dev] environment holds the current GAPIC, so it cannot live there. The fixture
below keeps a venv of its own at ``.venv-generativeai/`` in the repository (git-ignored),
made with ``pip install google-generativeai==0.8.6`` on first use (30-60 s) and reused
after; ``generativeai_scenarios.py`` runs in it, as a user's script would, and prints what
it saw. ``RAGKIT_GENERATIVEAI_VENV`` points the fixture at another folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import ALICE_KEY, GrpcServer

pytestmark = pytest.mark.slow

REQUIREMENT = "google-generativeai==0.8.6"
_ROOT = Path(__file__).resolve().parents[3]
_SCRIPT = Path(__file__).with_name("generativeai_scenarios.py")
# Written last: a venv without it (an install that was killed) is made again.
_READY = ".ragkit-ready"


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _ensure_venv(venv: Path) -> Path:
    """The venv's Python, with ``REQUIREMENT`` installed (once; later runs reuse it)."""
    python = _venv_python(venv)
    ready = venv / _READY
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once build it once
        if ready.is_file() and ready.read_text() == REQUIREMENT and python.exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "--no-compile", REQUIREMENT],
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
        if install.returncode != 0:
            pytest.fail(f"pip install {REQUIREMENT} into {venv} failed:\n{install.stderr[-3000:]}")
        ready.write_text(REQUIREMENT)
    return python


@pytest.fixture(scope="session")
def generativeai_python() -> Path:
    venv = Path(os.environ.get("RAGKIT_GENERATIVEAI_VENV") or _ROOT / ".venv-generativeai")
    return _ensure_venv(venv)


@pytest.fixture(scope="module")
def observed(generativeai_python: Path, grpc_server: GrpcServer) -> dict[str, Any]:
    env = {
        **os.environ,
        "RAGKIT_GRPC_TARGET": grpc_server.target,
        "RAGKIT_API_KEY": ALICE_KEY,
        "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(grpc_server.ca),
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("PYTHONPATH", None)  # the venv's packages only, not the [dev] ones
    run = subprocess.run(
        [str(generativeai_python), str(_SCRIPT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, f"{_SCRIPT.name} failed:\n{run.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def test_it_is_the_pinned_release(observed: dict[str, Any]) -> None:
    assert observed["version"] == "0.8.6"


def test_retriever_answer_and_permissions(observed: dict[str, Any]) -> None:
    seen = observed["sync"]
    assert seen["transport"] == "grpc"
    assert seen["updated_chunk"] == "The moon orbits the earth every 27 days."
    assert seen["top_hit"] == "Interest rates were raised by the central bank."
    assert "sunlight" in seen["answer"]
    assert seen["granted_email"] == "bob@example.com"
    assert seen["granted_listed"] and seen["permission_role_matches"]
    assert seen["after_delete"] == "PermissionDenied"


def test_async_methods_use_grpc_asyncio(observed: dict[str, Any]) -> None:
    seen = observed["async"]
    assert seen["transport"] == "grpc_asyncio"
    assert seen["top_hit"] == "Photosynthesis turns sunlight into chemical energy in plants."
    assert seen["listed"]
