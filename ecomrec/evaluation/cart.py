"""Cart completion: one purchased product held out of each test basket, the rest is the cart.

The app's cart list is scored beside every cart baseline on the same baskets and candidates, with
full ranking over the whole catalog (:mod:`ecomrec.evaluation.recommendation`).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.evaluation.baselines import category_popularity_scores, popularity_scores
from ecomrec.evaluation.recommendation import ScoreFn, exclude_history, runs_units
from ecomrec.evaluation.splits import holdout_baskets
from ecomrec.recommend.baselines import ItemKNN, popularity
from ecomrec.recommend.complements import CartComplements, ComplementConfig
from ecomrec.recommend.history import baskets, item_sequences, rows_of
from ecomrec.recommend.profile import price_quantiles

SHRINKS = (0.0, 1.0, 5.0, 20.0, 100.0, 1000.0)  # basket-kNN smoothing tried on validation: cosine ... raw counts


def tuned_shrink(fit_baskets: Sequence[Sequence[str]], val_baskets: Sequence[Sequence[str]], index: pd.Index,
                 seed: int, k: int = 10) -> tuple[float, float]:
    """The basket-kNN baseline's smoothing with the best HR@``k`` on validation baskets, as carefully chosen as
    the cart list's weights. Returns (shrink, its validation HR@k)."""
    carts, targets = holdout_baskets(val_baskets, seed)
    pop = popularity(fit_baskets, index)
    best = (0.0, -1.0)
    for shrink in SHRINKS:
        knn = ItemKNN(fit_baskets, index, shrink=shrink)
        units = runs_units(lambda cs, m=knn: {"knn": exclude_history(m.score(cs) + 1e-6 * pop, cs, index)},
                           carts, targets, index, k)
        value = float(units["knn"][0].mean()) if units else 0.0
        if value > best[1] + 1e-9:
            best = (shrink, value)
    return best


def cart_units(train_events: pd.DataFrame, test_events: pd.DataFrame, products: pd.DataFrame,
               embeddings: np.ndarray, seed: int, config=None, k: int = 10, shrink: float = 0.0,
               basket_model=None) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], int]:
    """Per-basket (hit@k, ndcg@k) of the cart list and its baselines on test baskets.

    Every model learns from ``train_events`` only; one purchased product is held out of each test
    basket of two or more, the rest is the cart. Runs: ``cart`` (the app's cart list with ``config``),
    ``popularity``, ``category_popularity`` (popular in the cart's categories first), ``item_knn``
    (co-occurrence across shoppers' sequences), ``basket_knn`` (co-occurrence within baskets, smoothed
    by ``shrink``: :func:`tuned_shrink`) and ``content`` (the products whose text embedding is closest to a
    cart item's). ``basket_model``: the cart setting's basket transformer, when it joined.
    Every baseline ranks the cart list's candidates: under the complements-only rule (``config``) no
    substitute of a cart item (same category, similar text); ``category_popularity_any`` is the one
    baseline left free to offer substitutes, to show what that rule costs.

    Returns:
        (run name -> (hits, ndcgs), number of training baskets).
    """
    index = pd.Index(products[S.PRODUCT_ID])
    train_baskets = baskets(train_events).tolist()
    carts, targets = holdout_baskets(baskets(test_events).tolist(), seed)
    model = CartComplements(train_baskets, products, price_quantiles(products), config or ComplementConfig(),
                            embeddings=embeddings, basket_model=basket_model)
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

    def content(cs: Sequence[Sequence[str]]) -> np.ndarray:  # described most like a cart item; popularity breaks ties
        sims = np.stack([(embeddings[rows_of(list(c), index)] @ embeddings.T).max(axis=0, initial=-1.0) for c in cs])
        return exclude_history(sims + 1e-6 * pop, cs, index)

    by_category = category_popularity_scores(pop, products[S.CATEGORY].to_numpy(), index, last_only=False)
    baselines = {"popularity": popularity_scores(pop, index), "category_popularity": by_category,
                 "item_knn": knn_run(ItemKNN(list(item_sequences(train_events).values()), index)),
                 "basket_knn": knn_run(ItemKNN(train_baskets, index, shrink=shrink)), "content": content}

    def runs(cs: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
        blocked = np.zeros((len(cs), len(index)), dtype=bool)  # (B, N), once per batch: what the cart list
        for b, cart in enumerate(cs):  # may never offer (the cart, and its substitutes under that rule)
            rows = rows_of(list(cart), index)
            if len(rows):
                blocked[b] = model.blocked(rows)
        out = {"cart": complements(cs), "category_popularity_any": by_category(cs)}
        out.update({name: np.where(blocked, -np.inf, run(cs)) for name, run in baselines.items()})
        return out

    return runs_units(runs, carts, targets, index, k), len(train_baskets)


def cart_metrics(train_events: pd.DataFrame, test_events: pd.DataFrame, products: pd.DataFrame,
                 embeddings: np.ndarray, seed: int, config=None, k: int = 10, basket_model=None) -> dict[str, float]:
    """Mean HR@k and NDCG@k of :func:`cart_units`' runs, named ``cart_<run>_hr@k`` (the cart list: ``cart_hr@k``)."""
    units, n_train = cart_units(train_events, test_events, products, embeddings, seed, config, k,
                                basket_model=basket_model)
    metrics: dict = {"test_baskets": len(next(iter(units.values()))[0]) if units else 0, "train_baskets": n_train}
    for name, (h, g) in units.items():
        prefix = "cart" if name == "cart" else f"cart_{name}"
        metrics[f"{prefix}_hr@{k}"] = round(float(h.mean()), 4)
        metrics[f"{prefix}_ndcg@{k}"] = round(float(g.mean()), 4)
    return metrics
