"""Which ecomrec field each column of a user's file holds: the fields per kind and a guess to show.

The Import page pre-fills its select boxes with :func:`guess_mapping` and shows the guess; nothing is
applied until the user imports.
"""
from __future__ import annotations

import re

import pandas as pd

from ecomrec import schema as S
from ecomrec.data.importer import ORDER_COLUMNS, ORDERS, parse_number, required_fields

KINDS = ("products", "queries", "events", ORDERS, "promotions")
KIND_LABELS = {"products": "Products (a catalog)", "queries": "Queries (labelled search queries)",
               "events": "Events (views, clicks, carts, purchases)",
               ORDERS: "Orders (order lines: become purchase events)", "promotions": "Promotions"}

# field -> lower-case column names that usually hold it (exports from shop systems and public data sets)
NAMES: dict[str, tuple[str, ...]] = {
    S.PRODUCT_ID: ("product_id", "id", "pid", "sku", "item_id", "item", "asin", "stockcode", "product", "uniq_id"),
    S.TITLE: ("title", "name", "product_name", "product_title", "item_name", "description_short"),
    S.DESCRIPTION: ("description", "desc", "blurb", "details", "long_description", "body"),
    S.CATEGORY: ("category", "categories", "department", "aisle", "product_category_tree", "product_type",
                 "category_path", "class", "query_class", "type"),
    S.BRAND: ("brand", "manufacturer", "vendor", "maker"),
    S.PRICE: ("price", "retail_price", "discounted_price", "sale_price", "unitprice", "unit_price", "cost", "mrp"),
    S.CURRENCY: ("currency",),
    S.RATING: ("rating", "product_rating", "overall_rating", "stars", "average_rating"),
    S.RATING_COUNT: ("rating_count", "ratings", "reviews", "review_count", "num_ratings"),
    S.IMAGE_URL: ("image", "image_url", "img", "picture"),
    S.POPULARITY: ("popularity", "sales", "units_sold"),
    S.QUERY_ID: ("query_id", "qid", "id"),
    S.TEXT: ("text", "query", "search_term", "keyword", "search"),
    S.INTENT: ("intent", "label"),
    S.USER_ID: ("user_id", "customer", "customer_id", "customerid", "user", "shopper", "visitor_id"),
    S.SESSION_ID: ("session_id", "session", "visit_id"),
    S.TIMESTAMP: ("timestamp", "time", "date", "datetime", "event_time", "order_time", "invoicedate", "created_at"),
    S.EVENT_TYPE: ("event_type", "event", "action", "type"),
    S.QUERY: ("query", "search_query"),
    S.POSITION: ("position", "rank", "pos"),
    "order_id": ("order_id", "order", "invoice", "invoiceno", "order_no", "transaction_id"),
    "order_number": ("order_number", "order_seq", "sequence", "seq"),
    S.PROMO_ID: ("promo_id", "promotion_id", "id"),
    S.DISCOUNT: ("discount", "percent_off"),
    S.START: ("start", "starts", "valid_from", "start_date"),
    S.END: ("end", "ends", "valid_to", "end_date"),
}


def fields(kind: str) -> list[str]:
    """The ecomrec fields a file of ``kind`` can be mapped to, required ones first."""
    if kind == ORDERS:
        return list(ORDER_COLUMNS)
    cols = S.SCHEMAS[kind]
    return [c.name for c in cols if c.required] + [c.name for c in cols if not c.required]


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")


def guess_mapping(df: pd.DataFrame, kind: str) -> dict[str, str | None]:
    """Source column -> the ecomrec field it most likely holds (None: leave it out).

    By name first (exact, then a known name inside the column name), then by values for prices (numbers
    with currency signs) when no column is named like one. Each field is guessed at most once, except
    ``category``: a department and an aisle column both go there and are joined.
    """
    wanted = fields(kind)
    out: dict[str, str | None] = {c: None for c in df.columns}
    taken: set[str] = set()
    for exact in (True, False):
        for col in df.columns:
            if out[col] is not None:
                continue
            n = _norm(col)
            for f in wanted:
                if f in taken and f != S.CATEGORY:
                    continue
                names = NAMES.get(f, (f,))
                if (n in names or n == f) if exact else any(len(x) > 3 and x in n for x in names):
                    out[col], _ = f, taken.add(f)
                    break
    if kind == "products" and S.PRICE not in taken:
        for col in df.columns:
            sample = df[col].dropna().astype(str).head(50)
            if out[col] is None and len(sample) and sample.str.contains(r"[$€£₹]").mean() > 0.5 \
                    and sample.map(parse_number).notna().mean() > 0.8:
                out[col] = S.PRICE
                break
    return out


def guess_kind(df: pd.DataFrame) -> str:
    """The kind whose required fields the column names cover best (products when unsure)."""
    def score(kind: str) -> float:
        got = set(guess_mapping(df, kind).values())
        need = required_fields(kind)
        return sum(f in got for f in need) / len(need)

    return max(KINDS, key=lambda k: (score(k), k == "products"))


def safe_name(text: str) -> str:
    """A data set folder name from what a user typed: letters, digits, "-" and "_" only, never a path."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", text.strip()).strip("_-")[:60]
    if not name:
        raise ValueError("give the data set a name (letters, digits, - or _)")
    return name
