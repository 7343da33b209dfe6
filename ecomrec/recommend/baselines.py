"""Popularity and item-item co-occurrence (item-kNN): the baselines, and two of the blend's signals."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from ecomrec.recommend.history import rows_of


def interaction_matrix(groups: Sequence[Sequence[str]], index: pd.Index) -> sparse.csr_matrix:
    """(G, N) binary matrix: row g marks the products of group g (a shopper's sequence or a basket)."""
    rows, cols = [], []
    for g, ids in enumerate(groups):
        r = np.unique(rows_of(list(ids), index))
        rows.append(np.full(len(r), g))
        cols.append(r)
    r, c = (np.concatenate(rows), np.concatenate(cols)) if rows else (np.zeros(0, int), np.zeros(0, int))
    return sparse.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(len(groups), len(index)))


def popularity(groups: Sequence[Sequence[str]], index: pd.Index) -> np.ndarray:
    """(N,) how many groups contain each product."""
    return np.asarray(interaction_matrix(groups, index).sum(axis=0)).ravel()


class ItemKNN:
    """Cosine similarity of products' co-occurrence across groups, pruned to each item's top neighbours.

    Args:
        groups: shoppers' sequences (or baskets), product ids.
        index: the catalog's product ids (row order).
        neighbours: similarities kept per item; the rest are noise from one shared shopper.
    """

    def __init__(self, groups: Sequence[Sequence[str]], index: pd.Index, neighbours: int = 100) -> None:
        x = interaction_matrix(groups, index)  # (G, N)
        co = (x.T @ x).tocsr()  # (N, N) co-occurrence counts
        counts = np.asarray(x.sum(axis=0)).ravel()
        norm = np.sqrt(np.maximum(counts, 1.0))
        sim = sparse.diags(1.0 / norm) @ co @ sparse.diags(1.0 / norm)
        sim.setdiag(0.0)
        self.sim = _top_per_row(sim.tocsr(), neighbours)  # (N, N) sparse
        self.index = index

    def score(self, histories: Sequence[Sequence[str]], recency: float = 1.0) -> np.ndarray:
        """(B, N) summed similarity to each history's items; ``recency`` < 1 weights the newest most."""
        out = np.zeros((len(histories), len(self.index)), dtype=np.float32)
        for b, hist in enumerate(histories):
            rows = rows_of(list(hist), self.index)
            if len(rows):
                w = recency ** np.arange(len(rows))[::-1]  # newest item weight 1
                out[b] = np.asarray(self.sim[rows].T @ w).ravel()
        return out


def _top_per_row(m: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    m.eliminate_zeros()
    data, indices, indptr = [], [], [0]
    for i in range(m.shape[0]):
        lo, hi = m.indptr[i], m.indptr[i + 1]
        vals, cols = m.data[lo:hi], m.indices[lo:hi]
        if len(vals) > k:
            keep = np.argpartition(-vals, k)[:k]
            vals, cols = vals[keep], cols[keep]
        data.append(vals)
        indices.append(cols)
        indptr.append(indptr[-1] + len(vals))
    return sparse.csr_matrix((np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=m.shape)
