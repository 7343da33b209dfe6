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

    Each sentence quotes the number behind its component (``facts`` holds the raw features and
    the product facts they came from), so a reason never claims what the scores do not show.
    """
    def sentence(name: str) -> str | None:
        f = facts.get(name, 0.0)
        if name == "lexical":
            return f"shares words with your query (BM25 {f:.0%} of the best match)"
        if name == "semantic":
            return f"close in meaning to your query (cosine similarity {f:.2f})"
        if name == "rerank":
            return f"the cross-encoder reads it as relevant ({f:.0%})"
        if name == "category":
            return (f"in {facts['category_name']}, the category your query is about "
                    f"({facts['category_confidence']:.0%} sure)")
        if name == "brand":
            return f"made by {facts['brand']}, the brand you asked for"
        if name == "colour":
            return f"comes in {facts['colour']}, as you asked"
        if name == "price" and not np.isnan(facts["cheaper_than"]):
            return f"cheaper than {facts['cheaper_than']:.0%} of {facts['category_name']}"
        if name == "rating" and facts.get("rating_value") is not None:
            return f"rated {facts['rating_value']:.1f} by {facts['rating_count']:,} shoppers"
        if name == "promotion" and facts.get("promotion"):
            return f"on promotion: {facts['promotion']}"
        if name == "popularity":
            return f"popular with shoppers ({f:.0%} of the most engaged product's interest, log scale)"
        if name == "personal":
            return f"fits this shopper's history (affinity {f:.2f})"
        if name == "diversity":
            return f"ranked a little lower because it resembles a product above it ({components[name]:+.2f})"
        return None

    order = sorted(components, key=lambda n: -abs(components[n]))
    out = []
    for name in order:
        v = components[name]
        if abs(v) < REASON_THRESHOLD or (name != "diversity" and v <= 0):
            continue
        s = sentence(name)
        if s:
            out.append(f"{s} ({v:+.2f})" if name != "diversity" else s)
    return out
