"""Search metrics with full ranking over the whole catalog (no sampled negatives), and the runs they score.

A run maps each query text to product ids, best first; judgments map each query text to
``{product_id: gain}`` (graded: 0 is not relevant).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

Runs = dict[str, list[str]]
"""query text -> ranked product ids, best first."""

Judged = Mapping[str, Mapping[str, float]]
"""query text -> {product_id: gain}."""


def ndcg_at_k(ranked: Sequence[str], gains: Mapping[str, float], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the first ``k`` of ``ranked`` (graded gains)."""
    dcg = sum(gains.get(pid, 0.0) / np.log2(r + 2) for r, pid in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    idcg = sum(g / np.log2(r + 2) for r, g in enumerate(ideal))
    return float(dcg / idcg) if idcg > 0 else 0.0


def reciprocal_rank(ranked: Sequence[str], gains: Mapping[str, float]) -> float:
    """1 / rank of the first relevant product (0 when none is ranked)."""
    return next((1.0 / (r + 1) for r, pid in enumerate(ranked) if gains.get(pid, 0.0) > 0), 0.0)


def recall_at_k(ranked: Sequence[str], gains: Mapping[str, float], k: int) -> float:
    """Share of the relevant products found in the first ``k``."""
    relevant = {p for p, g in gains.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def ndcg_per_query(runs: Mapping[str, Sequence[str]], judged: Judged, k: int = 10) -> np.ndarray:
    """(Q,) NDCG@k of each judged query, in ``judged``'s order (missing runs score 0): the units the
    bootstrap and the paired test resample."""
    return np.array([ndcg_at_k(list(runs.get(q, []))[:k], g, k) for q, g in judged.items()])


def ranking_metrics(runs: Mapping[str, Sequence[str]], judgments: Judged, recall_k: int = 50) -> dict[str, float]:
    """Mean NDCG@10 (primary), MRR and Recall@``recall_k`` over the judged queries of ``runs``.

    Args:
        runs: query text -> ranked product ids, best first (the whole ranking, not a sample).
        judgments: query text -> {product_id: gain}; queries missing from ``runs`` count as 0.

    Example:
        >>> ranking_metrics({"tent": ["a", "b"]}, {"tent": {"b": 1.0}})["mrr"]
        0.5
    """
    scores = [(ndcg_at_k(runs.get(q, []), g), reciprocal_rank(runs.get(q, []), g),
               recall_at_k(runs.get(q, []), g, recall_k)) for q, g in judgments.items()]
    if not scores:
        return {"ndcg@10": 0.0, "mrr": 0.0, f"recall@{recall_k}": 0.0}
    ndcg, mrr, rec = np.mean(scores, axis=0)
    return {"ndcg@10": float(ndcg), "mrr": float(mrr), f"recall@{recall_k}": float(rec)}


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column positions (Q, k) of each row's ``k`` highest scores, best first."""
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]  # (Q, k), unordered
    order = np.take_along_axis(scores, top, 1).argsort(1, kind="stable")[:, ::-1]
    return np.take_along_axis(top, order, 1)


def dense_runs(query_emb: np.ndarray, catalog_emb: np.ndarray, ids: np.ndarray, queries: Sequence[str],
               k: int = 100) -> Runs:
    """Exact inner-product retrieval over the whole catalog: query text -> top-``k`` product ids."""
    top = top_k(query_emb @ catalog_emb.T, k)  # (Q, k)
    return {q: ids[row].tolist() for q, row in zip(queries, top)}


def rerank_runs(ids: np.ndarray, docs: Sequence[str], dense_retrieve: Callable[[list[str], int], np.ndarray],
                reranker, queries: Sequence[str], depth: int) -> tuple[Runs, Runs]:
    """The dense top-``depth`` per query, and the same candidates reordered by ``reranker``.

    Args:
        ids, docs: product ids and what the reranker reads of each, catalog order.
        dense_retrieve: ``(texts, k) -> (Q, k)`` row positions of each text's nearest products.

    Returns:
        (dense runs, reranked runs), each query text -> product ids, best first.
    """
    rows = dense_retrieve(list(queries), depth)  # (Q, depth)
    pair_q = [q for q in queries for _ in range(rows.shape[1])]
    scores = reranker.score_pairs(pair_q, [docs[i] for i in rows.ravel()]).reshape(rows.shape)  # (Q, depth)
    dense = {q: ids[r].tolist() for q, r in zip(queries, rows)}
    reranked = {q: ids[r[np.argsort(-s, kind="stable")]].tolist() for q, r, s in zip(queries, rows, scores)}
    return dense, reranked


def condense(ranked: Sequence[str], gains: Mapping[str, float]) -> list[str]:
    """``ranked`` with every unjudged product removed, order kept: the *condensed list* (Sakai, "Alternatives
    to Bpref", SIGIR 2007) that judged-only metrics score. A product judged irrelevant (gain 0) stays."""
    return [pid for pid in ranked if pid in gains]


def metrics_per_query(runs: Mapping[str, Sequence[str]], judged: Judged, k: int = 10, recall_k: int = 50,
                      judged_only: bool = False) -> dict[str, np.ndarray]:
    """(Q,) NDCG@``k``, MRR and Recall@``recall_k`` of every judged query, in ``judged``'s order (missing runs
    score 0): the per-query units intervals and paired tests resample.

    Args:
        judged_only: score the condensed run (:func:`condense`: unjudged products removed *before* cutting at
            ``k``), so a system is neither punished nor rewarded for products nobody judged; otherwise an
            unjudged product counts as irrelevant (the usual convention, and :func:`ranking_metrics`').

    Returns:
        ``{"ndcg@<k>": (Q,), "mrr": (Q,), "recall@<recall_k>": (Q,)}``.

    Example:
        >>> m = metrics_per_query({"q": ["x", "a"]}, {"q": {"a": 1.0}}, judged_only=True)
        >>> float(m["mrr"][0])  # "x" was never judged: "a" is first among the judged
        1.0
    """
    ndcg, mrr, rec = [], [], []
    for q, gains in judged.items():
        ranked = list(runs.get(q, []))
        if judged_only:
            ranked = condense(ranked, gains)
        ndcg.append(ndcg_at_k(ranked[:k], gains, k))
        mrr.append(reciprocal_rank(ranked, gains))
        rec.append(recall_at_k(ranked, gains, recall_k))
    as_array = lambda v: np.array(v, dtype=float)  # noqa: E731
    return {f"ndcg@{k}": as_array(ndcg), "mrr": as_array(mrr), f"recall@{recall_k}": as_array(rec)}


def condensed_ranking_metrics(runs: Mapping[str, Sequence[str]], judgments: Judged,
                              recall_k: int = 50) -> dict[str, float]:
    """:func:`ranking_metrics` on condensed runs: mean NDCG@10, MRR and Recall@``recall_k`` over the judged
    queries with unjudged products removed from each run before it is cut (judged-only evaluation; see
    :func:`metrics_per_query`).

    Example:
        >>> condensed_ranking_metrics({"tent": ["x", "b"]}, {"tent": {"b": 1.0}})["mrr"]
        1.0
    """
    per = metrics_per_query(runs, judgments, 10, recall_k, judged_only=True)
    return {name: float(v.mean()) if len(v) else 0.0 for name, v in per.items()}
