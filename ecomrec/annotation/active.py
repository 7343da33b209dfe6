"""Simulated annotation: does labelling the model's least-sure queries first need fewer labels?

An oracle (the queries' known labels) answers batches of queries chosen by the queue's uncertainty order
(1 - margin of the model trained on the labels so far) or at random; after each batch the model is refit
and scored on held-out queries. The in-loop model is a logistic regression on frozen MiniLM embeddings
(refit in a second, as the queue needs after every batch), not the fine-tuned intent model.
"""
from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from ecomrec.evaluation.classification import macro_f1


def _fit_score(emb: np.ndarray, y: np.ndarray, rows: np.ndarray, test_emb: np.ndarray, test_y: np.ndarray,
               c: float) -> tuple[LogisticRegression, float]:
    model = LogisticRegression(C=c, max_iter=2000).fit(emb[rows], y[rows])
    return model, macro_f1(test_y, model.predict(test_emb))


def learning_curves(emb: np.ndarray, y: np.ndarray, test_emb: np.ndarray, test_y: np.ndarray, batch: int = 100,
                    seed: int = 13, c: float = 10.0) -> dict[str, list[tuple[int, float]]]:
    """F1-vs-labels curves of the uncertainty and random orders over the whole pool, in batches.

    Both start from the same random first batch (a model needs labels before it can be unsure).
    Returns {"uncertainty": [(labels, macro-F1), ...], "random": [...]}.
    """
    rng = np.random.default_rng(seed)
    first = rng.choice(len(y), batch, replace=False)
    shuffled = np.concatenate([first, rng.permutation(np.setdiff1d(np.arange(len(y)), first))])
    curves: dict[str, list[tuple[int, float]]] = {"uncertainty": [], "random": []}
    for order in curves:
        taken = list(first)
        while True:
            rows = np.array(taken)
            model, f1 = _fit_score(emb, y, rows, test_emb, test_y, c)
            curves[order].append((len(rows), f1))
            if len(rows) == len(y):
                break
            pool = np.setdiff1d(np.arange(len(y)), rows)
            if order == "random":
                nxt = shuffled[len(rows):len(rows) + batch]
            else:
                p = model.predict_proba(emb[pool])
                top2 = -np.sort(-p, axis=1)[:, :2]
                nxt = pool[np.argsort(top2[:, 1] - top2[:, 0] if p.shape[1] > 1 else np.zeros(len(pool)),
                                      kind="stable")[::-1][:batch]]  # smallest margin first
            taken.extend(int(i) for i in nxt)
    return curves


def labels_to_match(curves: dict[str, list[tuple[int, float]]]) -> tuple[int, int]:
    """(labels the uncertainty order needs to reach the F1 random order reaches with all labels, all labels)."""
    total, target = curves["random"][-1]
    needed = next(n for n, f1 in curves["uncertainty"] if f1 >= target)
    return needed, total
