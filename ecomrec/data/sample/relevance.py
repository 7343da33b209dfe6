"""The sample shop's hidden truth: graded relevance of products to queries, as in Amazon's ESCI.

A generated query records what it asks for (:class:`Asks`); a product's grade follows from its
category and attributes:

* **Exact** (E): the asked category, and every asked brand, model, attribute value and price bound holds;
* **Substitute** (S): the asked category, but something asked for does not hold (another colour, size, model);
* **Complement** (C): a category that goes with the asked one (a case for a phone);
* **Irrelevant** (I): anything else.

The grades are written to ``hidden/qrels.csv.gz`` beside the sample data set and drive the simulated
shoppers' clicks. Nothing a ranker, recommender or trainer reads comes from here: the data set
loader never opens that folder, and only :mod:`ecomrec.data.qrels` (evaluation) does.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ecomrec import schema as S

GRADES = ("E", "S", "C", "I")


@dataclass(frozen=True)
class Asks:
    """What a query asks of a product; each tuple means "any of these"."""

    category: str
    brands: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    price_max: float | None = None


class Grader:
    """Grades every product of a catalog against :class:`Asks`.

    Args:
        products: schema "products" frame (attributes as JSON text).
        complements: category path -> category paths that go with it (either direction counts).
    """

    def __init__(self, products: pd.DataFrame, complements: Mapping[str, Sequence[str]]) -> None:
        self.ids = products[S.PRODUCT_ID].to_numpy()
        self.category = products[S.CATEGORY].to_numpy()
        self.brand = products[S.BRAND].to_numpy()
        self.price = products[S.PRICE].to_numpy(dtype=float)
        attrs = [json.loads(a) if isinstance(a, str) and a else {} for a in products[S.ATTRIBUTES]]
        keys = sorted({k for a in attrs for k in a})
        self.attr = {k: np.array([a.get(k, "") for a in attrs], dtype=object) for k in keys}
        pairs: dict[str, set[str]] = {}
        for a, bs in complements.items():
            for b in bs:
                pairs.setdefault(a, set()).add(b)
                pairs.setdefault(b, set()).add(a)
        self.complements = {k: sorted(v) for k, v in pairs.items()}

    def grades(self, asks: Asks) -> np.ndarray:
        """(N,) one of "E", "S", "C", "I" per product."""
        in_cat = self.category == asks.category
        ok = in_cat.copy()
        if asks.brands:
            ok &= np.isin(self.brand, asks.brands)
        if asks.models:
            ok &= np.isin(self.attr.get("model", np.full(len(ok), "", dtype=object)), asks.models)
        for key, values in asks.attributes.items():
            if key in self.attr:
                ok &= np.isin(self.attr[key], values)
        if asks.price_max is not None:
            ok &= self.price <= asks.price_max
        out = np.full(len(in_cat), "I", dtype=object)
        out[np.isin(self.category, self.complements.get(asks.category, []))] = "C"
        out[in_cat] = "S"
        out[ok] = "E"
        return out

    def qrels(self, asks: Mapping[str, Asks]) -> pd.DataFrame:
        """Long table (query, product_id, label) of every non-Irrelevant pair of ``asks``'s queries."""
        frames = []
        for text, ask in asks.items():
            g = self.grades(ask)
            keep = g != "I"
            frames.append(pd.DataFrame({S.QUERY: text, S.PRODUCT_ID: self.ids[keep], "label": g[keep]}))
        if not frames:
            return pd.DataFrame(columns=[S.QUERY, S.PRODUCT_ID, "label"])
        return pd.concat(frames, ignore_index=True)
