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
        shrink: added to the cosine's denominator, ``co / (sqrt(c_i c_j) + shrink)``: pairs of rarely bought
            products count less (0: plain cosine; large: ranks like raw co-occurrence counts).
    """

    def __init__(self, groups: Sequence[Sequence[str]], index: pd.Index, neighbours: int = 100,
                 shrink: float = 0.0) -> None:
        x = interaction_matrix(groups, index)  # (G, N)
        co = (x.T @ x).tocsr()  # (N, N) co-occurrence counts
        counts = np.asarray(x.sum(axis=0)).ravel()
        self.counts = counts  # (N,) groups holding each product: its popularity
        norm = np.sqrt(np.maximum(counts, 1.0))
        sim = sparse.diags(1.0 / norm) @ co @ sparse.diags(1.0 / norm)
        if shrink > 0:  # co / (n_i n_j + shrink), n = sqrt(count): the cosine times n_i n_j / (n_i n_j + shrink)
            sim = sim.tocoo()
            nn = norm[sim.row] * norm[sim.col]
            sim = sparse.csr_matrix((sim.data * nn / (nn + shrink), (sim.row, sim.col)), shape=sim.shape)
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


class EASE:
    """Embarrassingly shallow autoencoder (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW
    2019): item-item weights ``W = I - P / diag(P)``, ``P = (XᵀX + λI)⁻¹``, diagonal 0, in closed form. A
    basket's score for product j is the sum of ``W[i, j]`` over its items i: co-occurrence with what the other
    items already explain taken out (two staples bought together do not each vouch for the other's partners).

    Args:
        groups: baskets (product ids).
        index: the catalog's product ids.
        lam: the ridge λ (chosen on validation baskets; more = closer to plain co-occurrence).
        max_items: only the most bought products get weights (the inverse is dense, max_items² floats:
            4,000 are 128 MB and a few seconds on 2 cores); the rest score 0.
    """

    def __init__(self, groups: Sequence[Sequence[str]], index: pd.Index, lam: float, max_items: int = 4000) -> None:
        x = interaction_matrix(groups, index)  # (G, N)
        counts = np.asarray(x.sum(axis=0)).ravel()
        self.items = np.sort(np.argsort(-counts, kind="stable")[:min(max_items, int((counts > 0).sum()))])  # (M,)
        xm = x[:, self.items]
        gram = (xm.T @ xm).toarray().astype(np.float64)  # (M, M)
        gram[np.diag_indices_from(gram)] += lam
        p = np.linalg.inv(gram)
        w = -p / np.diag(p)[None, :]
        np.fill_diagonal(w, 0.0)
        self.weights = w.astype(np.float32)  # (M, M): row i, column j = what item i says for item j
        self.position = pd.Series(np.arange(len(self.items)), index=self.items)  # catalog row -> row of weights
        self.index, self.lam = index, lam

    def score_rows(self, cart_rows: np.ndarray) -> np.ndarray:
        """(cart, N) each cart item's weights for every product (0 outside the most bought)."""
        out = np.zeros((len(cart_rows), len(self.index)), dtype=np.float32)
        known = [(c, self.position[r]) for c, r in enumerate(cart_rows) if r in self.position.index]
        for c, m in known:
            out[c, self.items] = self.weights[m]
        return out
