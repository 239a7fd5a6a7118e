"""The README's client quick start runs as written (against the embedded server)."""

import re
from pathlib import Path

from ragkit.server.embedded import EmbeddedServer

README = Path(__file__).resolve().parents[1] / "README.md"


def test_client_quick_start_runs(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    (block,) = re.findall(r"## The client\n\n```python\n(.*?)```", text, re.S)
    with EmbeddedServer(tmp_path, embedder="hash") as server:
        # The first Client() line targets Google; the second one points at our server.
        code = block.replace("client = ragkit.Client()  #", "#").replace(
            "http://127.0.0.1:8080", server.base_url
        )
        namespace: dict[str, object] = {}
        exec(compile(code, str(README), "exec"), namespace)
    answer = namespace["answer"]
    assert answer.answer.content.parts[0].text  # type: ignore[attr-defined]


def test_readme_and_ci_share_the_test_command() -> None:
    text = README.read_text(encoding="utf-8")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.strip().splitlines()[-1]
    assert command in text
