"""Recommendation metrics with full ranking over the whole catalog (no sampled negatives).

Next item: for every shopper with two or more products, the last one is held out and the rest is
the history (:func:`ecomrec.evaluation.splits.leave_last_out`); HR@10 says whether it is in the top
10, NDCG@10 how high. Products already in the history are never recommended, by every method alike
(:func:`exclude_history`). Cart completion (:mod:`ecomrec.evaluation.cart`) scores the same way.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

ScoreFn = Callable[[Sequence[Sequence[str]]], np.ndarray]
"""score(histories) -> (B, N) scores over the catalog; -inf for products never to recommend."""


def hit_metrics(scores: np.ndarray, targets: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Per-row (hit@k, ndcg@k) of each row's ``targets`` column in ``scores`` (B, N).

    Ties are broken as the app's lists break them (a stable sort: the product earlier in the catalog
    first), not always in the target's favour: a rule that scores a whole category alike gets no free hits.
    """
    target_score = scores[np.arange(len(targets)), targets]  # (B,)
    before = np.arange(scores.shape[1])[None, :] < np.asarray(targets)[:, None]  # (B, N) earlier in the catalog
    better = ((scores > target_score[:, None]) | ((scores == target_score[:, None]) & before)).sum(axis=1)
    hit = (better < k) & np.isfinite(target_score)
    return hit.astype(float), np.where(hit, 1.0 / np.log2(better + 2.0), 0.0)


def next_item_metrics(score: ScoreFn, histories: Sequence[Sequence[str]], targets: Sequence[str],
                      index: pd.Index, k: int = 10, batch: int = 256) -> dict[str, float]:
    """Mean ``hr@k`` (primary) and ``ndcg@k`` of ``score`` over held-out ``targets`` (product ids)."""
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
