"""Label metrics: accuracy, F1 per label and the one macro-F1 every trainer, baseline and test uses.

F1 of a label is ``2 tp / (2 tp + fp + fn)`` from the confusion matrix, as scikit-learn computes it;
macro-F1 is their mean over the labels present in the truth or the predictions (scikit-learn's
``f1_score(average="macro", zero_division=0)``). Counting with ``np.bincount`` keeps it fast enough
to resample thousands of times (:func:`ecomrec.evaluation.stats.compare_labels`).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _f1_by_code(truth: np.ndarray, pred: np.ndarray, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """(F1 of each code 0..n_labels-1, whether the code occurs in ``truth`` or ``pred``)."""
    cm = np.bincount(truth * n_labels + pred, minlength=n_labels * n_labels).reshape(n_labels, n_labels)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1) + cm.sum(axis=0)  # 2tp + fp + fn
    present = support > 0
    return np.where(present, 2 * tp / np.maximum(support, 1), 0.0), present


def _codes(y_true: Sequence, y_pred: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted labels, truth codes, prediction codes) of labels of any sortable kind."""
    t, p = np.asarray(list(y_true)), np.asarray(list(y_pred))
    labels, codes = np.unique(np.concatenate([t, p]), return_inverse=True)
    return labels, codes[:len(t)], codes[len(t):]


def macro_f1(y_true: Sequence | np.ndarray, y_pred: Sequence | np.ndarray, n_labels: int | None = None) -> float:
    """Macro-F1 over the labels present in ``y_true`` or ``y_pred``, absent ones scored 0.

    Args:
        y_true, y_pred: labels (strings, integers); with ``n_labels``, integer codes in
            ``0..n_labels-1`` used as they are (the resampling path: no encoding per call).

    Example:
        >>> macro_f1(["a", "a", "b"], ["a", "b", "b"])  # F1 of a: 2/3, of b: 2/3
        0.6666666666666666
    """
    if n_labels is None:
        labels, truth, pred = _codes(y_true, y_pred)
        n_labels = len(labels)
    else:
        truth, pred = np.asarray(y_true), np.asarray(y_pred)
    if n_labels == 0:
        return 0.0
    f1, present = _f1_by_code(truth, pred, n_labels)
    return float(np.mean(f1[present])) if present.any() else 0.0


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1 (primary) and F1 per label (``f1/<label>``)."""
    labels, truth, pred = _codes(y_true, y_pred)
    f1, _ = _f1_by_code(truth, pred, len(labels))
    out = {"accuracy": float(np.mean(truth == pred)) if len(truth) else 0.0,
           "macro_f1": macro_f1(truth, pred, len(labels))}
    out.update({f"f1/{lab}": float(v) for lab, v in zip(labels.tolist(), f1)})
    return out
