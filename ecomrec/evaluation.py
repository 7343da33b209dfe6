"""Metrics and baselines. Every evaluator returns ``dict[str, float]``."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline, make_union

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


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    """Accuracy, macro-F1 (primary) and F1 per class."""
    labels = sorted(set(y_true) | set(y_pred))
    per_class = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    out = {"accuracy": float(accuracy_score(y_true, y_pred)),
           "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0))}
    out.update({f"f1/{lab}": float(v) for lab, v in zip(labels, per_class)})
    return out


def tfidf_lr_baseline(train_texts: Sequence[str], train_labels: Sequence[str],
                      test_texts: Sequence[str], test_labels: Sequence[str]) -> dict[str, float]:
    """TF-IDF (word 1-2 grams + character 2-5 grams, which survive typos) + logistic regression."""
    model = make_pipeline(
        make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        LogisticRegression(C=10, max_iter=2000, class_weight="balanced"))
    model.fit(list(train_texts), list(train_labels))
    return classification_metrics(list(test_labels), list(model.predict(list(test_texts))))


def zero_shot_baseline(encoder, test_texts: Sequence[str], test_labels: Sequence[str],
                       descriptions: dict[str, str] = INTENT_DESCRIPTIONS) -> dict[str, float]:
    """No training: the label whose description embedding is closest to the query's."""
    names = list(descriptions)
    label_emb = encoder.encode([descriptions[n] for n in names])  # (K, D)
    query_emb = encoder.encode(list(test_texts))  # (N, D)
    pred = [names[i] for i in np.argmax(query_emb @ label_emb.T, axis=1)]
    return classification_metrics(list(test_labels), pred)
