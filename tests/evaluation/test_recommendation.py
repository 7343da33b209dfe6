"""HR@k and NDCG@k of held-out items, with full ranking over the catalog, checked by hand."""
import numpy as np
import pandas as pd
import pytest

from ecomrec.evaluation.recommendation import exclude_history, hit_metrics, next_item_metrics, runs_metrics, runs_units


def test_hit_and_ndcg_of_the_targets_rank():
    scores = np.array([[0.9, 0.1, 0.5],  # target 0 first: hit, ndcg 1
                       [0.9, 0.1, 0.5],  # target 1 third: hit@3 with ndcg 1/log2(4) = 0.5, no hit@2
                       [0.5, 0.5, 0.1],  # target 1 tied with 0: 0 comes first, as in the app's list
                       [0.5, 0.5, 0.1],  # target 0 tied with 1: first
                       [-np.inf, 0.1, 0.5]])  # target 0 never to recommend: a miss whatever its rank
    targets = np.array([0, 1, 1, 0, 0])
    hit, ndcg = hit_metrics(scores, targets, k=3)
    assert hit.tolist() == [1.0, 1.0, 1.0, 1.0, 0.0]
    assert ndcg.tolist() == pytest.approx([1.0, 0.5, 1 / np.log2(3), 1.0, 0.0])
    assert hit_metrics(scores, targets, k=2)[0].tolist() == [1.0, 0.0, 1.0, 1.0, 0.0]
    assert hit_metrics(scores, targets, k=1)[0].tolist() == [1.0, 0.0, 0.0, 1.0, 0.0]
    assert hit_metrics(np.zeros((1, 3)), np.array([2]), k=2)[0].tolist() == [0.0]  # all tied: third


def test_next_item_metrics_score_every_shopper_whose_target_is_in_the_catalog():
    index = pd.Index(["a", "b", "c"])
    histories = [["a"], ["b"], ["a"]]
    targets = ["b", "c", "zz"]  # zz is not in the catalog: that shopper is left out

    def score(hs):  # the catalog in a fixed order, each history's own products excluded
        return exclude_history(np.tile(np.array([3.0, 2.0, 1.0]), (len(hs), 1)), hs, index)

    m = next_item_metrics(score, histories, targets, index, k=1, batch=1)
    assert m == {"hr@1": 0.5, "ndcg@1": 0.5, "shoppers": 2}  # b is first after a; c is second after b
    both = runs_metrics(lambda hs: {"fixed": score(hs), "none": np.zeros((len(hs), 3))}, histories, targets, index, 1)
    assert both["fixed"] == m and both["none"]["shoppers"] == 2
    units = runs_units(lambda hs: {"fixed": score(hs)}, histories, targets, index, 1)
    assert units["fixed"][0].tolist() == [1.0, 0.0]
    assert next_item_metrics(score, [["a"]], ["zz"], index) == {"hr@10": 0.0, "ndcg@10": 0.0, "shoppers": 0}


def test_exclude_history_masks_in_place_and_skips_unknown_products():
    scores = np.ones((2, 3))
    out = exclude_history(scores, [["b", "unknown"], []], pd.Index(["a", "b", "c"]))
    assert out is scores and scores.tolist() == [[1.0, -np.inf, 1.0], [1.0, 1.0, 1.0]]
