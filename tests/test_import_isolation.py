"""``import ragkit`` stays light: no server, model runtime or optional dependency."""

import subprocess
import sys

FORBIDDEN = [
    "fastapi",
    "starlette",
    "uvicorn",
    "numpy",
    "onnxruntime",
    "tokenizers",
    "tiktoken",
    "bpe_openai",
    "pypdf",
    "google.auth",
    "ragkit.server",
]

SCRIPT = """
import sys
import ragkit
client = ragkit.Client(api_key="k")
client.corpora.documents.chunks, client.models, client.files
client.cached_contents, client.batches, client.tuned_models.permissions
async_client = ragkit.AsyncClient(api_key="k")
async_client.corpora.permissions, async_client.models.operations
forbidden = {forbidden!r}
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in forbidden or
                      any(m == f or m.startswith(f + ".") for f in forbidden))))
"""


def test_import_ragkit_and_use_clients_without_heavy_modules() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(forbidden=FORBIDDEN)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == ""
