"""A five-product catalog (two share a title) with a few search clicks, and the service over it."""
from __future__ import annotations

import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.data.loaders import Dataset, empty
from ecomrec.services.catalog import Catalog
from ecomrec.services.relevance import Relevance

TITLES = {"P1": "Trail Tent, 2-Person", "P2": "Sleeping Bag", "P3": "Camping Lantern", "P4": "sleeping  bag",
          "P5": "Yoga Mat"}


def products() -> pd.DataFrame:
    return S.validate(pd.DataFrame({S.PRODUCT_ID: list(TITLES), S.TITLE: list(TITLES.values()),
                                    S.CATEGORY: "Outdoors > Camping"}), "products")


def click_events(rows: list[tuple[str, str, int | None]]) -> pd.DataFrame:
    """(query, product, position) clicks, one session each, as schema events."""
    n = len(rows)
    return S.validate(pd.DataFrame({
        S.USER_ID: [f"U{i}" for i in range(n)], S.SESSION_ID: [f"S{i}" for i in range(n)],
        S.TIMESTAMP: pd.date_range("2026-01-01", periods=n, freq="min"), S.PRODUCT_ID: [r[1] for r in rows],
        S.EVENT_TYPE: "click", S.QUERY: [r[0] for r in rows],
        S.POSITION: pd.array([r[2] for r in rows], dtype="Int64")}), "events")


# the hand-made log of test_implicit: 4 clicks at position 0, 2 at 1, 2 at 2
CLICKS = [("tent", "P1", 0), ("tent", "P1", 0), ("tent", "P1", 0), ("tent", "P2", 1), ("tent", "P3", 2),
          ("mat", "P5", 0), ("mat", "P4", 1), ("lamp", "P3", 2)]


def catalog(events: pd.DataFrame | None = None) -> Catalog:
    data = Dataset(products=products(), queries=empty("queries"), queries_test=empty("queries"),
                   events=empty("events") if events is None else events, promotions=empty("promotions"), name="tiny")
    return Catalog(data, 120)


@pytest.fixture
def relevance(tmp_path) -> Relevance:
    people = pd.DataFrame({"query": ["tent", "tent", "mat"], S.PRODUCT_ID: ["P1", "P2", "P5"],
                           "gain": [1.0, 0.05, 0.0]})
    return Relevance(catalog(click_events(CLICKS)), tmp_path / "judgments" / "tiny", lambda: people)
