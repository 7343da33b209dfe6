"""Explanations as plain data: which words of a query pushed the predicted intent up or down."""
from __future__ import annotations

from dataclasses import dataclass

MAX_WORDS = 48  # occlusion costs one forward pass per word; longer queries are explained on their start


@dataclass(frozen=True)
class TokenAttribution:
    """How much one word raised (positive) or lowered (negative) the probability of a label."""

    token: str
    weight: float


def intent_attributions(classifier, text: str, label: str | None = None) -> tuple[str, list[TokenAttribution]]:
    """Word occlusion: each word's weight is p(label | query) minus p(label | query without that word).

    All variants go through the model in one batch, so the cost is one forward pass of
    ``len(words) + 1`` short texts.

    Args:
        classifier: an :class:`~ecomrec.models.intent.IntentClassifier`.
        label: the intent to explain; default the predicted one.

    Returns:
        (the explained label, one attribution per word in query order).
    """
    words = text.split()[:MAX_WORDS]
    if not words:
        raise ValueError("the query is empty: type a few words")
    variants = [" ".join(words)] + [" ".join(words[:i] + words[i + 1:]) for i in range(len(words))]
    probs = classifier.predict_proba(variants)  # (W + 1, K)
    k = classifier.labels.index(label) if label else int(probs[0].argmax())
    return classifier.labels[k], [TokenAttribution(w, float(probs[0, k] - probs[i + 1, k]))
                                  for i, w in enumerate(words)]
