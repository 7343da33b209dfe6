"""`python -m ecomrec sample-data --seed N`: build the shipped sample data set, deterministically."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from ecomrec import schema as S
from ecomrec.data.loaders import FILES, write_dataset
from ecomrec.data.qrels import write_qrels
from ecomrec.data.sample.catalog_spec import CATEGORIES, COMPLEMENTS
from ecomrec.data.sample.products import generate_products
from ecomrec.data.sample.queries import generate_queries
from ecomrec.data.sample.relevance import Asks, Grader
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


CLICK_RELEVANCE = {"E": 2.0, "S": 0.8, "C": 0.3, "I": 0.0}  # added to a shopper's utility of a shown result
EVENT_WEIGHTS = {"view": 1.0, "click": 1.0, "add_to_cart": 3.0, "remove_from_cart": 0.0, "purchase": 5.0}


def logging_ranker(products: pd.DataFrame) -> Callable[[str, int], list[int]]:
    """The shop's old search, which produced the logged clicks: TF-IDF cosine over titles and categories.

    Deliberately none of the pipelines under evaluation (BM25, dense, hybrid, rerank, full), so
    the logged clicks favour none of them.
    """
    corpus = (products[S.TITLE] + " " + products[S.CATEGORY].str.replace(S.CATEGORY_SEP, " ")).tolist()
    vectorizer = TfidfVectorizer(sublinear_tf=True)
    matrix = vectorizer.fit_transform(corpus)  # (N, V), rows unit-normalised

    @cache
    def search(text: str, k: int) -> list[int]:
        scores = (matrix @ vectorizer.transform([text]).T).toarray().ravel()  # (N,)
        top = np.argsort(-scores, kind="stable")[:k]
        return [int(i) for i in top if scores[i] > 0]

    return search


def click_relevance(grader: Grader, asks: dict[str, Asks]) -> Callable[[str, np.ndarray], np.ndarray]:
    """The simulator's relevance: the hidden grade of each shown product, as utility."""
    @cache
    def grades(text: str) -> np.ndarray:
        ask = asks.get(text)
        return np.zeros(len(grader.ids)) if ask is None else np.vectorize(CLICK_RELEVANCE.get)(grader.grades(ask))

    return lambda text, rows: grades(text)[rows]


def training_popularity(events: pd.DataFrame, held_out_queries: set[str]) -> pd.Series:
    """Event-weighted popularity per product from training events only.

    Sessions that searched a held-out (validation or test) query are left out whole: what shoppers
    did after such a search must not become a ranking feature measured on that query.
    """
    held = events.loc[events[S.QUERY].isin(held_out_queries), S.SESSION_ID].unique()
    train = events[~events[S.SESSION_ID].isin(held)]
    return train[S.EVENT_TYPE].map(EVENT_WEIGHTS).groupby(train[S.PRODUCT_ID]).sum()


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
    train, val, test, asks = generate_queries(rng, products, per_intent=config.queries_per_intent)
    report("events", 0.2)
    appeal = rng.lognormal(0.0, 1.4, size=len(products))  # long tail: a few products draw most interest
    paths = {c.leaf: c.path for c in CATEGORIES}
    complements = {paths[k]: tuple(paths[v] for v in vs) for k, vs in COMPLEMENTS.items()}
    grader = Grader(products, complements)
    sim = ShopSimulator(products, logging_ranker(products), pd.concat([train, val, test]), complements, appeal, rng,
                        relevance=click_relevance(grader, asks))
    personas = sim.make_personas(config.n_shoppers)
    events = sim.simulate(personas, config.sessions_per_user,
                          progress=lambda k, n: report("events", 0.2 + 0.75 * k / n))
    held_out = set(val[S.TEXT]) | set(test[S.TEXT])
    products[S.POPULARITY] = products[S.PRODUCT_ID].map(training_popularity(events, held_out)).fillna(0.0)
    promotions = generate_promotions(rng, products, config.n_promotions)
    frames = {"products": products, "queries": train.drop(columns="template"),
              "queries_val": val.drop(columns="template"), "queries_test": test.drop(columns="template"),
              "events": events, "promotions": promotions}
    write_dataset(out_dir, frames)
    # sorted: a set's order changes between processes, the file's bytes must not
    write_qrels(out_dir, grader.qrels({t: asks[t] for t in sorted(held_out) if t in asks}))
    report("done", 1.0)
    return {FILES[name]: len(df) for name, df in frames.items()}
