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
    by_run = runs_metrics(lambda h: {"run": score(h)}, histories, targets, index, k, batch)
    return by_run.get("run", {f"hr@{k}": 0.0, f"ndcg@{k}": 0.0, "shoppers": 0})


def runs_metrics(score: Callable[[Sequence[Sequence[str]]], dict[str, np.ndarray]],
                 histories: Sequence[Sequence[str]], targets: Sequence[str], index: pd.Index, k: int = 10,
                 batch: int = 256) -> dict[str, dict[str, float]]:
    """:func:`next_item_metrics` for several runs whose scores come from one call per batch.

    Args:
        score: histories -> run name -> (B, N) scores; shared work (e.g. signals a blend and its
            parts both read) is done once per batch.

    Returns:
        run name -> metrics; empty when no target is in the catalog.
    """
    cols = index.get_indexer(list(targets))
    keep = np.flatnonzero(cols >= 0)
    hits: dict[str, list] = {}
    gains: dict[str, list] = {}
    for start in range(0, len(keep), batch):
        part = keep[start:start + batch]
        for name, scores in score([histories[i] for i in part]).items():
            h, g = hit_metrics(scores, cols[part], k)
            hits.setdefault(name, []).append(h)
            gains.setdefault(name, []).append(g)
    return {name: {f"hr@{k}": round(float(np.concatenate(hits[name]).mean()), 4),
                   f"ndcg@{k}": round(float(np.concatenate(gains[name]).mean()), 4), "shoppers": int(len(keep))}
            for name in hits}


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


def cart_metrics(train_events: pd.DataFrame, test_events: pd.DataFrame, products: pd.DataFrame,
                 embeddings: np.ndarray, seed: int, k: int = 10) -> dict[str, float]:
    """Cart completion on test baskets: the complement model vs cart popularity and item-kNN.

    Every model learns from ``train_events`` only (baskets, or shoppers' sequences for item-kNN);
    one purchased product is held out of each test basket of two or more, the rest is the cart.
    """
    from ecomrec import schema as S
    from ecomrec.recommend.baselines import ItemKNN, popularity
    from ecomrec.recommend.complements import CartComplements
    from ecomrec.recommend.history import baskets, item_sequences, rows_of
    from ecomrec.recommend.profile import price_quantiles

    index = pd.Index(products[S.PRODUCT_ID])
    train_baskets = baskets(train_events).tolist()
    carts, targets = holdout_baskets(baskets(test_events).tolist(), seed)
    model = CartComplements(train_baskets, products, price_quantiles(products), embeddings=embeddings)
    knn = ItemKNN(list(item_sequences(train_events).values()), index)

    def complements(cs: Sequence[Sequence[str]]) -> np.ndarray:
        out = np.full((len(cs), len(index)), -np.inf, dtype=np.float32)
        for b, cart in enumerate(cs):
            for c in model.recommend(cart, k):
                out[b, c.row] = c.score
        return out

    def item_knn(cs: Sequence[Sequence[str]]) -> np.ndarray:
        out = knn.score(cs)
        for b, cart in enumerate(cs):
            out[b, rows_of(list(cart), index)] = -np.inf
        return out

    runs = {"cart": complements, "cart_popularity": popularity_scores(popularity(train_baskets, index), index),
            "cart_item_knn": item_knn}
    metrics: dict = {"test_baskets": len(carts), "train_baskets": len(train_baskets)}
    for name, run in runs.items():
        m = next_item_metrics(run, carts, targets, index, k)
        metrics[f"{name}_hr@{k}"], metrics[f"{name}_ndcg@{k}"] = m[f"hr@{k}"], m[f"ndcg@{k}"]
    return metrics
