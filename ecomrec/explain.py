"""Explanations as plain data: which words of a query pushed the predicted intent up or down."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_WORDS = 48  # occlusion costs one forward pass per word; longer queries are explained on their start


@dataclass(frozen=True)
class TokenAttribution:
    """How much one word raised (positive) or lowered (negative) the log-odds of a label."""

    token: str
    weight: float


def intent_attributions(classifier, text: str, label: str | None = None) -> tuple[str, list[TokenAttribution]]:
    """Word occlusion: each word's weight is the label's log-odds with the query minus without that word.

    Log-odds rather than probability: a confident model sits near p = 1, where removing even a
    decisive word moves p by a hair but the log-odds clearly. All variants go through the model in
    one batch, so the cost is one forward pass of ``len(words) + 1`` short texts.

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
    p = np.clip(probs[:, k].astype(np.float64), 1e-7, 1 - 1e-7)
    log_odds = np.log(p / (1 - p))  # (W + 1,)
    return classifier.labels[k], [TokenAttribution(w, float(log_odds[0] - log_odds[i + 1]))
                                  for i, w in enumerate(words)]


REASON_THRESHOLD = 0.02  # a component adding less than this to the score is not worth a sentence


def reasons_for(components: dict[str, float], facts: dict) -> list[str]:
    """Plain sentences for the components that moved this item, biggest contribution first.

    Words a product manager reads without help ("matches the words you typed"); the numbers behind them
    are one click away, in the score breakdown. A sentence is said only when its fact holds (a product is
    "cheaper than most" only when it is cheaper than half of its category).
    """
    def strength(f: float, strong: str, fair: str, weak: str) -> str:
        return strong if f >= 0.7 else fair if f >= 0.4 else weak

    def sentence(name: str) -> str | None:
        f = facts.get(name, 0.0)
        kind = facts.get("category_name", "")
        if name == "lexical":
            return strength(f, "matches the words you typed", "matches some of the words you typed",
                            "shares a word with what you typed")
        if name == "semantic":
            return strength(f, "very close in meaning to what you typed", "close in meaning to what you typed",
                            "related in meaning to what you typed")
        if name == "rerank":
            return strength(f, "the reranker rates it a strong match", "the reranker rates it a fair match",
                            "the reranker rates it a weak match")
        if name == "category":
            sure = facts.get("category_confidence", 0.0) >= 0.5
            return (f"in {kind}, {'the' if sure else 'probably the'} kind of product you asked for") if kind else None
        if name == "brand":
            return f"made by {facts['brand']}, the brand you asked for"
        if name == "colour":
            return f"comes in {facts['colour']}, as you asked"
        if name == "price" and not np.isnan(facts["cheaper_than"]) and facts["cheaper_than"] >= 0.5:
            return f"among the cheapest {kind}" if facts["cheaper_than"] >= 0.8 else f"cheaper than most {kind}"
        if name == "rating" and facts.get("rating_value") is not None:
            return f"rated {facts['rating_value']:.1f} of 5 by {facts['rating_count']:,} shoppers"
        if name == "promotion" and facts.get("promotion"):
            return f"on promotion: {facts['promotion']}"
        if name == "popularity":
            return "popular with shoppers"
        if name == "personal":
            return "fits this shopper's history"
        if name == "diversity":
            return "placed a little lower because it resembles a product above it"
        return None

    order = sorted(components, key=lambda n: -abs(components[n]))
    out = []
    for name in order:
        v = components[name]
        if abs(v) < REASON_THRESHOLD or (name != "diversity" and v <= 0):
            continue
        s = sentence(name)
        if s:
            out.append(s)
    return out
