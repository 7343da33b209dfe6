"""Whether a classifier's confidences mean what they say: expected calibration error, the reliability
table behind a reliability diagram, and temperature scaling fitted on validation (Guo et al., "On
Calibration of Modern Neural Networks", ICML 2017)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

BINS = 10  # equal-width confidence bins, the usual choice for ECE
MIN_ROWS = 30  # validation rows below which a fitted temperature is noise


def reliability(probs: np.ndarray, y: np.ndarray, bins: int = BINS) -> pd.DataFrame:
    """Per confidence bin (top-label confidence in equal-width bins, empty ones left out): mean ``confidence``,
    ``accuracy`` and ``count`` of (N, K) ``probs`` against true label columns ``y`` (N,)."""
    conf = probs.max(axis=1)
    right = probs.argmax(axis=1) == np.asarray(y)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    table = pd.DataFrame({"bin": which, "confidence": conf, "accuracy": right.astype(float)})
    out = table.groupby("bin").agg(confidence=("confidence", "mean"), accuracy=("accuracy", "mean"),
                                   count=("accuracy", "size")).reset_index()
    out["low"], out["high"] = out["bin"] / bins, (out["bin"] + 1) / bins
    return out


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = BINS) -> float:
    """ECE: the count-weighted mean gap between confidence and accuracy over the bins of :func:`reliability`."""
    if len(y) == 0:
        return 0.0
    t = reliability(probs, y, bins)
    return float((t["count"] * (t["confidence"] - t["accuracy"]).abs()).sum() / len(y))


def fit_temperature(probs: np.ndarray, y: np.ndarray) -> float:
    """The temperature T that minimises the negative log-likelihood of ``softmax(log p / T)`` on validation
    (N, K) ``probs`` and labels ``y``; 1 below ``MIN_ROWS`` rows or when none is wrong (the likelihood then
    falls for ever as T falls, and every confidence, wrong ones to come included, would be pushed to 100 %)."""
    if len(y) < MIN_ROWS or (probs.argmax(axis=1) == np.asarray(y)).all():
        return 1.0
    log_p = np.log(np.clip(probs, 1e-12, 1.0))
    rows = np.arange(len(y))

    def nll(t: float) -> float:
        return float(-log_softmax(log_p / t, axis=1)[rows, y].mean())

    return float(minimize_scalar(nll, bounds=(0.05, 20.0), method="bounded").x)


def with_temperature(probs: np.ndarray, t: float) -> np.ndarray:
    """(N, K) ``softmax(log p / t)``: t > 1 softens over-confident probabilities, t < 1 sharpens timid ones."""
    return np.exp(log_softmax(np.log(np.clip(probs, 1e-12, 1.0)) / t, axis=1))
