"""Intervals and paired tests: seeded, reproducible, and equal to the libraries' own numbers."""
import numpy as np
import pytest
from scipy import stats as sps
from sklearn.metrics import f1_score

from ecomrec.evaluation.stats import StatsConfig, bootstrap_ci, compare, compare_labels, macro_f1_p, paired_p


def test_bootstrap_interval_is_seeded_and_is_scipys_bca_interval():
    x = np.random.default_rng(0).random(200)
    first, again = bootstrap_ci(x), bootstrap_ci(x)
    assert first == again  # same seed, same interval
    ref = sps.bootstrap((x,), np.mean, n_resamples=2000, method="BCa",
                        random_state=np.random.default_rng(13)).confidence_interval
    assert first == pytest.approx((ref.low, ref.high))
    assert bootstrap_ci(x, StatsConfig(seed=1)) != first  # another seed resamples differently
    assert bootstrap_ci([0.5, 0.5, 0.5]) == (0.5, 0.5)  # no spread, no interval


def test_paired_test_tells_a_real_difference_from_none():
    rng = np.random.default_rng(1)
    a = rng.random(300)
    assert paired_p(a, a) == 1.0
    assert paired_p(a + 0.05, a) < 0.001  # every unit better by 0.05: a sign-flip test can't miss it
    noise = a + rng.normal(0, 0.2, 300)
    assert paired_p(noise, a) > 0.05  # zero-mean noise around the same scores
    with pytest.raises(ValueError, match="same units"):
        paired_p(a, a[:-1])


def test_compare_names_the_strongest_baseline_with_its_own_interval():
    model = [1, 1, 0, 1, 0, 1, 1, 1]
    weak, strong = [0, 0, 0, 1, 0, 0, 0, 0], [1, 0, 0, 1, 0, 1, 0, 1]
    r = compare("hr@10", model, {"popularity": weak, "item_knn": strong})
    assert r["baseline_name"] == "item_knn" and r["baseline"] == 0.5 and r["model"] == 0.75
    assert r["baselines"] == {"popularity": 0.125, "item_knn": 0.5}
    assert r["units"] == 8 and r["p"] == r["p_by_baseline"]["item_knn"]
    assert r["model_ci"][0] <= 0.75 <= r["model_ci"][1]


def test_labels_compare_pairs_units_and_scores_scikit_learns_macro_f1():
    truth = ["a", "b", "a", "b"] * 25
    r = compare_labels(truth, truth, {"always_a": ["a"] * 100})
    assert r["model"] == 1.0 and r["baseline"] == pytest.approx(f1_score(truth, ["a"] * 100, average="macro",
                                                                        zero_division=0), abs=1e-4)
    assert r["p"] < 0.001


def test_macro_f1_lead_test_is_exact_on_a_handful_of_queries():
    """Six queries, a right everywhere and b wrong everywhere: of the 2^6 ways to swap their answers only
    the one observed puts a a full 1.0 ahead (one-sided p 1/64), and all-swapped puts b as far ahead (2/64)."""
    truth = np.array([0, 0, 0, 1, 1, 1])
    a, b = truth.copy(), 1 - truth
    assert macro_f1_p(truth, a, b, alternative="greater") == pytest.approx(1 / 64)
    assert macro_f1_p(truth, a, b) == pytest.approx(2 / 64)
    assert macro_f1_p(truth, b, a, alternative="greater") == pytest.approx(1.0)
    # two views: the statistic is the mean of the views' gaps; a leads in one view and ties in the other
    views = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    truth2 = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    a2 = truth2.copy()
    b2 = np.array([1, 0, 1, 0, 0, 1, 0, 1])
    assert macro_f1_p(truth2, a2, b2, views, "greater") == pytest.approx(1 / 16)  # 2^4 swaps that matter
