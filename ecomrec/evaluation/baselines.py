"""What every model is measured beside: text-classification baselines and popularity recommenders.

Intent and label sets: TF-IDF + logistic regression, a one-word keyword rule and zero-shot label
descriptions. Recommendations: popularity, and popularity within the last item's (or the cart's)
category; both follow the rule every method does (a history's own products are never recommended).
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union

from ecomrec.evaluation.classification import classification_metrics
from ecomrec.evaluation.recommendation import ScoreFn, exclude_history

# What each intent means, in words: the zero-shot baseline embeds these and picks the closest.
INTENT_DESCRIPTIONS = {
    "browse": "browsing a kind of product to see what is available",
    "specific_item": "looking for one specific product by brand and model name",
    "compare": "comparing two products or brands against each other",
    "deal_seeking": "looking for a cheap price, a discount, a sale or a deal",
    "gift": "looking for a gift or present for someone",
    "accessory": "looking for an accessory, part or add-on for a product they own",
    "review_info": "asking for reviews, ratings, specifications or advice about a product",
    "support": "needing help with an order, delivery, return, refund or a broken product",
}


def tfidf_lr_predict(train_texts: Sequence[str], train_labels: Sequence[str], texts: Sequence[str],
                     c: float = 10.0, label_names: bool = False, every_label: Sequence[str] = ()) -> list[str]:
    """Labels for ``texts`` from TF-IDF (word 1-2 + character 2-5 grams, which survive typos) + logistic regression;
    with ``label_names``, each label's name (of the training labels and ``every_label``) is one more training
    example of it (the option the app's own models have, so the baseline gets the same inputs)."""
    model = make_pipeline(
        make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        LogisticRegression(C=c, max_iter=2000, class_weight="balanced"))
    from ecomrec.models.label_model import label_texts  # the label model's own wording of its names

    names = sorted(set(train_labels) | set(every_label)) if label_names else []
    model.fit(list(train_texts) + label_texts(names), list(train_labels) + names)
    return [str(p) for p in model.predict(list(texts))]


def tfidf_lr_baseline(train_texts: Sequence[str], train_labels: Sequence[str],
                      test_texts: Sequence[str], test_labels: Sequence[str]) -> dict[str, float]:
    """Classification metrics of :func:`tfidf_lr_predict` on the test texts."""
    return classification_metrics(list(test_labels), tfidf_lr_predict(train_texts, train_labels, test_texts))


class KeywordRule:
    """A one-word rule learned from labelled texts: the most telling word of a query decides its label.

    Each word seen at least ``min_count`` times gets the label it co-occurs with most and that
    label's share (its precision); a query takes the label of its word with the highest precision
    at or above ``min_precision``, else the most common label.
    """

    def __init__(self, texts: Sequence[str], labels: Sequence[str], min_count: int = 3,
                 min_precision: float = 0.6) -> None:
        counts: dict[str, dict[str, int]] = {}
        for text, lab in zip(texts, labels):
            for w in set(_words(text)):
                counts.setdefault(w, {}).setdefault(lab, 0)
                counts[w][lab] += 1
        self.rules: dict[str, tuple[str, float]] = {}
        for w, c in counts.items():
            total = sum(c.values())
            lab = max(c, key=c.get)
            if total >= min_count and c[lab] / total >= min_precision:
                self.rules[w] = (lab, c[lab] / total)
        self.default = max(set(labels), key=list(labels).count)

    def predict(self, texts: Sequence[str]) -> list[str]:
        """One label per text."""
        out = []
        for text in texts:
            hits = [self.rules[w] for w in _words(text) if w in self.rules]
            out.append(max(hits, key=lambda h: h[1])[0] if hits else self.default)
        return out


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9$']+", text.lower())


def zero_shot_baseline(encoder, test_texts: Sequence[str], test_labels: Sequence[str],
                       descriptions: dict[str, str] = INTENT_DESCRIPTIONS) -> dict[str, float]:
    """No training: the label whose description embedding is closest to the query's."""
    names = list(descriptions)
    label_emb = encoder.encode([descriptions[n] for n in names])  # (K, D)
    query_emb = encoder.encode(list(test_texts))  # (N, D)
    pred = [names[i] for i in np.argmax(query_emb @ label_emb.T, axis=1)]
    return classification_metrics(list(test_labels), pred)


def popularity_scores(pop: np.ndarray, index: pd.Index) -> ScoreFn:
    """The popularity baseline as a score function (history products excluded)."""
    def score(histories: Sequence[Sequence[str]]) -> np.ndarray:
        return exclude_history(np.tile(pop.astype(np.float32), (len(histories), 1)), histories, index)
    return score


def category_popularity_scores(pop: np.ndarray, categories: np.ndarray, index: pd.Index,
                               last_only: bool = True) -> ScoreFn:
    """Popularity within the history's category first, then everything else by popularity.

    Args:
        pop: (N,) popularity from training groups only.
        categories: (N,) each product's category.
        last_only: the last item's category (next item); False: every history item's category (a cart).
    """
    ranked = np.log1p(pop.astype(np.float32))
    lift = float(ranked.max()) + 1.0  # any product of the category outranks every other

    def score(histories: Sequence[Sequence[str]]) -> np.ndarray:
        out = np.tile(ranked, (len(histories), 1))  # (B, N)
        for b, h in enumerate(histories):
            rows = index.get_indexer(list(h))
            rows = rows[rows >= 0]
            if len(rows):
                cats = categories[rows[-1:]] if last_only else categories[rows]
                out[b, np.isin(categories, cats)] += lift
        return exclude_history(out, histories, index)
    return score
