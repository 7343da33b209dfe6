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
    units = runs_units(score, histories, targets, index, k, batch)
    return {name: {f"hr@{k}": round(float(h.mean()), 4), f"ndcg@{k}": round(float(g.mean()), 4),
                   "shoppers": int(len(h))} for name, (h, g) in units.items()}


def runs_units(score: Callable[[Sequence[Sequence[str]]], dict[str, np.ndarray]],
               histories: Sequence[Sequence[str]], targets: Sequence[str], index: pd.Index, k: int = 10,
               batch: int = 256) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-unit (hit@k, ndcg@k) arrays of each run, over the units whose target is in the catalog."""
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
    return {name: (np.concatenate(hits[name]), np.concatenate(gains[name])) for name in hits}


def exclude_history(scores: np.ndarray, histories: Sequence[Sequence[str]], index: pd.Index) -> np.ndarray:
    """``scores`` (B, N) with each history's own products set to -inf (never recommended again); in place."""
    for b, h in enumerate(histories):
        rows = index.get_indexer(list(h))
        scores[b, rows[rows >= 0]] = -np.inf
    return scores


def popularity_scores(pop: np.ndarray, index: pd.Index) -> ScoreFn:
    """The popularity baseline as a score function (history products excluded)."""
    def score(histories: Sequence[Sequence[str]]) -> np.ndarray:
        return exclude_history(np.tile(pop.astype(np.float32), (len(histories), 1)), histories, index)
    return score


def category_popularity_scores(pop: np.ndarray, categories: np.ndarray, index: pd.Index,
                               last_only: bool = True) -> ScoreFn:
    """Popularity within the history's category first, then everything else by popularity.

    Args:
        pop: (N,) popularity from training groups only.
        categories: (N,) each product's category.
        last_only: the last item's category (next item); False: every history item's category (a cart).
    """
    ranked = np.log1p(pop.astype(np.float32))
    lift = float(ranked.max()) + 1.0  # any product of the category outranks every other

    def score(histories: Sequence[Sequence[str]]) -> np.ndarray:
        out = np.tile(ranked, (len(histories), 1))
        for b, h in enumerate(histories):
            rows = index.get_indexer(list(h))
            rows = rows[rows >= 0]
            if len(rows):
                cats = categories[rows[-1:]] if last_only else categories[rows]
                out[b, np.isin(categories, cats)] += lift
        return exclude_history(out, histories, index)
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


def cart_units(train_events: pd.DataFrame, test_events: pd.DataFrame, products: pd.DataFrame,
               embeddings: np.ndarray, seed: int, config=None, k: int = 10
               ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], int]:
    """Per-basket (hit@k, ndcg@k) of the cart list and its baselines on test baskets.

    Every model learns from ``train_events`` only; one purchased product is held out of each test
    basket of two or more, the rest is the cart. Runs: ``cart`` (the app's cart list with ``config``),
    ``popularity``, ``category_popularity`` (popular in the cart's categories first), ``item_knn``
    (co-occurrence across shoppers' sequences) and ``basket_knn`` (co-occurrence within baskets).
    The cart list never offers a substitute of a cart item (same category, similar text), so every
    baseline ranks the same candidates; ``category_popularity_any`` is the one baseline left free
    to offer substitutes, to show what that rule costs.

    Returns:
        (run name -> (hits, ndcgs), number of training baskets).
    """
    from ecomrec import schema as S
    from ecomrec.recommend.baselines import ItemKNN, popularity
    from ecomrec.recommend.complements import CartComplements, ComplementConfig
    from ecomrec.recommend.history import baskets, item_sequences, rows_of
    from ecomrec.recommend.profile import price_quantiles

    index = pd.Index(products[S.PRODUCT_ID])
    train_baskets = baskets(train_events).tolist()
    carts, targets = holdout_baskets(baskets(test_events).tolist(), seed)
    model = CartComplements(train_baskets, products, price_quantiles(products), config or ComplementConfig(),
                            embeddings=embeddings)
    pop = popularity(train_baskets, index)

    def complements(cs: Sequence[Sequence[str]]) -> np.ndarray:
        out = np.full((len(cs), len(index)), -np.inf, dtype=np.float32)
        for b, cart in enumerate(cs):
            for c in model.recommend(cart, k):
                out[b, c.row] = c.score
        return out

    def knn_run(knn: ItemKNN) -> ScoreFn:
        # popularity breaks ties among products no cart item points to
        return lambda cs: exclude_history(knn.score(cs) + 1e-6 * pop, cs, index)

    by_category = category_popularity_scores(pop, products[S.CATEGORY].to_numpy(), index, last_only=False)
    baselines = {"popularity": popularity_scores(pop, index), "category_popularity": by_category,
                 "item_knn": knn_run(ItemKNN(list(item_sequences(train_events).values()), index)),
                 "basket_knn": knn_run(ItemKNN(train_baskets, index))}

    def runs(cs: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
        substitutes = np.zeros((len(cs), len(index)), dtype=bool)  # (B, N), once per batch
        for b, cart in enumerate(cs):
            rows = rows_of(list(cart), index)
            if len(rows):
                substitutes[b] = model.substitutes(rows)
        out = {"cart": complements(cs), "category_popularity_any": by_category(cs)}
        out.update({name: np.where(substitutes, -np.inf, run(cs)) for name, run in baselines.items()})
        return out

    return runs_units(runs, carts, targets, index, k), len(train_baskets)


def cart_metrics(train_events: pd.DataFrame, test_events: pd.DataFrame, products: pd.DataFrame,
                 embeddings: np.ndarray, seed: int, config=None, k: int = 10) -> dict[str, float]:
    """Mean HR@k and NDCG@k of :func:`cart_units`' runs, named ``cart_<run>_hr@k`` (the cart list: ``cart_hr@k``)."""
    units, n_train = cart_units(train_events, test_events, products, embeddings, seed, config, k)
    metrics: dict = {"test_baskets": len(next(iter(units.values()))[0]) if units else 0, "train_baskets": n_train}
    for name, (h, g) in units.items():
        prefix = "cart" if name == "cart" else f"cart_{name}"
        metrics[f"{prefix}_hr@{k}"] = round(float(h.mean()), 4)
        metrics[f"{prefix}_ndcg@{k}"] = round(float(g.mean()), 4)
    return metrics
