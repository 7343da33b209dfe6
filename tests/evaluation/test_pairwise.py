"""Agreement of two rankings without judgments: overlap@k, rank-biased overlap (by hand) and Kendall's τ."""
import math

import pytest

from ecomrec.evaluation.pairwise import compare_runs, kendall_tau, overlap_at_k, rbo


def test_overlap_is_the_shared_share_of_the_first_k():
    assert overlap_at_k(["a", "b", "c"], ["c", "d", "a"], k=3) == pytest.approx(2 / 3)
    assert overlap_at_k(["a", "b", "c", "z"], ["z", "y", "x", "a"], k=2) == 0.0  # z and a sit below rank 2
    assert overlap_at_k(["a", "b"], ["b", "a"], k=10) == 1.0  # both shorter than k: the same two products
    assert overlap_at_k(["a"], ["a", "b"], k=10) == 0.5
    assert overlap_at_k([], [], k=10) == 1.0 and overlap_at_k([], ["a"], k=10) == 0.0
    assert overlap_at_k(["a", "a", "b"], ["a", "b"], k=2) == 1.0  # a repeat counts at its first place
    with pytest.raises(ValueError):
        overlap_at_k(["a"], ["a"], k=0)


def test_rbo_of_tiny_lists_by_hand():
    p = 0.9
    assert rbo(["a", "b", "c"], ["a", "b", "c"], p) == pytest.approx(1.0)
    assert rbo(["a", "b"], ["c", "d"], p) == 0.0
    # swapped pair: X_1 = 0, X_2 = 2 -> (1-p)/p * (0 + 2/2 p^2) + 2/2 p^2 = 0.09 + 0.81
    assert rbo(["a", "b"], ["b", "a"], p) == pytest.approx(0.9)
    # same first item, different second: X_1 = 1, X_2 = 1 -> (1/9)(0.9 + 0.405) + 0.5 * 0.81
    assert rbo(["a", "b"], ["a", "c"], p) == pytest.approx((1 / 9) * (0.9 + 0.405) + 0.405)
    # 1 2 3 4 5 against 2 3 4 1 5: X = 0, 1, 2, 4, 5
    # (1/9)(0.5*0.81 + 2/3*0.729 + 0.6561 + 0.59049) + 0.59049 = 0.828
    by_hand = (1 / 9) * (0.5 * 0.81 + 2 / 3 * 0.729 + 0.6561 + 0.59049) + 0.59049
    assert rbo(list("12345"), list("23415"), p) == pytest.approx(by_hand)
    assert round(by_hand, 3) == 0.828


def test_rbo_extrapolates_uneven_lengths_as_webber_et_al_equation_32():
    p = 0.9
    # the short list is the long one's prefix: assumed to keep agreeing -> 1
    assert rbo(["a"], ["a", "b"], p) == pytest.approx(1.0)
    # S = [b] (s=1), L = [a, b] (l=2): X_1 = X_s = 0, X_2 = 1 (all of S against L's first 2)
    # (1/9) * [0/1 * 0.9 + 1/2 * 0.81 + X_s (2-1)/(1*2) * 0.81] + [(1 - 0)/2 + 0/1] * 0.81 = 0.045 + 0.405
    expected = (1 / 9) * 0.405 + 0.405
    assert expected == pytest.approx(0.45)
    # S = [a, c] (s=2), L = [a, b, c, d] (l=4): X_1 = 1, X_2 = X_s = 1, X_3 = 2, X_4 = 2
    # (1/9) * [0.9 + 1/2 0.81 + 2/3 0.729 + 2/4 0.6561 + 1 (3-2)/(2*3) 0.729 + 1 (4-2)/(2*4) 0.6561]
    #   + [(2 - 1)/4 + 1/2] * 0.6561
    sums = 0.9 + 0.405 + 2 / 3 * 0.729 + 0.5 * 0.6561 + 0.729 / 6 + 0.25 * 0.6561
    assert rbo(["a", "c"], ["a", "b", "c", "d"], p) == pytest.approx(sums / 9 + 0.75 * 0.6561)
    assert rbo(["b"], ["a", "b"], p) == pytest.approx(expected)
    assert rbo(["a", "b"], ["b"], p) == pytest.approx(expected)  # symmetric
    assert rbo([], [], p) == 1.0 and rbo([], ["a"], p) == 0.0
    # a smaller p weighs the top more: a disagreement at rank 1 costs more
    assert rbo(["a", "b"], ["b", "a"], 0.5) < rbo(["a", "b"], ["b", "a"], 0.9)
    with pytest.raises(ValueError):
        rbo(["a"], ["a"], 1.0)


def test_kendall_tau_over_the_shared_products_only():
    assert kendall_tau(["a", "b", "c"], ["a", "b", "c"]) == (1.0, 3)
    assert kendall_tau(["a", "b", "c", "x"], ["c", "b", "a", "y"]) == (-1.0, 3)  # x and y are left out
    tau, shared = kendall_tau(["a", "b", "c"], ["a", "c", "b"])  # one of three pairs discordant: (2 - 1) / 3
    assert shared == 3 and tau == pytest.approx(1 / 3)
    tau, shared = kendall_tau(["a", "x"], ["a", "y"])
    assert shared == 1 and math.isnan(tau)  # one shared product has no order


def test_compare_runs_lists_the_most_changed_query_first():
    a = {"same": ["a", "b", "c"], "moved": ["a", "b", "c"], "new": ["a", "b", "c"], "only_a": ["a"]}
    b = {"same": ["a", "b", "c"], "moved": ["c", "b", "a"], "new": ["x", "y", "z"]}
    df = compare_runs(a, b, k=3)
    assert df["query"].tolist() == ["new", "moved", "same"]  # only_a has no run in b: left out
    assert df.set_index("query").loc["same", ["overlap@3", "rbo", "kendall_tau", "shared"]].tolist() == \
        pytest.approx([1.0, 1.0, 1.0, 3])
    moved = df.set_index("query").loc["moved"]
    assert moved["overlap@3"] == 1.0 and moved["kendall_tau"] == -1.0 and 0 < moved["rbo"] < 1
    new = df.set_index("query").loc["new"]
    assert new["rbo"] == 0.0 and new["overlap@3"] == 0.0 and math.isnan(new["kendall_tau"])
