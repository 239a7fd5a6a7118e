"""bench/eval/build_sets.py question derivation on a tiny hand-made manual (no download)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ragkit.ingest.sync.ids import document_id

GLOSSARY = """<html><head><title>Glossary</title></head><body><h1>Glossary</h1><dl>
<dt id="GLOSSARY-TUPLE"><span class="glossterm">Tuple</span></dt><dd class="glossdef"><p>
A collection of attributes in a fixed order, as stored in a <a href="storage.html#X">page</a>.
</p></dd>
<dt id="GLOSSARY-WAL"><span class="glossterm">Write-Ahead Log (WAL)</span></dt><dd class="glossdef">
<p>The journal that keeps track of the changes in the database cluster .</p></dd>
<dt id="GLOSSARY-SHORT"><span class="glossterm">Short</span></dt><dd class="glossdef"><p>
Too short.</p></dd>
</dl></body></html>"""


def reference(name: str, purpose: str) -> str:
    return (
        f'<html><body><div class="refnamediv"><h2><span>{name}</span></h2>'
        f"<p>{name} — {purpose}</p></div><p>Body text about {name}.</p></body></html>"
    )


@pytest.fixture(scope="module")
def build() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "eval" / "build_sets.py"
    spec = importlib.util.spec_from_file_location("build_sets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_sets"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def manual(tmp_path: Path) -> Path:
    (tmp_path / "glossary.html").write_text(GLOSSARY, encoding="utf-8")
    pages = {
        "sql-createtable.html": ("CREATE TABLE", "define a new table"),
        "sql-selectinto.html": ("SELECT INTO", "define a new table"),
        "app-pgdump.html": ("pg_dump", "extract a database into a script file"),
        "storage.html": None,
    }
    for page, ref in pages.items():
        body = reference(*ref) if ref else "<html><body><p>Storage.</p></body></html>"
        (tmp_path / page).write_text(body, encoding="utf-8")
    return tmp_path


def test_glossary_questions(build: ModuleType, manual: Path) -> None:
    tuple_q, wal_q = build.glossary_questions(manual, set())
    assert tuple_q.id == "glossary:glossary-tuple"
    assert tuple_q.question in {t.format(term="tuple") for t in build._GLOSSARY_TEMPLATES}
    label, linked = tuple_q.relevant
    assert label.document == document_id("glossary.html")
    assert label.contains == "A collection of attributes in a fixed order,"
    assert linked.document == document_id("storage.html") and linked.contains is None
    assert tuple_q.answers == ("A collection of attributes in a fixed order, as stored in a page.",)
    # The parenthesis is dropped, acronyms keep their case, space before "." is tidied.
    assert "write-ahead log" in wal_q.question.lower() and "(WAL)" not in wal_q.question
    assert wal_q.answers == (
        "The journal that keeps track of the changes in the database cluster.",
    )
    # A left-out page is not a label.
    assert len(build.glossary_questions(manual, {"storage.html"})[0].relevant) == 1


def test_reference_questions_group_purposes_and_leave_pages_out(
    build: ModuleType, manual: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs = build.references(manual)
    assert [(r.page, r.kind) for r in refs] == [
        ("app-pgdump.html", "PostgreSQL program"),
        ("sql-createtable.html", "SQL command"),
        ("sql-selectinto.html", "SQL command"),
    ]
    monkeypatch.setattr(build, "UNANSWERABLE_FRACTION", 0.0)
    questions, left_out = build.reference_questions(refs)
    assert left_out == set()
    table = next(q for q in questions if q.answers == ("CREATE TABLE", "SELECT INTO"))
    assert table.question == "Which SQL command would you use to define a new table?"
    assert {r.document for r in table.relevant} == {
        document_id("sql-createtable.html"),
        document_id("sql-selectinto.html"),
    }
    monkeypatch.setattr(build, "UNANSWERABLE_FRACTION", 1.0)
    questions, left_out = build.reference_questions(refs)
    assert all(q.unanswerable and not q.relevant for q in questions)
    assert left_out == {r.page for r in refs}


def test_splits_are_a_fixed_function_of_the_id(build: ModuleType) -> None:
    assert build.unit("split:x") == build.unit("split:x")
    assert 0.0 <= build.unit("anything") < 1.0
    splits = {build.unit(f"split:q{i}") < build.HELDOUT_FRACTION for i in range(200)}
    assert splits == {True, False}


def test_a_left_out_question_a_kept_page_answers_is_found(
    build: ModuleType, manual: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (manual / "dump.html").write_text(
        "<html><body><p>To extract a database into a script file, run pg_dump.</p>"
        "<p>CREATE TABLE AS also defines a new table.</p></body></html>",
        encoding="utf-8",
    )
    monkeypatch.setattr(build, "UNANSWERABLE_FRACTION", 1.0)
    questions, left_out = build.reference_questions(build.references(manual))
    found = build.answered_elsewhere(manual, questions, left_out)
    # pg_dump's purpose is stated in full next to its name on a kept page...
    assert found == {
        "reference:app-pgdump": "dump.html: To extract a database into a script file, run pg_dump."
    }
    # ...while "CREATE TABLE AS" is another command, not CREATE TABLE.
    assert not build.states_answer("CREATE TABLE AS defines a new table.", ["CREATE TABLE"],
                                   "define a new table")  # fmt: skip
    assert build.states_answer("Use CREATE TABLE to define a new table.", ["CREATE TABLE"],
                               "define a new table")  # fmt: skip
    # Index entries and table rows (no final punctuation) and run-on text are not statements.
    (manual / "dump.html").write_text(
        "<html><body><p>pg_dump, extract a database into a script file</p></body></html>",
        encoding="utf-8",
    )
    assert build.answered_elsewhere(manual, questions, left_out) == {}
    run_on = "pg_dump " + "word " * 40 + "extract database script file."
    assert not build.states_answer(run_on, ["pg_dump"], "extract a database into a script file")
