"""A model's suggestion for each record: the label it would pick, how sure it is, and how uncertain.

A trained model is used when its labels are exactly the set's; otherwise (a new or edited label set, a
data set without models) the suggestion is read zero-shot: the query's embedding against each label's
name, description and examples, as the category is read from catalog names when no head is trained.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ecomrec.annotation.store import Label
from ecomrec.search.understanding import ZERO_SHOT_TEMPERATURE

ZERO_SHOT = "zero-shot"


def label_text(label: Label) -> str:
    """What a label means, as one text to embed: its name, description and examples."""
    parts = [label.name.replace("_", " ")]
    if label.description:
        parts.append(label.description)
    parts.extend(label.examples)
    return ". ".join(parts)


def zero_shot_probabilities(query_embeddings: np.ndarray, label_embeddings: np.ndarray) -> np.ndarray:
    """Softmax over cosines (unit vectors in), (N, K)."""
    sims = query_embeddings @ label_embeddings.T
    z = np.exp((sims - sims.max(axis=1, keepdims=True)) / ZERO_SHOT_TEMPERATURE)
    return z / z.sum(axis=1, keepdims=True)


def top_with_margin(probabilities: np.ndarray, names: Sequence[str]) -> list[tuple[str, float, float]]:
    """Per row: (most likely label, its probability, uncertainty = 1 - (top - second probability))."""
    if probabilities.shape[1] == 1:
        return [(names[0], 1.0, 0.0) for _ in probabilities]
    top2 = -np.sort(-probabilities, axis=1)[:, :2]
    best = probabilities.argmax(axis=1)
    return [(names[int(b)], float(t[0]), float(1 - (t[0] - t[1]))) for b, t in zip(best, top2)]
