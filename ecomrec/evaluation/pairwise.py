"""How far two rankings of the same query agree, without any judgment: overlap@k, rank-biased overlap and
Kendall's τ.

Comparing two search settings needs no relevance grades when the question is "what changes for shoppers?":
the share of the first page they share (:func:`overlap_at_k`), a top-weighted similarity that counts agreement
near the top more than below (:func:`rbo`, Webber et al. 2010), and whether the products both show come in
the same order (:func:`kendall_tau`). :func:`compare_runs` scores every query of two runs at once.

Lists are product ids, best first; a product listed twice counts at its first place only.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

RBO_P = 0.9  # persistence: the first 10 ranks carry ~86 % of the weight (Webber et al.'s table 1), a page of results
OVERLAP_K = 10  # one page of results


def _dedup(ranked: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ranked))


def overlap_at_k(a: Sequence[str], b: Sequence[str], k: int = OVERLAP_K) -> float:
    """Share of the first ``k`` products that both lists show: ``|a[:k] ∩ b[:k]| / k``.

    When both lists are shorter than ``k`` the longer one's length divides instead (two identical short lists
    overlap fully); two empty lists overlap fully (1.0), an empty and a non-empty one not at all (0.0).

    Example:
        >>> overlap_at_k(["a", "b", "c"], ["c", "d", "a"], k=3)
        0.6666666666666666
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    top_a, top_b = _dedup(a)[:k], _dedup(b)[:k]
    n = max(len(top_a), len(top_b))
    return 1.0 if n == 0 else len(set(top_a) & set(top_b)) / n


def rbo(a: Sequence[str], b: Sequence[str], p: float = RBO_P) -> float:
    """Extrapolated rank-biased overlap of two ranked lists, in [0, 1] (1: the same list).

    RBO is the expected overlap of the two lists' prefixes at a depth drawn with weight ``(1 - p) p^(d-1)``: a
    user who goes on to the next rank with probability ``p`` (0.9: the first 10 ranks carry ~86 % of the weight).
    Only the given prefixes are seen, so this is RBO_EXT, Webber, Moffat & Zobel, "A similarity measure for
    indefinite rankings", ACM TOIS 28(4), 2010, equation (32): the agreement seen at the deepest rank is assumed
    to hold below it, and for lists of different lengths the shorter list's items are assumed to keep matching
    the longer's as they did (equation (30) when both lengths are equal)::

        RBO_EXT = (1-p)/p * [ sum_{d=1..l} X_d/d p^d + sum_{d=s+1..l} X_s (d-s)/(s d) p^d ]
                  + [ (X_l - X_s)/l + X_s/s ] p^l

    where ``s <= l`` are the lengths and ``X_d`` the number of items the first ``d`` of both share (for
    ``d > s``: all of the shorter list against the first ``d`` of the longer).

    Two empty lists give 1.0, one empty list 0.0.

    Example:
        >>> round(rbo(["a", "b"], ["b", "a"]), 4)  # X_1 = 0, X_2 = 2: (0.1/0.9) * 0.81 + 0.81
        0.9
    """
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")
    a, b = _dedup(a), _dedup(b)
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    s, n = len(short), len(long_)  # Webber et al.'s s and l
    if n == 0:
        return 1.0
    if s == 0:
        return 0.0
    seen_s: set[str] = set()
    seen_l: set[str] = set()
    x = [0] * (n + 1)  # x[d]: items shared by the first d of both (d > s: all of the short list)
    total = 0.0
    for d in range(1, n + 1):
        item_l = long_[d - 1]
        seen_l.add(item_l)
        shared = x[d - 1] + (item_l in seen_s)
        if d <= s:
            item_s = short[d - 1]
            seen_s.add(item_s)
            shared += item_s in seen_l  # counts once when item_s == item_l: it entered seen_l first
        x[d] = shared
        total += x[d] / d * p ** d
    x_s, x_l = x[s], x[n]
    tail = sum(x_s * (d - s) / (s * d) * p ** d for d in range(s + 1, n + 1))
    return (1 - p) / p * (total + tail) + ((x_l - x_s) / n + x_s / s) * p ** n


def kendall_tau(a: Sequence[str], b: Sequence[str]) -> tuple[float, int]:
    """Kendall's τ-b (``scipy.stats.kendalltau``) of the products both lists show, over their ranks in each.

    Products only one list shows are left out: τ answers "do the shared products come in the same order?",
    overlap and RBO answer "are they the same products?". With fewer than two shared products the order is
    undefined and τ is NaN (shown as "n/a", left out of means).

    Returns:
        (τ in [-1, 1] or NaN, the number of shared products).

    Example:
        >>> kendall_tau(["a", "b", "c", "x"], ["c", "b", "a", "y"])
        (-1.0, 3)
    """
    from scipy.stats import kendalltau

    a, b = _dedup(a), _dedup(b)
    pos_b = {pid: i for i, pid in enumerate(b)}
    shared = [pid for pid in a if pid in pos_b]
    if len(shared) < 2:
        return math.nan, len(shared)
    tau = kendalltau(list(range(len(shared))), [pos_b[pid] for pid in shared]).statistic
    return float(tau), len(shared)


def compare_runs(runs_a: Mapping[str, Sequence[str]], runs_b: Mapping[str, Sequence[str]],
                 k: int = OVERLAP_K, p: float = RBO_P) -> pd.DataFrame:
    """Per query of both runs: ``overlap@k``, ``rbo`` (of the first ``k`` of each) and ``kendall_tau`` with
    ``shared`` (over the first ``k`` of each), most changed first (lowest RBO, then lowest overlap).

    Args:
        runs_a, runs_b: query text -> product ids, best first; queries in only one of them are left out.

    Example:
        >>> compare_runs({"q": ["a", "b"]}, {"q": ["b", "a"]}, k=2)["overlap@2"].tolist()
        [1.0]
    """
    rows = []
    for q in runs_a:
        if q not in runs_b:
            continue
        top_a, top_b = _dedup(runs_a[q])[:k], _dedup(runs_b[q])[:k]
        tau, shared = kendall_tau(top_a, top_b)
        rows.append({"query": q, f"overlap@{k}": overlap_at_k(top_a, top_b, k), "rbo": rbo(top_a, top_b, p),
                     "kendall_tau": tau, "shared": shared})
    df = pd.DataFrame(rows, columns=["query", f"overlap@{k}", "rbo", "kendall_tau", "shared"])
    return df.sort_values(["rbo", f"overlap@{k}"], kind="stable").reset_index(drop=True)
