"""Held-out parts: the last item of each shopper, the last part of the log's time, one product per basket.

Test units never reach a trainer; the same functions cut validation out of the training part.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ecomrec import schema as S


def leave_last_out(sequences: dict[str, list[str]], min_len: int = 2) -> tuple[list[list[str]], list[str]]:
    """Split each sequence of ``min_len`` or more items into (history, held-out last item).

    Example:
        >>> leave_last_out({"u": ["A", "B", "C"], "v": ["A"]})
        ([['A', 'B']], ['C'])
    """
    kept = [s for s in sequences.values() if len(s) >= min_len]
    return [s[:-1] for s in kept], [s[-1] for s in kept]


def split_by_time(events: pd.DataFrame, test_fraction: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sessions that start in the last ``test_fraction`` of the log's time span are the test part."""
    starts = events.groupby(S.SESSION_ID)[S.TIMESTAMP].min()
    cutoff = starts.quantile(1.0 - test_fraction)
    test_sessions = set(starts.index[starts > cutoff])
    is_test = events[S.SESSION_ID].isin(test_sessions)
    return events[~is_test], events[is_test]


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
