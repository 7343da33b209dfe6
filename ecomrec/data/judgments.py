"""Relevance judgments derived from shopper behaviour and query categories.

Two uses, kept apart so evaluation never trains on what it measures:

- :func:`search_judgments`: graded relevance for evaluating rankers on a set of queries (the
  held-out test queries): a product of the query's category counts 1, one shoppers clicked from
  that query counts 1 more, one they also put in the cart or bought counts 2 more.
- :func:`reranker_pairs`: (query, product, target, weight) training pairs for the cross-encoder,
  from the events of training queries only.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.config import SEED

RetrieveFn = Callable[[Sequence[str], int], np.ndarray]
"""retrieve(texts, k) -> (len(texts), k) catalog row positions, best first."""

LEVEL = "level"  # 1 = clicked, 2 = clicked and then carted or bought in the same session
GAIN_CATEGORY, GAIN_CLICK, GAIN_CART = 1.0, 1.0, 2.0


def query_engagements(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (query text, product) shoppers clicked from a search.

    Returns:
        columns query, product_id, ``level`` (deepest engagement in the click's session), position
        (best rank it was clicked at) and clicks (how often).
    """
    clicks = events[events[S.EVENT_TYPE].eq("click") & events[S.QUERY].notna()]
    deeper = events[events[S.EVENT_TYPE].isin(["add_to_cart", "purchase"])][[S.SESSION_ID, S.PRODUCT_ID]]
    deeper = deeper.drop_duplicates().assign(_deeper=True)
    c = clicks.merge(deeper, on=[S.SESSION_ID, S.PRODUCT_ID], how="left")
    c[LEVEL] = np.where(c["_deeper"].eq(True), 2, 1)
    return (c.groupby([S.QUERY, S.PRODUCT_ID], as_index=False)
            .agg(level=(LEVEL, "max"), position=(S.POSITION, "min"), clicks=(S.PRODUCT_ID, "size")))


def search_judgments(queries: pd.DataFrame, products: pd.DataFrame,
                     events: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Graded relevance ``{query text: {product_id: gain}}`` for queries that have a category.

    Queries without a category (support questions) are left out: no product answers them.
    """
    by_cat = products.groupby(S.CATEGORY)[S.PRODUCT_ID].apply(list).to_dict()
    eng = query_engagements(events)
    eng = eng[eng[S.QUERY].isin(set(queries[S.TEXT]))]
    engaged: dict[str, dict[str, int]] = {}
    for q, pid, level in eng[[S.QUERY, S.PRODUCT_ID, LEVEL]].itertuples(index=False):
        engaged.setdefault(q, {})[pid] = level
    out: dict[str, dict[str, float]] = {}
    for text, cat in queries.dropna(subset=[S.CATEGORY])[[S.TEXT, S.CATEGORY]].itertuples(index=False):
        gains = {pid: GAIN_CATEGORY for pid in by_cat.get(cat, ())}
        for pid, level in engaged.get(text, {}).items():
            gains[pid] = gains.get(pid, 0.0) + (GAIN_CART if level == 2 else GAIN_CLICK)
        if gains:
            out[text] = gains
    return out


@dataclass(frozen=True)
class PairConfig:
    """How training pairs for the reranker are drawn."""

    candidates: int = 30  # hard negatives come from the retriever's top-30: what the reranker will see
    hard_negatives: int = 3  # per query: retrieved but off-category and never clicked
    random_negatives: int = 1  # per query: anywhere in the catalog, so easy cases stay easy
    category_target: float = 0.6  # an unclicked product of the query's category: relevant, but less
    propensity_cap: float = 5.0  # clicks at rank r weigh (r+1), capped: inverse of 1/(r+1) examination
    max_queries: int = 500  # ~3,300 pairs: one epoch in about 85 s on 2 CPU cores


def reranker_pairs(queries: pd.DataFrame, products: pd.DataFrame, events: pd.DataFrame, retrieve: RetrieveFn,
                   exclude: set[str], config: PairConfig = PairConfig(), seed: int = SEED) -> pd.DataFrame:
    """Cross-encoder training pairs from training queries' clicks, carts and categories.

    Clicked products are positives weighted by inverse examination propensity (a click at rank 5
    says more than one at rank 1, where people click whatever is there); deeper engagement raises
    the weight. Unclicked products of the query's category are soft positives; retrieved products of
    other categories that nobody clicked are hard negatives.

    Args:
        queries: labelled training queries (text, category).
        retrieve: the first-stage retriever whose candidates the reranker will reorder.
        exclude: query texts never to train on (the held-out test queries).

    Returns:
        columns query, product_id, target (0..1), weight (mean 1).
    """
    rng = np.random.default_rng(seed)
    q = queries.dropna(subset=[S.CATEGORY])
    q = q[~q[S.TEXT].isin(exclude)].drop_duplicates(S.TEXT)
    eng = query_engagements(events)
    eng = eng[eng[S.QUERY].isin(set(q[S.TEXT]))]
    # queries with clicks first (they carry behaviour), then category-only ones
    clicked = set(eng[S.QUERY])
    order = sorted(q[S.TEXT], key=lambda t: (t not in clicked, rng.random()))[:config.max_queries]
    cat_of = dict(zip(q[S.TEXT], q[S.CATEGORY]))
    ids = products[S.PRODUCT_ID].to_numpy()
    cats = products[S.CATEGORY].to_numpy()
    cand = retrieve(order, config.candidates)  # (Q, candidates)
    rows: list[tuple[str, str, float, float]] = []
    by_query = {t: g for t, g in eng.groupby(S.QUERY)}
    for text, cand_rows in zip(order, cand):
        g = by_query.get(text)
        pos = set() if g is None else set(g[S.PRODUCT_ID])
        if g is not None:
            for pid, level, position in g[[S.PRODUCT_ID, LEVEL, S.POSITION]].itertuples(index=False):
                w = min(float(position) + 1.0 if pd.notna(position) else 1.0, config.propensity_cap)
                rows.append((text, pid, 1.0, w * level))
        in_cat = [i for i in cand_rows if cats[i] == cat_of[text] and ids[i] not in pos]
        if in_cat:
            rows.append((text, ids[in_cat[0]], config.category_target, 1.0))
        off = [i for i in cand_rows if cats[i] != cat_of[text] and ids[i] not in pos]
        for i in off[:config.hard_negatives]:
            rows.append((text, ids[i], 0.0, 1.0))
        for i in rng.choice(len(ids), size=config.random_negatives, replace=False):
            if cats[i] != cat_of[text]:
                rows.append((text, ids[i], 0.0, 1.0))
    df = pd.DataFrame(rows, columns=[S.QUERY, S.PRODUCT_ID, "target", "weight"])
    df["weight"] /= df["weight"].mean() if len(df) else 1.0
    return df
