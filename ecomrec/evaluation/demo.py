"""What a viewer of a demo would question, counted: accessories above the product asked for, slots not kept,
substitutes in a cart list, lists of one kind. Pure functions over ranked product ids; the bench section
``demo_quality`` (:func:`ecomrec.bench.bench_demo_quality`) feeds them the app's own lists."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ecomrec import schema as S

Run = Mapping[str, Sequence[str]]  # query (or list name) -> product ids, best first


def accessory_at_top(runs: Run, qrels: pd.DataFrame, k: int = 3) -> tuple[float, int]:
    """Share of queries whose top ``k`` hold a Complement (ESCI "C") while an Exact ("E") exists for them.

    Only queries with both an Exact and a Complement judgment count: they name a product that has
    accessories. Returns (share, queries counted)."""
    counted = hits = 0
    for query, g in qrels.groupby("query"):
        if query not in runs or not (g["label"] == "E").any():
            continue
        complements = set(g.loc[g["label"] == "C", S.PRODUCT_ID])
        if not complements:
            continue
        counted += 1
        hits += bool(complements & set(list(runs[query])[:k]))
    return (hits / counted if counted else 0.0), counted


def slot_kept_at(runs: Run, slots: Mapping[str, dict], keeps: Callable[[dict], np.ndarray | None],
                 ids: np.ndarray, eligible: Mapping[str, np.ndarray], k: int = 5, min_products: int = 5
                 ) -> tuple[float, int]:
    """Mean share of the top ``k`` that keep every size, colour and brand slot of their query.

    Args:
        slots: query -> its slots (only brand, colour and size are read).
        keeps: slots -> (N,) whether each catalog product keeps them (None: no such slot).
        ids: (N,) catalog product ids.
        eligible: query -> (N,) products of the kind it asks for; a query counts only when at least
            ``min_products`` of them keep its slots ("where enough such products exist").

    Returns:
        (mean share, queries counted)."""
    shares = []
    for query, s in slots.items():
        mask = keeps({n: s[n] for n in ("brand", "colour", "size") if s.get(n)})
        if mask is None or query not in runs or (mask & eligible[query]).sum() < min_products:
            continue
        top = list(runs[query])[:k]
        kept = set(ids[mask])
        shares.append(sum(p in kept for p in top) / k)
    return (float(np.mean(shares)) if shares else 0.0), len(shares)


def substitutes_in(lists: Sequence[Sequence[str]], carts: Sequence[Sequence[str]], category: Mapping[str, str]
                   ) -> int:
    """Products in each cart list that share a category with an item of its cart (could replace it)."""
    return sum(sum(category.get(p) in {category.get(c) for c in cart} for p in lst) for lst, cart in zip(lists, carts))


def distinct_categories(lists: Sequence[Sequence[str]], category: Mapping[str, str], k: int = 10) -> float:
    """Mean number of distinct categories in each list's top ``k``."""
    counts = [len({category.get(p) for p in list(lst)[:k]}) for lst in lists if len(lst)]
    return float(np.mean(counts)) if counts else 0.0


def interests_kept(lists: Sequence[Sequence[str]], interests: Sequence[Sequence[str]], category: Mapping[str, str],
                   k: int = 10) -> float:
    """Share of the shoppers' interests (categories, one list per shopper) that have a product in that shopper's
    top ``k``, over every shopper's interests together (0 when none has any)."""
    kept = total = 0
    for lst, mine in zip(lists, interests):
        listed = {category.get(p) for p in list(lst)[:k]}
        kept += sum(c in listed for c in mine)
        total += len(mine)
    return kept / total if total else 0.0
