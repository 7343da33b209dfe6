"""`python -m ecomrec sample-data --seed N`: build the shipped sample data set, deterministically."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import bm25s
import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.data.loaders import FILES, write_dataset
from ecomrec.data.sample.catalog_spec import CATEGORIES, COMPLEMENTS
from ecomrec.data.sample.products import generate_products
from ecomrec.data.sample.queries import generate_queries
from ecomrec.simulate import ShopSimulator

Progress = Callable[[str, float], None]
"""progress(stage, fraction_done)"""


@dataclass(frozen=True)
class SampleConfig:
    """Sizes of the generated shop (the issue's floors, with headroom)."""

    seed: int = 7
    n_products: int = 3600  # >= 3,000 products over 58 leaf categories
    queries_per_intent: int = 400  # 8 intents x 400 = 3,200 queries (>= 2,400, >= 200 each)
    n_shoppers: int = 2000  # >= 1,500 shoppers
    sessions_per_user: float = 4.5  # yields >= 40,000 events
    n_promotions: int = 72  # >= 60


def _bm25_search(products: pd.DataFrame) -> Callable[[str, int], list[int]]:
    """A plain BM25 over product titles, brands and categories: what the shop's search returned."""
    corpus = (products[S.TITLE] + " " + products[S.BRAND] + " " + products[S.CATEGORY]).tolist()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)

    @cache
    def search(text: str, k: int) -> list[int]:
        tokens = bm25s.tokenize([text], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        docs, scores = retriever.retrieve(tokens, k=k, show_progress=False)
        return [int(d) for d, s in zip(docs[0], scores[0]) if s > 0]

    return search


def generate_promotions(rng: np.random.Generator, products: pd.DataFrame, n: int,
                        start: str = "2026-06-01", end: str = "2026-12-31") -> pd.DataFrame:
    """Product- and category-level promotions with discounts and time windows."""
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    span_days = (t1 - t0).days
    rows = []
    for i in range(n):
        begin = t0 + pd.Timedelta(days=int(rng.integers(0, span_days - 3)))
        finish = begin + pd.Timedelta(days=int(rng.integers(3, 31)), hours=23, minutes=59)
        discount = round(float(rng.choice(np.arange(0.10, 0.55, 0.05))), 2)
        if rng.random() < 0.65:
            p = products.iloc[int(rng.integers(len(products)))]
            name = p[S.TITLE].split(",")[0]
            rows.append({S.PROMO_ID: f"PR{i + 1:03d}", S.TITLE: f"{round(discount * 100)}% off {name}",
                         S.PRODUCT_ID: p[S.PRODUCT_ID], S.CATEGORY: None, S.DISCOUNT: discount,
                         S.START: begin, S.END: finish})
        else:
            spec = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
            label = str(rng.choice(("Sale", "Week", "Clearance", "Flash deal", "Season savings")))
            rows.append({S.PROMO_ID: f"PR{i + 1:03d}", S.TITLE: f"{spec.leaf} {label}: {round(discount * 100)}% off",
                         S.PRODUCT_ID: None, S.CATEGORY: spec.path, S.DISCOUNT: discount,
                         S.START: begin, S.END: finish})
    return pd.DataFrame(rows)


def generate(out_dir: Path, config: SampleConfig = SampleConfig(), progress: Progress | None = None) -> dict[str, int]:
    """Generate the whole sample data set into ``out_dir`` and return row counts per file."""
    report = progress or (lambda stage, frac: None)
    rng = np.random.default_rng(config.seed)
    report("products", 0.0)
    products = generate_products(rng, config.n_products)
    report("queries", 0.1)
    train, test = generate_queries(rng, products, per_intent=config.queries_per_intent)
    report("events", 0.2)
    appeal = rng.lognormal(0.0, 1.4, size=len(products))  # long tail: a few products draw most interest
    paths = {c.leaf: c.path for c in CATEGORIES}
    complements = {paths[k]: tuple(paths[v] for v in vs) for k, vs in COMPLEMENTS.items()}
    sim = ShopSimulator(products, _bm25_search(products), pd.concat([train, test]), complements, appeal, rng)
    personas = sim.make_personas(config.n_shoppers)
    events = sim.simulate(personas, config.sessions_per_user,
                          progress=lambda k, n: report("events", 0.2 + 0.75 * k / n))
    weights = events[S.EVENT_TYPE].map({"view": 1.0, "click": 1.0, "add_to_cart": 3.0,
                                        "remove_from_cart": 0.0, "purchase": 5.0})
    popularity = weights.groupby(events[S.PRODUCT_ID]).sum()
    products[S.POPULARITY] = products[S.PRODUCT_ID].map(popularity).fillna(0.0)
    promotions = generate_promotions(rng, products, config.n_promotions)
    frames = {"products": products, "queries": train.drop(columns="template"),
              "queries_test": test.drop(columns="template"), "events": events, "promotions": promotions}
    write_dataset(out_dir, frames)
    report("done", 1.0)
    return {FILES[name]: len(df) for name, df in frames.items()}
