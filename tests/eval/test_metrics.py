"""Metrics on hand-computed examples and their edge cases."""

from __future__ import annotations

import math

import pytest

from ragkit.eval.metrics import (
    auroc,
    expected_calibration_error,
    first_hits,
    mean,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    reliability_table,
    token_f1,
)


def test_recall_counts_each_label_once() -> None:
    ranking = [None, 0, 0, 1, None]
    assert first_hits(ranking) == [False, True, False, True, False]
    assert recall_at_k(ranking, 2, 1) == 0.0
    assert recall_at_k(ranking, 2, 3) == 0.5
    assert recall_at_k(ranking, 2, 10) == 1.0
    assert recall_at_k(ranking, 4, 10) == 0.5


def test_reciprocal_rank_is_cut_at_k() -> None:
    assert reciprocal_rank([None, None, 0], 1, 10) == pytest.approx(1 / 3)
    assert reciprocal_rank([None, None, 0], 1, 2) == 0.0
    assert reciprocal_rank([0], 1) == 1.0


def test_ndcg_hand_computed() -> None:
    # Relevant at ranks 2 and 4 out of 3 labels: DCG = 1/log2(3) + 1/log2(5),
    # ideal = 1 + 1/log2(3) + 1/log2(4).
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 0.5
    assert ndcg_at_k([None, 0, None, 2], 3, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at_k([0, 1], 2, 10) == 1.0
    # A repeated label is no extra gain: the score cannot exceed 1.
    assert ndcg_at_k([0, 0, 0], 1, 10) == 1.0
    # Ideal DCG caps at k labels.
    assert ndcg_at_k([0], 5, 1) == 1.0


def test_no_relevant_items_is_undefined_and_skipped_by_mean() -> None:
    assert recall_at_k([None, None], 0, 10) is None
    assert reciprocal_rank([], 0) is None
    assert ndcg_at_k([], 0) is None
    assert recall_at_k([], 3, 10) == 0.0
    assert mean([None, 1.0, 0.0, None]) == 0.5
    assert mean([None]) is None


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="k must be positive"):
        recall_at_k([0], 1, 0)
    with pytest.raises(ValueError, match="n_relevant"):
        ndcg_at_k([0], -1)


def test_auroc_hand_computed_and_ties() -> None:
    assert auroc([0.9, 0.2, 0.7], [True, False, False]) == 1.0
    assert auroc([0.1, 0.9], [True, False]) == 0.0
    # Positives 0.8, 0.4; negatives 0.6, 0.4: pairs (0.8>0.6, 0.8>0.4, 0.4<0.6, 0.4=0.4).
    assert auroc([0.8, 0.4, 0.6, 0.4], [True, True, False, False]) == pytest.approx(2.5 / 4)
    assert auroc([0.5, 0.5, 0.5], [True, False, True]) == 0.5


def test_auroc_with_one_class_is_undefined() -> None:
    assert auroc([0.1, 0.9], [True, True]) is None
    assert auroc([0.1, 0.9], [False, False]) is None
    assert auroc([], []) is None
    with pytest.raises(ValueError, match="same length"):
        auroc([0.1], [True, False])


def test_token_f1() -> None:
    assert token_f1("The CREATE TABLE command.", ["create table"]) == pytest.approx(0.8)
    assert token_f1("nothing alike", ["create table"]) == 0.0
    assert token_f1("create table", ["drop table", "Create table!"]) == 1.0
    assert token_f1("anything", []) is None
    assert token_f1("", ["the"]) == 1.0  # both normalise to no tokens
    assert token_f1("", ["table"]) == 0.0


def test_reliability_table_and_ece() -> None:
    table = reliability_table([0.05, 0.15, 0.95, 1.0], [False, True, True, True], bins=2)
    assert [(b.count, b.observed_rate) for b in table] == [(2, 0.5), (2, 1.0)]
    assert table[0].mean_probability == pytest.approx(0.1)
    assert table[1].mean_probability == pytest.approx(0.975)
    # ECE = (2*|0.1-0.5| + 2*|0.975-1|) / 4
    assert expected_calibration_error(table) == pytest.approx((0.8 + 0.05) / 4)
    empty = reliability_table([], [], bins=3)
    assert [b.count for b in empty] == [0, 0, 0] and empty[0].mean_probability is None
    assert expected_calibration_error(empty) is None
    with pytest.raises(ValueError, match="outside"):
        reliability_table([1.5], [True])
    with pytest.raises(ValueError, match="bins"):
        reliability_table([0.5], [True], bins=0)
