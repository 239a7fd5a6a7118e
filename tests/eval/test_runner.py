"""The harness end to end: a tiny labelled set against the in-process server (hash embedder),
through the Python API and the ``ragkit eval`` command."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import ragkit
from ragkit.cli import main
from ragkit.eval import EvalOptions, evaluate, parse_questions
from ragkit.eval.metrics import ndcg_at_k
from ragkit.server.embedded import EmbeddedServer

CORPUS = "corpora/evalkb"
DOCUMENTS = {
    "tides": [
        "Tides are caused by the gravitational pull of the moon on the oceans.",
        "Spring tides happen when the sun and moon align.",
    ],
    "volcano": [
        "A volcano erupts when magma pressure exceeds the strength of the crust.",
        "Basalt lava flows are fluid and travel far from the volcanic vent.",
    ],
    "bread": ["Sourdough bread rises because wild yeast ferments the dough."],
}
QUESTIONS = [
    {"id": "tides", "question": "What causes ocean tides and the moon pull?",
     "relevant": ["tides"], "answers": ["gravitational pull of the moon"], "split": "tune"},
    {"id": "lava", "question": "How far do basalt lava flows travel?",
     "relevant": [{"document": "volcano", "contains": "basalt lava flows"}], "split": "heldout"},
    {"id": "bread", "question": "Why does sourdough bread rise?", "relevant": ["bread"],
     "answers": ["wild yeast ferments the dough"], "split": "heldout"},
    {"id": "trains", "question": "When did the first steam locomotive run?",
     "unanswerable": True, "split": "heldout"},
]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(tmp_path_factory.mktemp("eval-data"), embedder="hash") as running:
        with ragkit.Client(base_url=running.base_url, max_retries=0) as client:
            client.corpora.create(name=CORPUS, display_name="eval kb")
            for document, texts in DOCUMENTS.items():
                name = f"{CORPUS}/documents/{document}"
                client.corpora.documents.create(CORPUS, name=name, display_name=document)
                client.corpora.documents.chunks.batch_create(name, texts)
        yield running


@pytest.fixture
def questions_file(tmp_path: Path) -> Path:
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return path


def test_evaluate_scores_every_question(server: EmbeddedServer) -> None:
    questions = parse_questions(json.dumps(q) for q in QUESTIONS)
    with ragkit.Client(base_url=server.base_url, max_retries=0) as client:
        report = evaluate(client, "evalkb", questions, options=EvalOptions(k=5))
    assert (report.questions, report.answerable, report.unanswerable) == (4, 3, 1)
    assert report.labelled == 3 and list(report.recall) == [1, 5]
    by_id = {r.id: r for r in report.results}
    # Distinct vocabularies: each labelled question finds its document first.
    for qid in ("tides", "lava", "bread"):
        assert by_id[qid].judged[0] == 0
    # The "contains" label accepts only the basalt chunk of the volcano document.
    assert by_id["lava"].judged.count(0) == 1
    assert by_id["trains"].judged == [None] * len(by_id["trains"].judged)
    expected = sum(ndcg_at_k(by_id[q].judged, 1, 5) or 0.0 for q in ("tides", "lava", "bread"))
    assert report.ndcg == pytest.approx(expected / 3)
    assert report.recall[5] == 1.0 and report.mrr == 1.0
    # Answers: probabilities for all four; the unanswerable one is the negative class.
    assert all(r.answerable_probability is not None for r in report.results)
    assert report.auroc is not None and 0.0 <= report.auroc <= 1.0
    assert sum(b.count for b in report.reliability) == 4
    assert report.token_f1_count == 2
    assert report.attribution_count == sum(
        1 for q in ("tides", "lava", "bread") if by_id[q].first_citation
    )


def test_split_selection_and_retrieval_only(server: EmbeddedServer) -> None:
    questions = parse_questions(json.dumps(q) for q in QUESTIONS)
    with ragkit.Client(base_url=server.base_url, max_retries=0) as client:
        report = evaluate(
            client, CORPUS, questions, split="heldout", options=EvalOptions(k=3, answers=False)
        )
        assert report.questions == 3 and report.split == "heldout"
        assert report.auroc is None and report.reliability == []
        assert all(r.answer is None for r in report.results)
        with pytest.raises(ValueError, match="splits: heldout, tune"):
            evaluate(client, CORPUS, questions, split="dev")
    tune_only = parse_questions([json.dumps(QUESTIONS[0])])
    with ragkit.Client(base_url=server.base_url, max_retries=0) as client:
        one_class = evaluate(client, CORPUS, tune_only)
    assert one_class.auroc is None
    assert re.search(r"^answerable AUROC +n/a \(one class\)$", one_class.format_table(), re.M)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_table_and_json(
    server: EmbeddedServer, questions_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["eval", "--corpus", CORPUS, "--questions", str(questions_file)]
    code, out, _ = run(capsys, *base, "--base-url", server.base_url, "--k", "5")
    assert code == 0
    assert "recall@5" in out and "nDCG@5" in out and "answerable AUROC" in out
    assert "answerableProbability  n" in out
    code, out, _ = run(
        capsys, *base, "--base-url", server.base_url, "--json", "--split", "heldout",
        "--no-answers", "--per-question",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["questions"] == 3 and data["split"] == "heldout"
    assert set(data["recall"]) == {"@1", "@5", "@10"} and data["answers"] is False
    assert [r["id"] for r in data["results"]] == ["lava", "bread", "trains"]


def test_cli_reports_bad_files(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok"}\n{"question": 1}\n', encoding="utf-8")
    code, _, err = run(
        capsys, "eval", "--corpus", CORPUS, "--questions", str(bad), "--base-url", server.base_url
    )
    assert code == 1
    assert err.strip() == f"ragkit eval: error: {bad}:2: 'question' must be a non-empty string"
    code, _, err = run(
        capsys, "eval", "--corpus", CORPUS, "--questions", str(tmp_path / "missing.jsonl"),
        "--base-url", server.base_url,
    )  # fmt: skip
    assert code == 1 and "missing.jsonl" in err


def test_sentence_split_survives_a_lone_full_stop() -> None:
    # Found by the PostgreSQL set: HTML text like "rows . Next" crashed generateAnswer.
    from ragkit.server.models.sentences import split_sentences

    assert split_sentences("Hello there.  . Next one.") == [(0, 12), (14, 15), (16, 25)]


def test_cli_breaks_figures_down_by_meta_key(
    server: EmbeddedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "grouped.jsonl"
    kinds = ["nature", "nature", "food", "nature"]
    path.write_text(
        "".join(
            json.dumps({**q, "meta": {"kind": k}}) + "\n"
            for q, k in zip(QUESTIONS, kinds, strict=True)
        ),
        encoding="utf-8",
    )
    base = ["eval", "--corpus", CORPUS, "--questions", str(path), "--base-url", server.base_url]
    code, out, _ = run(capsys, *base, "--by", "kind", "--no-answers")
    assert code == 0
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("kind"))
    assert [line.split()[:2] for line in lines[header + 1 :]] == [["food", "1"], ["nature", "3"]]
    code, out, _ = run(capsys, *base, "--by", "kind", "--json")
    groups = json.loads(out)["groups"]
    assert sorted(groups) == ["food", "nature"]
    assert groups["food"]["ndcg"] == 1.0 and groups["nature"]["unanswerable"] == 1
