"""Judged-only (condensed) search metrics: unjudged products removed before the cut, equal to ranx on the
condensed runs (ranx has no condensed mode of its own)."""
import math

import pytest

from ecomrec.evaluation.ranking import (
    condense,
    condensed_ranking_metrics,
    metrics_per_query,
    ranking_metrics,
)

# graded judgments (0: judged, not relevant); u* are never judged
QRELS = {"q1": {"a": 3, "b": 1, "d": 2, "z": 0}, "q2": {"x": 1, "z": 0}, "q3": {"m": 2}, "q4": {"p": 1, "r": 2}}
RANKED = {"q1": ["u1", "a", "u2", "b", "z", "d"], "q2": ["u1", "z", "u2", "x"], "q3": ["u1", "u2"],
          "q4": [f"u{i}" for i in range(12)] + ["p", "u99", "r"]}


def judged() -> dict[str, dict[str, float]]:
    return {q: {p: float(g) for p, g in d.items()} for q, d in QRELS.items()}


def test_condensing_keeps_judged_products_in_order_irrelevant_ones_included():
    assert condense(["u1", "a", "u2", "z", "b"], {"a": 1.0, "b": 0.5, "z": 0.0}) == ["a", "z", "b"]
    assert condense(["u1"], {"a": 1.0}) == []


def test_condensed_metrics_by_hand():
    m = metrics_per_query(RANKED, judged(), k=10, recall_k=2, judged_only=True)
    # q2 condensed: z (judged 0), x -> first relevant at rank 2; q3: nothing judged is ranked
    assert m["mrr"].tolist() == pytest.approx([1.0, 0.5, 0.0, 1.0])
    assert m["recall@2"].tolist() == pytest.approx([2 / 3, 1.0, 0.0, 1.0])
    # unjudged = irrelevant: q4's relevant products sit below rank 10
    plain = metrics_per_query(RANKED, judged(), k=10, recall_k=2)
    assert plain["ndcg@10"][3] == 0.0  # condensed: p, r -> (1 + 2/log2 3) / (2 + 1/log2 3)
    assert m["ndcg@10"][3] == pytest.approx((1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3)))
    assert (m["ndcg@10"] >= plain["ndcg@10"] - 1e-12).all()  # removing unjudged products never hurts here
    # the plain variant is ranking_metrics' per query
    means = {k: float(v.mean()) for k, v in metrics_per_query(RANKED, judged(), recall_k=50).items()}
    assert means == pytest.approx(ranking_metrics(RANKED, judged(), recall_k=50))


def test_condensed_metrics_equal_ranx_on_the_condensed_runs():
    ranx = pytest.importorskip("ranx")
    condensed = {q: condense(r, judged()[q]) for q, r in RANKED.items()}
    # ranx drops empty runs' queries; a run that ranks nothing judged scores 0 either way: give it an unjudged item
    run = ranx.Run({q: {p: float(len(r) - i) for i, p in enumerate(r)} or {"none": 1.0} for q, r in condensed.items()})
    names = ["ndcg@10", "ndcg@3", "mrr", "recall@2", "recall@50"]
    theirs = ranx.evaluate(ranx.Qrels(QRELS), run, names, return_mean=False)
    for k, recall_k in ((10, 2), (3, 50)):
        ours = metrics_per_query(RANKED, judged(), k=k, recall_k=recall_k, judged_only=True)
        assert ours[f"ndcg@{k}"].tolist() == pytest.approx(list(theirs[f"ndcg@{k}"]))
        assert ours["mrr"].tolist() == pytest.approx(list(theirs["mrr"]))
        assert ours[f"recall@{recall_k}"].tolist() == pytest.approx(list(theirs[f"recall@{recall_k}"]))
    means = ranx.evaluate(ranx.Qrels(QRELS), run, ["ndcg@10", "mrr", "recall@50"])
    assert condensed_ranking_metrics(RANKED, judged()) == pytest.approx(
        {"ndcg@10": means["ndcg@10"], "mrr": means["mrr"], "recall@50": means["recall@50"]})
