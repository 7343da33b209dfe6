"""First-stage retrieval: BM25 (bm25s) over product text, dense inner product (faiss) over embeddings.

Both return ``(rows, scores)``: catalog row positions, best first, and their raw scores. The dense
index is exact (``IndexFlatIP``) by default; above ``ann_threshold`` products it switches to HNSW,
an approximate graph index whose search time grows with log N instead of N.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np


@dataclass(frozen=True)
class Hits:
    """Retrieved catalog rows, best first, with their scores (same length)."""

    rows: np.ndarray  # (k,) int
    scores: np.ndarray  # (k,) float

    @classmethod
    def empty(cls) -> Hits:
        return cls(np.zeros(0, dtype=int), np.zeros(0, dtype=np.float32))


def tokenize_corpus(texts: Sequence[str]) -> bm25s.tokenization.Tokenized:
    """One text per product as BM25 tokens (English stopwords removed): about half of an index's build
    time, so indexes of the same texts with other k1 and b can share it."""
    return bm25s.tokenize(list(texts), stopwords="en", show_progress=False)


class LexicalIndex:
    """BM25 over one text per product (English stopwords removed).

    Args:
        k1, b: term-frequency saturation and length normalisation; bm25s's defaults unless tuned
            (the bench's BM25 baseline and the ranking profile's tuner pick them on validation queries).
        tokens: ``texts`` already tokenized by :func:`tokenize_corpus` (then ``texts`` may be None).
    """

    def __init__(self, texts: Sequence[str] | None, k1: float = 1.5, b: float = 0.75,
                 tokens: bm25s.tokenization.Tokenized | None = None) -> None:
        tokens = tokenize_corpus(texts) if tokens is None else tokens
        self.retriever = bm25s.BM25(k1=k1, b=b)
        # a vocabulary of its own: indexing adds the empty token to the one it is handed
        self.retriever.index(bm25s.tokenization.Tokenized(tokens.ids, dict(tokens.vocab)), show_progress=False)
        self.size = len(tokens.ids)

    def search(self, query: str, k: int) -> Hits:
        """Products sharing words with ``query``; only those with a positive score."""
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab or self.size == 0:
            return Hits.empty()
        docs, scores = self.retriever.retrieve(tokens, k=min(k, self.size), show_progress=False)
        keep = scores[0] > 0
        return Hits(docs[0][keep].astype(int), scores[0][keep].astype(np.float32))


class DenseIndex:
    """Inner product over unit-normalised embeddings (= cosine), exact or HNSW."""

    def __init__(self, embeddings: np.ndarray, ann_threshold: int = 100_000, hnsw_m: int = 32) -> None:
        import faiss

        emb = np.ascontiguousarray(embeddings, dtype=np.float32)
        self.approximate = len(emb) > ann_threshold
        if self.approximate:
            self.index = faiss.IndexHNSWFlat(emb.shape[1], hnsw_m, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efSearch = 128  # recall ~0.99 at this size; higher costs time, adds little
        else:
            self.index = faiss.IndexFlatIP(emb.shape[1])
        self.index.add(emb)

    def search(self, query_emb: np.ndarray, k: int) -> Hits:
        """The ``k`` nearest products to one query embedding (D,)."""
        if self.index.ntotal == 0:
            return Hits.empty()
        scores, rows = self.index.search(np.ascontiguousarray(query_emb[None, :], dtype=np.float32),
                                         min(k, self.index.ntotal))
        keep = rows[0] >= 0
        return Hits(rows[0][keep].astype(int), scores[0][keep])


def reciprocal_rank_fusion(runs: Sequence[Hits], weights: Sequence[float], k: int = 60) -> dict[int, float]:
    """RRF: each run gives a product ``weight / (k + rank)``; the sum ranks the union.

    Returns:
        row -> fused score, for every row any run retrieved.
    """
    fused: dict[int, float] = {}
    for hits, w in zip(runs, weights):
        for rank, row in enumerate(hits.rows):
            fused[int(row)] = fused.get(int(row), 0.0) + w / (k + rank + 1)
    return fused


def weighted_fusion(runs: Sequence[Hits], weights: Sequence[float]) -> dict[int, float]:
    """Weighted sum of min-max normalised scores (0 where a run did not retrieve the product)."""
    fused: dict[int, float] = {}
    for hits, w in zip(runs, weights):
        if len(hits.rows) == 0:
            continue
        lo, hi = float(hits.scores.min()), float(hits.scores.max())
        norm = (hits.scores - lo) / (hi - lo) if hi > lo else np.ones_like(hits.scores)
        for row, s in zip(hits.rows, norm):
            fused[int(row)] = fused.get(int(row), 0.0) + w * float(s)
    return fused
