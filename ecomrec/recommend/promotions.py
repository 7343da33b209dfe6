"""Promotions a shopper would care about: live at the clock, ranked by interest x discount."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecomrec import schema as S


def live(promotions: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """The promotions whose window contains ``now`` (start and end inclusive)."""
    return promotions[(promotions[S.START] <= now) & (promotions[S.END] >= now)]


def promoted_products(promotions: pd.DataFrame, products: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Every product covered by a live promotion, with its best discount and that promotion.

    Returns:
        columns ``row`` (catalog position), ``promo_id``, ``title`` (the promotion's), ``discount``, ``end``.
    """
    active = live(promotions, now)
    index = pd.Index(products[S.PRODUCT_ID])
    categories = products[S.CATEGORY].to_numpy()  # once: 50,000 strings converted per promotion added up
    parts = []
    for promo in active.itertuples(index=False):
        pid, cat = getattr(promo, S.PRODUCT_ID), getattr(promo, S.CATEGORY)
        if isinstance(pid, str) and pid:
            rows = index.get_indexer([pid])
            rows = rows[rows >= 0]
        else:
            rows = np.flatnonzero(categories == cat)
        parts.append(pd.DataFrame({"row": rows, "promo_id": getattr(promo, S.PROMO_ID), "title": promo.title,
                                   "discount": float(promo.discount), "end": getattr(promo, S.END)}))
    if not parts:
        return pd.DataFrame(columns=["row", "promo_id", "title", "discount", "end"])
    out = pd.concat(parts, ignore_index=True).sort_values("discount", ascending=False, kind="stable")
    return out.drop_duplicates("row").reset_index(drop=True)


def rank_promoted(offers: pd.DataFrame, interest: np.ndarray, k: int, per_promotion: int = 2) -> pd.DataFrame:
    """The ``k`` best offers by ``interest[row] x discount``, at most ``per_promotion`` per promotion.

    Args:
        offers: :func:`promoted_products`.
        interest: (N,) the shopper's interest in each catalog product, in [0, 1].
    """
    if offers.empty:
        return offers.assign(interest=[], score=[])
    out = offers.assign(interest=interest[offers["row"].to_numpy(dtype=int)])
    out["score"] = out["interest"] * out["discount"]
    out = out.sort_values("score", ascending=False, kind="stable")
    return out.groupby("promo_id", sort=False).head(per_promotion).head(k).reset_index(drop=True)
