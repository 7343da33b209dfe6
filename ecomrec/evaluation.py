"""Metrics and baselines. Every evaluator returns ``dict[str, float]``."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

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


def tfidf_lr_predict(train_texts: Sequence[str], train_labels: Sequence[str], texts: Sequence[str],
                     c: float = 10.0) -> list[str]:
    """Labels for ``texts`` from TF-IDF (word 1-2 + character 2-5 grams, which survive typos) + logistic regression."""
    model = make_pipeline(
        make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        LogisticRegression(C=c, max_iter=2000, class_weight="balanced"))
    model.fit(list(train_texts), list(train_labels))
    return [str(p) for p in model.predict(list(texts))]


def macro_f1_of(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro-F1 of string labels (scikit-learn, absent classes scored 0)."""
    return float(f1_score(list(truth), list(predicted), average="macro", zero_division=0))


def tfidf_lr_baseline(train_texts: Sequence[str], train_labels: Sequence[str],
                      test_texts: Sequence[str], test_labels: Sequence[str]) -> dict[str, float]:
    """Metrics of :func:`tfidf_lr_predict` on the test texts."""
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


def ndcg_at_k(ranked: Sequence[str], gains: dict[str, float], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the first ``k`` of ``ranked`` (graded gains)."""
    dcg = sum(gains.get(pid, 0.0) / np.log2(r + 2) for r, pid in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    idcg = sum(g / np.log2(r + 2) for r, g in enumerate(ideal))
    return float(dcg / idcg) if idcg > 0 else 0.0


def reciprocal_rank(ranked: Sequence[str], gains: dict[str, float]) -> float:
    """1 / rank of the first relevant product (0 when none is ranked)."""
    return next((1.0 / (r + 1) for r, pid in enumerate(ranked) if gains.get(pid, 0.0) > 0), 0.0)


def recall_at_k(ranked: Sequence[str], gains: dict[str, float], k: int) -> float:
    """Share of the relevant products found in the first ``k``."""
    relevant = {p for p, g in gains.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def ranking_metrics(runs: dict[str, Sequence[str]], judgments: dict[str, dict[str, float]],
                    recall_k: int = 50) -> dict[str, float]:
    """Mean NDCG@10 (primary), MRR and Recall@``recall_k`` over the judged queries of ``runs``.

    Args:
        runs: query text -> ranked product ids, best first (the whole ranking, not a sample).
        judgments: query text -> {product_id: gain}; queries missing from ``runs`` count as 0.
    """
    scores = [(ndcg_at_k(runs.get(q, []), g), reciprocal_rank(runs.get(q, []), g),
               recall_at_k(runs.get(q, []), g, recall_k)) for q, g in judgments.items()]
    if not scores:
        return {"ndcg@10": 0.0, "mrr": 0.0, f"recall@{recall_k}": 0.0}
    ndcg, mrr, rec = np.mean(scores, axis=0)
    return {"ndcg@10": float(ndcg), "mrr": float(mrr), f"recall@{recall_k}": float(rec)}


def dense_runs(query_emb: np.ndarray, catalog_emb: np.ndarray, ids: np.ndarray, queries: Sequence[str],
               k: int = 100) -> dict[str, list[str]]:
    """Exact inner-product retrieval over the whole catalog: query text -> top-``k`` product ids."""
    top = top_k(query_emb @ catalog_emb.T, k)
    return {q: ids[row].tolist() for q, row in zip(queries, top)}


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Column positions (Q, k) of each row's ``k`` highest scores, best first."""
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]  # (Q, k), unordered
    order = np.take_along_axis(scores, top, 1).argsort(1, kind="stable")[:, ::-1]
    return np.take_along_axis(top, order, 1)


Runs = dict[str, list[str]]
"""query text -> ranked product ids, best first."""


def rerank_runs(ids: np.ndarray, docs: Sequence[str], dense_retrieve: Callable[[list[str], int], np.ndarray],
                reranker, queries: Sequence[str], depth: int) -> tuple[Runs, Runs]:
    """The dense top-``depth`` per query, and the same candidates reordered by ``reranker``.

    Args:
        ids, docs: product ids and what the reranker reads of each, catalog order.
        dense_retrieve: ``(texts, k) -> (Q, k)`` row positions of each text's nearest products.

    Returns:
        (dense runs, reranked runs), each query text -> product ids, best first.
    """
    rows = dense_retrieve(list(queries), depth)  # (Q, depth)
    pair_q = [q for q in queries for _ in range(rows.shape[1])]
    scores = reranker.score_pairs(pair_q, [docs[i] for i in rows.ravel()]).reshape(rows.shape)  # (Q, depth)
    dense = {q: ids[r].tolist() for q, r in zip(queries, rows)}
    reranked = {q: ids[r[np.argsort(-s, kind="stable")]].tolist() for q, r, s in zip(queries, rows, scores)}
    return dense, reranked
