"""Implicit judgments from a data set's clicks: what shoppers clicked after a search, corrected for position.

The estimator is **clicks over expected clicks** (COEC) in its position-propensity form, because a click log
holds clicks but not impressions (which products were shown and not clicked):

1. **CTR by position from the log itself.** Every search click with a position counts; the click share of
   position ``p`` (clicks at ``p`` / clicks with a position) stands in for the click-through rate at ``p``. It is
   made non-increasing down the page (running minimum: a lower slot is never examined more than the one above)
   and divided by the top position's share: the propensity ``prop(p)`` (1 at the top).
2. **Expected clicks.** Were a product shown at ``p`` in each of a query's searches, it would be expected to
   draw ``searches * CTR(p)`` clicks, so its COEC ``clicks / (searches * CTR(p))`` is, up to the query's constant
   ``searches * CTR(top)``, ``clicks / prop(p)``. Taking each click's own position as the impression it came
   from gives ``sum over its clicks of 1 / prop(p_i)``: its clicks as if all had been at the top (inverse
   propensity weighting). Each weight is clipped at ``max_weight``; a click without a position weighs 1.
3. **Gains in [0, 1].** Within each query the scores are divided by the query's largest, so its most clicked
   product (position-corrected) gains 1. Queries with fewer than ``min_products`` clicked products are dropped.

Limits, said plainly: click share mixes examination with relevance (the logging ranker put better products
higher, so the top's share overstates its examination and deep clicks are over-corrected; the clip bounds
that); the log must record the position a product was clicked at; without impressions nothing is judged
irrelevant (an unclicked product is absent from the list, not gain 0) and searches without a click are
invisible; one shopper clicking one product many times counts each click; positions are assumed comparable
across queries and devices. Gains are relative within a query, not comparable across queries.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecomrec import schema as S


@dataclass(frozen=True)
class ClickConfig:
    """How clicks become gains."""

    # a query with one clicked product orders nothing: any ranking that finds it scores NDCG 1, and a trainer
    # learns no preference from it
    min_products: int = 2
    # clipped inverse propensity (Joachims et al. 2017): a click deep down counts at most 10 top clicks, so one
    # stray deep click cannot outweigh the product most shoppers chose
    max_weight: float = 10.0


@dataclass(frozen=True, eq=False)
class ClickJudgments:
    """Gains from clicks, with what the estimate rests on.

    Attributes:
        pairs: query, product_id, gain (in [0, 1] within each query), clicks, weighted (clicks as if at the top).
        propensity: position -> prop(p) as estimated from the log (1 at the top position).
        counts: clicks (search clicks read), clicks_with_position, queries (kept), queries_dropped (too few
            clicked products), pairs.
    """

    pairs: pd.DataFrame = field(repr=False)
    propensity: dict[int, float]
    counts: dict[str, int]

    def describe(self) -> str:
        """The estimator and its numbers in one line, for a list's notes."""
        shown = ", ".join(f"{p}: {v:.2f}" for p, v in list(self.propensity.items())[:10])
        return (f"COEC from {self.counts['clicks']} search clicks (position-propensity form, CTR by position = "
                f"click share; propensity {shown}); {self.counts['queries_dropped']} queries with too few clicked "
                "products dropped")


def position_propensity(positions: pd.Series) -> dict[int, float]:
    """Position -> propensity from the clicks' positions: click share, made non-increasing down the page, over
    the top position's share.

    Example:
        >>> position_propensity(pd.Series([0, 0, 0, 0, 1, 1, 2, 3, 3]))
        {0: 1.0, 1: 0.5, 2: 0.25, 3: 0.25}
    """
    pos = pd.to_numeric(positions, errors="coerce").dropna().astype(int)
    if pos.empty:
        return {}
    share = pos.value_counts(normalize=True).sort_index().cummin()
    return {int(p): float(s / share.iloc[0]) for p, s in share.items()}


def click_judgments(events: pd.DataFrame, config: ClickConfig | None = None,
                    exclude: Iterable[str] = ()) -> ClickJudgments:
    """Graded pairs from the search clicks in ``events`` (schema events: event_type, query, product_id, position).

    Args:
        exclude: query texts left out (e.g. a data set's held-out test queries, when the list will train).

    Raises:
        ValueError: when no query is left (no search clicks, or none with enough clicked products).
    """
    config = config or ClickConfig()
    ev = events[events[S.EVENT_TYPE].eq("click") & events[S.QUERY].notna()]
    ev = ev[ev[S.QUERY].astype(str).str.strip().ne("") & ~ev[S.QUERY].isin(set(exclude))]
    if ev.empty:
        raise ValueError("no search clicks (click events with a query) to judge from")
    prop = position_propensity(ev[S.POSITION]) if S.POSITION in ev.columns else {}
    pos = pd.to_numeric(ev[S.POSITION], errors="coerce") if S.POSITION in ev.columns else pd.Series(np.nan, ev.index)
    weight = np.minimum(pos.map(lambda p: 1.0 if pd.isna(p) else 1.0 / prop[int(p)]).astype(float),
                        config.max_weight)
    scored = pd.DataFrame({"query": ev[S.QUERY].astype(str).to_numpy(), S.PRODUCT_ID: ev[S.PRODUCT_ID].astype(str)
                           .to_numpy(), "weight": weight.to_numpy()})
    pairs = (scored.groupby(["query", S.PRODUCT_ID], sort=True, as_index=False)
             .agg(clicks=("weight", "size"), weighted=("weight", "sum")))
    products = pairs.groupby("query")[S.PRODUCT_ID].transform("size")
    kept = pairs[products >= config.min_products].copy()
    dropped = int(pairs["query"].nunique() - kept["query"].nunique())
    if kept.empty:
        raise ValueError(f"no query has {config.min_products} or more clicked products ({dropped} queries have fewer)")
    kept["gain"] = kept["weighted"] / kept.groupby("query")["weighted"].transform("max")
    kept = kept.sort_values(["query", "gain", S.PRODUCT_ID], ascending=[True, False, True], kind="stable")
    counts = {"clicks": len(ev), "clicks_with_position": int(pos.notna().sum()),
              "queries": int(kept["query"].nunique()), "queries_dropped": dropped, "pairs": len(kept)}
    return ClickJudgments(kept[["query", S.PRODUCT_ID, "gain", "clicks", "weighted"]].reset_index(drop=True),
                          prop, counts)
