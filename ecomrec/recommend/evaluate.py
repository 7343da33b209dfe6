"""Recommendation metrics with full ranking over the whole catalog (no sampled negatives).

Next item: for every shopper with two or more products, the last one is held out and the rest is
the history; HR@10 says whether it is in the top 10, NDCG@10 how high. Products already in the
history are never recommended, by every method alike. Cart completion: one purchased product is
held out of each test basket and the rest is the cart.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

ScoreFn = Callable[[Sequence[Sequence[str]]], np.ndarray]
"""score(histories) -> (B, N) scores over the catalog; -inf for products never to recommend."""


def hit_metrics(scores: np.ndarray, targets: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Per-row (hit@k, ndcg@k) of each row's ``targets`` column in ``scores`` (B, N)."""
    target_score = scores[np.arange(len(targets)), targets]  # (B,)
    better = (scores > target_score[:, None]).sum(axis=1)  # rank, 0-based (ties favour the target)
    hit = (better < k) & np.isfinite(target_score)
    return hit.astype(float), np.where(hit, 1.0 / np.log2(better + 2.0), 0.0)


def next_item_metrics(score: ScoreFn, histories: Sequence[Sequence[str]], targets: Sequence[str],
                      index: pd.Index, k: int = 10, batch: int = 256) -> dict[str, float]:
    """Mean ``hr@k`` and ``ndcg@k`` of ``score`` over held-out ``targets`` (product ids)."""
    cols = index.get_indexer(list(targets))
    keep = np.flatnonzero(cols >= 0)
    hits, gains = [], []
    for start in range(0, len(keep), batch):
        part = keep[start:start + batch]
        h, g = hit_metrics(score([histories[i] for i in part]), cols[part], k)
        hits.append(h)
        gains.append(g)
    if not hits:
        return {f"hr@{k}": 0.0, f"ndcg@{k}": 0.0, "shoppers": 0}
    return {f"hr@{k}": round(float(np.concatenate(hits).mean()), 4),
            f"ndcg@{k}": round(float(np.concatenate(gains).mean()), 4), "shoppers": int(len(keep))}


def popularity_scores(pop: np.ndarray, index: pd.Index) -> ScoreFn:
    """The popularity baseline as a score function (history products excluded)."""
    def score(histories: Sequence[Sequence[str]]) -> np.ndarray:
        out = np.tile(pop.astype(np.float32), (len(histories), 1))
        for b, h in enumerate(histories):
            rows = index.get_indexer(list(h))
            out[b, rows[rows >= 0]] = -np.inf
        return out
    return score


def holdout_baskets(baskets: Sequence[Sequence[str]], seed: int) -> tuple[list[list[str]], list[str]]:
    """(cart, held-out product) for each basket of two or more products; the held-out one is random."""
    rng = np.random.default_rng(seed)
    carts, targets = [], []
    for b in baskets:
        if len(b) >= 2:
            i = int(rng.integers(len(b)))
            carts.append([p for j, p in enumerate(b) if j != i])
            targets.append(b[i])
    return carts, targets
