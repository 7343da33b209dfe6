"""Graded relevance judgments (qrels) kept apart from the data set that models read.

A data set folder may hold ``hidden/qrels.csv.gz`` (columns query, product_id, label with label
one of E / S / C as in Amazon's ESCI; absent pairs are Irrelevant). :func:`ecomrec.data.loaders.load_dataset`
never opens ``hidden/``: only evaluation reads it, through :func:`load_qrels`.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ecomrec import schema as S

QRELS_FILE = Path("hidden") / "qrels.csv.gz"
# ESCI gains as in the Shopping Queries data set's NDCG (Reddy et al. 2022): a substitute is worth a
# tenth of an exact match, a complement a hundredth
GAINS = {"E": 1.0, "S": 0.1, "C": 0.01}

Judgments = dict[str, dict[str, float]]
"""query text -> {product_id: gain}"""


def write_qrels(directory: str | Path, qrels: pd.DataFrame) -> None:
    """Write ``qrels`` (query, product_id, label) under ``directory``/hidden/."""
    path = Path(directory) / QRELS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    qrels[[S.QUERY, S.PRODUCT_ID, "label"]].to_csv(path, index=False, compression={"method": "gzip", "mtime": 0})


def load_qrels(directory: str | Path) -> pd.DataFrame:
    """The long qrels table of a data set folder (empty when it has none)."""
    path = Path(directory) / QRELS_FILE
    if not path.exists():
        return pd.DataFrame(columns=[S.QUERY, S.PRODUCT_ID, "label"])
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def judgments(qrels: pd.DataFrame, queries: list[str] | None = None) -> Judgments:
    """``{query: {product_id: gain}}`` from a qrels table, for ``queries`` (default: all) that have an Exact product.

    Queries without any Exact product are left out: no ranking can answer them, and they would
    weigh every system down alike.
    """
    q = qrels if queries is None else qrels[qrels[S.QUERY].isin(set(queries))]
    out: Judgments = {}
    for text, g in q.groupby(S.QUERY, sort=True):
        if (g["label"] == "E").any():
            out[str(text)] = {pid: GAINS[lab] for pid, lab in zip(g[S.PRODUCT_ID], g["label"]) if lab in GAINS}
    return out


def people_judgments(judgments: pd.DataFrame, keep_unjudgeable: bool = False) -> Judgments:
    """``{query: {product_id: gain}}`` from the Annotate page's grades (columns query, product_id, grade): a
    pair graded by several people takes their mean gain, so disagreement lowers it. Queries whose pairs
    were all judged irrelevant are left out (NDCG is undefined without a relevant product) unless
    ``keep_unjudgeable`` (training still learns from them)."""
    if judgments.empty:
        return {}
    gains = {**GAINS, "I": 0.0}
    gain = judgments["grade"].map(gains).astype(float)
    g = judgments.assign(gain=gain).groupby(["query", S.PRODUCT_ID])["gain"].mean()
    out: Judgments = {}
    for (query, pid), gain in g.items():
        out.setdefault(str(query), {})[str(pid)] = float(gain)
    return {q: d for q, d in out.items() if keep_unjudgeable or max(d.values()) > 0}
