"""Search metrics over the whole catalog: hand-checked, and equal to ranx's on fixed inputs."""
import numpy as np
import pytest

from ecomrec.evaluation.ranking import (
    dense_runs,
    ndcg_at_k,
    ndcg_per_query,
    ranking_metrics,
    recall_at_k,
    reciprocal_rank,
    top_k,
)

# graded judgments (0: judged, not relevant) and rankings, best first; q4's relevant products sit below
# rank 10 (NDCG@10 and Recall@3 miss them, MRR and Recall@50 do not); q3 ranks nothing relevant
QRELS = {"q1": {"a": 3, "b": 1, "d": 2, "z": 0}, "q2": {"x": 1}, "q3": {"m": 2}, "q4": {"p": 1, "r": 2}}
RANKED = {"q1": ["c", "a", "b", "e", "d"], "q2": ["y", "z", "x"], "q3": ["n"],
          "q4": [f"n{i}" for i in range(10)] + ["p", "r"]}


def _gains(q: str) -> dict[str, float]:
    return {p: float(g) for p, g in QRELS[q].items()}


def test_ndcg_mrr_recall_on_a_hand_checked_ranking():
    gains = {"a": 3.0, "b": 1.0}
    assert ndcg_at_k(["a", "b", "x"], gains) == pytest.approx(1.0)
    # b first, a second: (1 + 3/log2(3)) / (3 + 1/log2(3))
    assert ndcg_at_k(["b", "a"], gains) == pytest.approx((1 + 3 / 1.5849625) / (3 + 1 / 1.5849625))
    assert ndcg_at_k(["x", "b"], gains, k=1) == 0.0 and ndcg_at_k(["a"], {}) == 0.0
    assert reciprocal_rank(["x", "y", "b"], gains) == pytest.approx(1 / 3) and reciprocal_rank(["x"], gains) == 0.0
    assert recall_at_k(["x", "a"], gains, 1) == 0.0 and recall_at_k(["x", "a"], gains, 2) == 0.5
    assert recall_at_k(["a"], {"a": 0.0}, 10) == 0.0  # nothing relevant to find


def test_queries_without_a_run_count_as_zero():
    gains = {"a": 1.0}
    m = ranking_metrics({"q": ["a"]}, {"q": gains, "missing": gains}, recall_k=10)
    assert m == {"ndcg@10": 0.5, "mrr": 0.5, "recall@10": 0.5}
    assert ranking_metrics({}, {}) == {"ndcg@10": 0.0, "mrr": 0.0, "recall@50": 0.0}
    assert ndcg_per_query({"q": ["a"]}, {"missing": gains, "q": gains}).tolist() == [0.0, 1.0]  # judged order


def test_ndcg_mrr_and_recall_equal_ranx_per_query_and_on_average():
    ranx = pytest.importorskip("ranx")
    run = ranx.Run({q: {p: float(len(r) - i) for i, p in enumerate(r)} for q, r in RANKED.items()})
    names = ["ndcg@10", "mrr", "recall@3", "recall@50"]
    theirs = ranx.evaluate(ranx.Qrels(QRELS), run, names, return_mean=False)
    qs = list(QRELS)
    ours = {"ndcg@10": [ndcg_at_k(RANKED[q], _gains(q)) for q in qs],
            "mrr": [reciprocal_rank(RANKED[q], _gains(q)) for q in qs],
            "recall@3": [recall_at_k(RANKED[q], _gains(q), 3) for q in qs],
            "recall@50": [recall_at_k(RANKED[q], _gains(q), 50) for q in qs]}
    for name in names:
        assert ours[name] == pytest.approx(list(theirs[name])), name
    judged = {q: _gains(q) for q in qs}
    assert ndcg_per_query(RANKED, judged).tolist() == pytest.approx(list(theirs["ndcg@10"]))
    for k in (3, 50):
        means = {name: float(np.mean(theirs[name])) for name in ("ndcg@10", "mrr", f"recall@{k}")}
        assert ranking_metrics(RANKED, judged, recall_k=k) == pytest.approx(means)


def test_top_k_is_each_rows_best_first_and_dense_runs_name_the_products():
    scores = np.array([[0.1, 0.9, 0.5, 0.7], [0.4, 0.3, 0.2, 0.1]])
    assert top_k(scores, 2).tolist() == [[1, 3], [0, 1]]
    assert top_k(scores, 10).shape == (2, 4)  # k beyond the catalog: every product, ranked
    ids = np.array(["a", "b", "c", "d"])
    catalog = np.eye(4)  # product i's embedding is the i-th axis: a query's scores are its own coordinates
    assert dense_runs(scores, catalog, ids, ["q1", "q2"], k=3) == {"q1": ["b", "d", "c"], "q2": ["a", "b", "c"]}
