"""The catalog service: one data set's products, promotions, shoppers' events and queries, read-only.

Everything a page shows about the data itself (counts, a product, a filtered list, a product's
promotions) comes from here; models and indexes live in the other services.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.data.loaders import Dataset


@dataclass(frozen=True)
class CatalogFilter:
    """What a shopper or PM narrows the catalog to. Empty fields do not filter."""

    text: str = ""  # case-insensitive substring of title or brand
    department: str | None = None
    category: str | None = None
    brands: tuple[str, ...] = ()
    price_min: float | None = None
    price_max: float | None = None
    min_rating: float | None = None
    sort: str = "popularity"  # "popularity", "price_low", "price_high", "rating"


SORTS = {"popularity": (S.POPULARITY, False), "price_low": (S.PRICE, True),
         "price_high": (S.PRICE, False), "rating": (S.RATING, False)}


class Catalog:
    """Read-only views of one :class:`~ecomrec.data.loaders.Dataset`.

    Args:
        data: the validated data set; it never changes while the app runs.
        description_chars: how much of a description goes into a product's embedding text.
    """

    def __init__(self, data: Dataset, description_chars: int) -> None:
        self.data = data
        self.description_chars = description_chars
        self.index = pd.Index(data.products[S.PRODUCT_ID])  # product id -> catalog row
        self._texts: dict[int, list[str]] = {}
        self._lock = threading.Lock()

    # ---- the tables ----
    @property
    def name(self) -> str:
        return self.data.name

    @property
    def products(self) -> pd.DataFrame:
        return self.data.products

    @property
    def events(self) -> pd.DataFrame:
        return self.data.events

    @property
    def promotions(self) -> pd.DataFrame:
        return self.data.promotions

    @property
    def queries(self) -> pd.DataFrame:
        """The training queries (never the validation or held-out test ones)."""
        return self.data.queries

    @property
    def queries_test(self) -> pd.DataFrame:
        """The held-out test queries: measured on, never trained on."""
        return self.data.queries_test

    def counts(self) -> dict[str, int]:
        """Rows per table, distinct shoppers, categories and brands, and what the models can learn from:
        intent-labelled training and test queries and events with a query."""
        ev = self.events
        return {**self.data.counts(),
                "labelled_queries": int(self.queries[S.INTENT].notna().sum()),
                "labelled_test_queries": int(self.queries_test[S.INTENT].notna().sum()),
                "search_events": int(ev[S.QUERY].notna().sum()) if len(ev) else 0}

    @cached_property
    def fingerprint(self) -> str:
        """The data's fingerprint (computed once: the data never changes)."""
        return self.data.fingerprint()

    @cached_property
    def clock(self) -> pd.Timestamp:
        """The data set's "now": its latest event (so its promotions are live), else the wall clock."""
        ts = self.events[S.TIMESTAMP]
        return pd.Timestamp(ts.max()) if len(ts) else pd.Timestamp.now().floor("s")

    @cached_property
    def brands(self) -> list[str]:
        """The catalog's brand names."""
        return sorted(set(self.products[S.BRAND]) - {""})

    @cached_property
    def currency_code(self) -> str:
        """The catalog's most common currency code ("INR"; the schema's default when none is given)."""
        codes = self.products[S.CURRENCY].dropna() if S.CURRENCY in self.products else pd.Series(dtype=str)
        return str(codes.mode().iloc[0]) if len(codes) else S.DEFAULTS[S.CURRENCY]

    @property
    def currency(self) -> str:
        """The sign its prices are shown with ("₹" for rupees)."""
        return S.currency_symbol(self.currency_code)

    def example_queries(self, n: int = 7, seed: int = 0) -> list[str]:
        """Queries to offer as examples, drawn from this data set: its training queries of three to six words
        whose words all occur in the catalog (no typos, no abbreviations: an example should read well), one
        per intent, or per category, where they carry labels; else the first words of titles from its largest
        categories. Seeded, so the same data set always offers the same examples."""
        rng = np.random.default_rng(seed)
        q = self.queries.dropna(subset=[S.TEXT])
        vocab = set(" ".join(self.product_texts()).lower().split())
        tokens = q[S.TEXT].str.lower().str.split()
        known = tokens.map(lambda ws: 3 <= len(ws) <= 6 and all(w.strip("?,.!'") in vocab for w in ws if len(w) > 2))
        q = q[known]
        if len(q):
            key = next((c for c in (S.INTENT, S.CATEGORY) if c in q and q[c].notna().any()), None)
            groups = [g for _, g in q.groupby(key)] if key else [q]
            picks = list(dict.fromkeys(g[S.TEXT].iloc[int(rng.integers(len(g)))] for g in groups))
            rest = [t for t in q[S.TEXT].drop_duplicates() if t not in picks]  # few labels: more from the whole set
            picks += [rest[i] for i in rng.permutation(len(rest))[:max(0, n - len(picks))]]
            return [str(t).strip().lower() for t in rng.permutation(picks)[:n]]
        p = self.products
        picks = []
        for cat in p[S.CATEGORY].value_counts().index[:n]:
            titles = p.loc[p[S.CATEGORY] == cat, S.TITLE]
            picks.append(" ".join(str(titles.iloc[int(rng.integers(len(titles)))]).split()[:4]).lower())
        return list(dict.fromkeys(picks))

    def departments(self) -> list[str]:
        return sorted(self.products[S.CATEGORY].map(S.department).unique())

    # ---- products ----
    def product(self, product_id: str) -> dict:
        """One product as a dict, with parsed attributes.

        Raises:
            KeyError: naming the unknown id.
        """
        if product_id not in self.index:
            raise KeyError(f"unknown product id {product_id!r}")
        row = self.products.iloc[self.index.get_loc(product_id)].to_dict()
        raw = row.get(S.ATTRIBUTES)
        row[S.ATTRIBUTES] = {str(k): str(v) for k, v in json.loads(raw).items()} \
            if isinstance(raw, str) and raw.strip() else {}
        return row

    def product_promotions(self, product_id: str, now: pd.Timestamp | None = None) -> pd.DataFrame:
        """Promotions covering ``product_id`` (its own or its category's), soonest first, each with a
        ``status`` at ``now`` (default: :attr:`clock`): "live" (window inclusive), "upcoming" or "ended".

        Raises:
            KeyError: naming the unknown id.
        """
        category = self.product(product_id)[S.CATEGORY]
        promos = self.promotions
        mine = promos[promos[S.PRODUCT_ID].eq(product_id) | promos[S.CATEGORY].eq(category)].copy()
        now = self.clock if now is None else pd.Timestamp(now)
        mine["status"] = np.where(mine[S.END] < now, "ended", np.where(mine[S.START] > now, "upcoming", "live"))
        return mine.sort_values(S.START, kind="stable")

    def browse(self, f: CatalogFilter = CatalogFilter()) -> pd.DataFrame:
        """Products matching ``f``, sorted as it asks.

        Raises:
            ValueError: for an unknown sort.
        """
        if f.sort not in SORTS:
            raise ValueError(f"unknown sort {f.sort!r}; use one of {sorted(SORTS)}")
        p = self.products
        mask = pd.Series(True, index=p.index)
        if f.text.strip():
            needle = f.text.strip().lower()
            mask &= (p[S.TITLE].str.lower().str.contains(needle, regex=False)
                     | p[S.BRAND].str.lower().str.contains(needle, regex=False))
        if f.department:
            mask &= p[S.CATEGORY].map(S.department).eq(f.department)
        if f.category:
            mask &= p[S.CATEGORY].eq(f.category)
        if f.brands:
            mask &= p[S.BRAND].isin(f.brands)
        if f.price_min is not None:
            mask &= p[S.PRICE] >= f.price_min
        if f.price_max is not None:
            mask &= p[S.PRICE] <= f.price_max
        if f.min_rating is not None:
            mask &= p[S.RATING].fillna(0) >= f.min_rating
        col, asc = SORTS[f.sort]
        return p[mask].sort_values(col, ascending=asc, na_position="last", kind="stable")

    # ---- what the models read ----
    def product_texts(self) -> list[str]:
        """The text each product is embedded by, in catalog order (built once: the catalog never changes)."""
        return self._texts_of(self.description_chars)

    def rerank_texts(self) -> list[str]:
        """What the cross-encoder reads of each product (title | brand | leaf category), in catalog order."""
        return self._texts_of(0)

    def _texts_of(self, description_chars: int) -> list[str]:
        # ~60 ms to build for 3.6k products: far too slow to redo inside every search
        with self._lock:
            if description_chars not in self._texts:
                self._texts[description_chars] = [S.product_text(r, description_chars)
                                                  for r in self.products.to_dict("records")]
            return self._texts[description_chars]
