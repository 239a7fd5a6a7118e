"""google-generativeai 0.8.6 with no transport argument, against a real ragkit serve over
TLS: gRPC for the sync calls, grpc_asyncio for the ``*_async`` ones.

It cannot share the [dev] environment (it pins an older google-ai-generativelanguage): it
runs in a venv of its own (:mod:`.generativeai_venv`), where ``generativeai_scenarios.py``
drives it as a user's script would and prints what it saw.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import ALICE_KEY, GrpcServer
from .generativeai_venv import venv_python

pytestmark = pytest.mark.slow

_SCRIPT = Path(__file__).with_name("generativeai_scenarios.py")


@pytest.fixture(scope="session")
def generativeai_python() -> Path:
    try:
        return venv_python()
    except RuntimeError as exc:
        pytest.fail(str(exc))


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
