"""Held-out parts: the last item of each shopper, the last part of the log's time, one product per basket, and
the queries of a judgment list (a seeded train / validation / test split, or k folds).

Test units never reach a trainer; the same functions cut validation out of the training part.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

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


# ---- queries of a judgment list: train / validation / test, and folds ----

SPLITS = ("train", "val", "test")


def query_key(query: str) -> str:
    """What a query's split is decided by: its text casefolded with whitespace collapsed, so "Tent" and
    " tent " (the same search for a shopper) can never sit on both sides of a split."""
    return " ".join(str(query).casefold().split())


def query_hash(query: str, seed: int) -> float:
    """A seeded, uniform number in [0, 1) from the query's text alone (BLAKE2b): the same query gets the same
    number in every run, on every machine, whatever other queries there are."""
    digest = hashlib.blake2b(f"{seed}\x00{query_key(query)}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def split_queries(queries: Iterable[str], seed: int, val: float = 0.2, test: float = 0.2) -> dict[str, str]:
    """Each distinct query -> "train", "val" or "test", by a seeded hash of its text.

    A query whose hash (:func:`query_hash`) falls below ``test`` is a test query, below ``test + val`` a
    validation one, otherwise a training one. Because the hash reads only the query itself, adding queries to a
    list never moves an existing one (nothing leaks from test into training as a list grows), and queries that
    differ only in case or spacing share their split. With 3 or more distinct queries every split with a
    positive fraction gets at least one: should the hash leave such a split empty (small lists), the query
    whose hash lies closest to that split's interval moves into it from a split that keeps at least one; this
    is the one case in which adding queries can later move a query back.

    Example:
        >>> s = split_queries(["tent", "sleeping bag", "dog food"], seed=13)
        >>> sorted(s.values())
        ['test', 'train', 'val']

    Raises:
        ValueError: for fractions outside [0, 1) or summing to 1 or more.
    """
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise ValueError(f"val ({val}) and test ({test}) must be fractions in [0, 1) that sum to less than 1")
    unique = list(dict.fromkeys(str(q) for q in queries))
    u = {key: query_hash(key, seed) for key in dict.fromkeys(map(query_key, unique))}
    bounds = {"test": (0.0, test), "val": (test, test + val), "train": (test + val, 1.0)}
    of = {key: "test" if h < test else "val" if h < test + val else "train" for key, h in u.items()}
    if len(u) >= 3:
        for name, (lo, hi) in bounds.items():
            if hi <= lo or name in of.values():
                continue
            sizes = {s: sum(v == s for v in of.values()) for s in SPLITS}
            movable = [key for key in u if sizes[of[key]] >= 2]
            of[min(movable, key=lambda key: (max(lo - u[key], u[key] - hi, 0.0), u[key]))] = name
    return {q: of[query_key(q)] for q in unique}


def query_folds(queries: Iterable[str], k: int, seed: int) -> list[tuple[list[str], list[str]]]:
    """``k`` folds by query: (training queries, test queries) per fold; every distinct query is in exactly one
    fold's test part, fold sizes differ by at most one, and queries keep their input order inside each part.

    Queries are ordered by their seeded hash and dealt round-robin, so the folds depend only on the queries and
    the seed (queries differing only in case or spacing share a fold).

    Raises:
        ValueError: when ``k`` < 2 or there are fewer distinct queries than folds.
    """
    unique = list(dict.fromkeys(str(q) for q in queries))
    keys = sorted({query_key(q) for q in unique}, key=lambda key: (query_hash(key, seed), key))
    if k < 2 or len(keys) < k:
        raise ValueError(f"{k} folds need k >= 2 and at least k distinct queries (there are {len(keys)})")
    fold_of = {key: i % k for i, key in enumerate(keys)}
    folds = []
    for i in range(k):
        test = [q for q in unique if fold_of[query_key(q)] == i]
        folds.append(([q for q in unique if fold_of[query_key(q)] != i], test))
    return folds
