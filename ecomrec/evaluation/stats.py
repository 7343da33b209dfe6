"""Intervals and tests of difference for per-query (per-shopper, per-basket) scores.

Every quality number the bench reports is a mean of per-unit scores (NDCG@10 of one query, a hit
of one shopper, one correct label). :func:`compare` turns a model's and its strongest baseline's
per-unit scores on the *same* units into the record the bench and the README print: both means,
their seeded 95 % bootstrap intervals (``scipy.stats.bootstrap``, BCa) and the p-value of a paired
two-sided randomisation test (``scipy.stats.permutation_test``, sign flips within each pair).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ecomrec.config import SEED
from ecomrec.evaluation.classification import macro_f1


@dataclass(frozen=True)
class StatsConfig:
    """Resampling settings: enough for stable second decimals of a p-value, fast on 2 cores."""

    confidence: float = 0.95
    bootstrap_resamples: int = 2000  # BCa interval ends move < 0.002 between seeds at n >= 200
    permutations: int = 10000  # smallest reachable p is ~1e-4: enough to tell p < 0.01 apart
    seed: int = SEED


def bootstrap_ci(scores: Sequence[float] | np.ndarray, config: StatsConfig = StatsConfig()) -> tuple[float, float]:
    """Seeded BCa bootstrap interval of the mean of ``scores``.

    Degenerate inputs (fewer than two units, or all scores equal) give the mean as both ends.

    Example:
        >>> bootstrap_ci([0.0, 1.0] * 50)  # doctest: +SKIP
        (0.4, 0.6)
    """
    x = np.asarray(scores, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0:
        m = float(x.mean()) if len(x) else 0.0
        return m, m
    res = stats.bootstrap((x,), np.mean, confidence_level=config.confidence, n_resamples=config.bootstrap_resamples,
                          method="BCa", vectorized=True, random_state=np.random.default_rng(config.seed))
    lo, hi = res.confidence_interval
    return float(lo), float(hi)


def paired_p(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
             config: StatsConfig = StatsConfig()) -> float:
    """Two-sided p-value that ``a`` and ``b`` (paired, same units) have the same mean.

    A randomisation test: each pair's two scores are swapped at random (``permutation_type='samples'``)
    and the mean difference recomputed. Identical inputs give p = 1.
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) != len(y):
        raise ValueError(f"paired scores need the same units: {len(x)} vs {len(y)}")
    if len(x) < 2 or np.allclose(x, y):
        return 1.0
    res = stats.permutation_test((x, y), lambda u, v, axis: np.mean(u - v, axis=axis),
                                 permutation_type="samples", n_resamples=config.permutations,
                                 alternative="two-sided", vectorized=True,
                                 random_state=np.random.default_rng(config.seed))
    return float(res.pvalue)


def compare(metric: str, model: Sequence[float] | np.ndarray, baselines: Mapping[str, Sequence[float] | np.ndarray],
            config: StatsConfig = StatsConfig(), **extra: object) -> dict:
    """The bench's record for one task: the model beside the strongest of ``baselines``.

    Args:
        metric: the metric's name, e.g. ``"ndcg@10"``.
        model: per-unit scores of the model.
        baselines: name -> per-unit scores on the same units; the one with the highest mean is
            "the strongest" (every baseline's mean is kept under ``baselines`` too).
        extra: more fields to carry (e.g. ``units=412``).

    Returns:
        ``{"metric", "model", "model_ci", "baseline", "baseline_ci", "baseline_name", "p",
        "baselines", "p_by_baseline", "units", ...extra}`` with numbers rounded to 4 places.
    """
    m = np.asarray(model, dtype=float)
    means = {name: float(np.mean(v)) if len(v) else 0.0 for name, v in baselines.items()}
    p_by = {name: paired_p(m, np.asarray(v, dtype=float), config) for name, v in baselines.items()}
    best = max(means, key=means.get)
    r = lambda v: round(float(v), 4)  # noqa: E731
    return {"metric": metric, "model": r(m.mean() if len(m) else 0.0),
            "model_ci": [r(v) for v in bootstrap_ci(m, config)],
            "baseline": r(means[best]), "baseline_ci": [r(v) for v in bootstrap_ci(baselines[best], config)],
            "baseline_name": best, "p": r(p_by[best]), "baselines": {k: r(v) for k, v in means.items()},
            "p_by_baseline": {k: r(v) for k, v in p_by.items()}, "units": int(len(m)), **extra}


def compare_labels(truth: Sequence[str], model: Sequence[str], baselines: Mapping[str, Sequence[str]],
                   config: StatsConfig = StatsConfig(), **extra: object) -> dict:
    """:func:`compare` for macro-F1, which is not a mean of per-unit scores.

    The interval resamples (truth, prediction) pairs (percentile bootstrap); the test swaps the
    model's and the baseline's prediction of each unit at random.
    """
    labels = sorted(set(truth) | set(model) | {p for v in baselines.values() for p in v})
    code = {lab: i for i, lab in enumerate(labels)}
    y = np.array([code[t] for t in truth])
    enc = lambda preds: np.array([code[p] for p in preds])  # noqa: E731
    m = enc(model)
    bs = {name: enc(v) for name, v in baselines.items()}
    n = len(labels)
    means = {name: macro_f1(y, v, n) for name, v in bs.items()}
    best = max(means, key=means.get)

    def ci(pred: np.ndarray) -> list[float]:
        if len(y) < 2:
            v = macro_f1(y, pred, n)
            return [round(v, 4)] * 2
        res = stats.bootstrap((y, pred), lambda t, p: macro_f1(t, p, n), paired=True, vectorized=False,
                              confidence_level=config.confidence, n_resamples=config.bootstrap_resamples,
                              method="percentile", random_state=np.random.default_rng(config.seed))
        return [round(float(v), 4) for v in res.confidence_interval]

    b = bs[best]
    p = macro_f1_p(y, m, b, config=config)
    r = lambda v: round(float(v), 4)  # noqa: E731
    return {"metric": "macro_f1", "model": r(macro_f1(y, m, n)), "model_ci": ci(m), "baseline": r(means[best]),
            "baseline_ci": ci(b), "baseline_name": best, "p": r(p), "baselines": {k: r(v) for k, v in means.items()},
            "units": int(len(y)), **extra}


def macro_f1_p(truth: np.ndarray, a: np.ndarray, b: np.ndarray, groups: np.ndarray | None = None,
               alternative: str = "two-sided", config: StatsConfig = StatsConfig()) -> float:
    """p-value that predictions ``a`` and ``b`` (label codes of the same units) have the same macro-F1: a
    randomisation test that swaps ``a``'s and ``b``'s prediction of each unit at random. ``groups`` (one per
    unit): the statistic is the mean over groups of each group's macro-F1 difference (e.g. one group per
    validation view). ``alternative="greater"``: the one-sided p that ``a`` is not ahead."""
    truth, a, b = (np.asarray(v) for v in (truth, a, b))
    groups = np.zeros(len(truth), dtype=int) if groups is None else np.asarray(groups)
    if len(truth) < 2 or np.array_equal(a, b):
        return 1.0
    n = int(max(truth.max(), a.max(), b.max())) + 1
    parts = [groups == g for g in np.unique(groups)]

    def gap(u: np.ndarray, v: np.ndarray) -> float:
        return float(np.mean([macro_f1(truth[g], u[g], n) - macro_f1(truth[g], v[g], n) for g in parts]))

    return float(stats.permutation_test((a, b), gap, permutation_type="samples", n_resamples=config.permutations,
                                        vectorized=False, alternative=alternative,
                                        random_state=np.random.default_rng(config.seed)).pvalue)
