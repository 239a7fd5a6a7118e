"""bench/eval/build_octave.py question derivation on a tiny Texinfo-style manual."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ragkit.ingest.sync.ids import document_id

EVAL = Path(__file__).resolve().parents[2] / "bench" / "eval"


def entry(name: str, description: str) -> str:
    return (
        f'<dl class="def"><dt id="index-{name}"><span class="category">: </span>'
        f"<span><strong>{name}</strong> <em>(x)</em>"
        f"<a href='#index-{name}' class='copiable-anchor'> &para;</a></span></dt>"
        f"<dd><p>{description}</p></dd></dl>"
    )


@pytest.fixture(scope="module")
def build() -> ModuleType:
    sys.path.insert(0, str(EVAL))
    spec = importlib.util.spec_from_file_location("build_octave", EVAL / "build_octave.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def manual(tmp_path: Path) -> Path:
    (tmp_path / "Trig.html").write_text(
        "<html><body><h2>Trigonometry</h2>"
        + entry("acos", "Compute the inverse cosine in radians. More text.")
        + entry("acosd", "Compute the inverse cosine in degrees.")
        + entry("tiny", "Too short.")
        + "</body></html>",
        encoding="utf-8",
    )
    (tmp_path / "Sums.html").write_text(
        "<html><body><h2>Sums</h2>" + entry("cumsum", "Compute the cumulative sum of x.")
        + entry("sum2", "Compute the cumulative sum of x.") + "</body></html>",
        encoding="utf-8",
    )  # fmt: skip
    return tmp_path


def test_functions_and_questions(
    build: ModuleType, manual: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = build.functions(manual)
    # (name, first sentence, the description's first 8 words); "Too short." is under 4 words
    acos, acosd = pages["Trig.html"]
    assert acos == (
        "acos",
        "Compute the inverse cosine in radians",
        "Compute the inverse cosine in radians. More text.",
    )
    assert acosd[:2] == ("acosd", "Compute the inverse cosine in degrees")
    monkeypatch.setattr(build, "UNANSWERABLE_FRACTION", 0.0)
    questions, left_out = build.questions_of(pages)
    assert left_out == set()
    shared = next(q for q in questions if q.answers == ("cumsum", "sum2"))
    assert shared.question == (
        "Which Octave function would you use to compute the cumulative sum of x?"
    )
    assert {r.document for r in shared.relevant} == {document_id("Sums.html")}
    assert all(q.split == "heldout" and not q.unanswerable for q in questions)
    monkeypatch.setattr(build, "UNANSWERABLE_FRACTION", 1.0)
    questions, left_out = build.questions_of(pages)
    assert left_out == {"Trig.html", "Sums.html"}
    assert all(q.unanswerable and not q.relevant for q in questions)
