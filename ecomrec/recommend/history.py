"""From event logs to what recommenders read: item sequences per shopper and baskets per session.

A sequence is the distinct products a shopper showed interest in (viewed, clicked, carted or
bought), in the order of first touch: "what new product comes next" is the question both the
models and the evaluation ask (a product already seen is never recommended back).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ecomrec import schema as S

INTEREST_EVENTS = ("view", "click", "add_to_cart", "purchase")
"""Event types that put a product into a shopper's sequence (a removal does not)."""


def item_sequences(events: pd.DataFrame) -> dict[str, list[str]]:
    """user id -> distinct product ids in order of first interest (time, then log order)."""
    e = events[events[S.EVENT_TYPE].isin(INTEREST_EVENTS)]
    e = e.sort_values(S.TIMESTAMP, kind="stable").drop_duplicates([S.USER_ID, S.PRODUCT_ID])
    return {str(u): g.tolist() for u, g in e.groupby(S.USER_ID, sort=True)[S.PRODUCT_ID]}


def sequence_of(history: pd.DataFrame) -> list[str]:
    """One shopper's sequence from their own events (any user id)."""
    e = history[history[S.EVENT_TYPE].isin(INTEREST_EVENTS)].sort_values(S.TIMESTAMP, kind="stable")
    return list(dict.fromkeys(e[S.PRODUCT_ID]))


def baskets(events: pd.DataFrame) -> pd.Series:
    """session id -> sorted distinct product ids bought in that session (sessions with a purchase)."""
    bought = events[events[S.EVENT_TYPE].eq("purchase")]
    return bought.groupby(S.SESSION_ID)[S.PRODUCT_ID].agg(lambda s: sorted(set(s)))


def rows_of(ids: list[str], index: pd.Index) -> np.ndarray:
    """Catalog row positions of the known ``ids`` (unknown ids are skipped)."""
    pos = index.get_indexer(ids)
    return pos[pos >= 0]


def cart_of(history: pd.DataFrame) -> list[str]:
    """Product ids in the cart after ``history``: added, not removed and not yet bought (time order)."""
    cart: list[str] = []
    for kind, pid in history.sort_values(S.TIMESTAMP, kind="stable")[[S.EVENT_TYPE, S.PRODUCT_ID]].itertuples(
            index=False):
        if kind == "add_to_cart" and pid not in cart:
            cart.append(pid)
        elif kind in ("remove_from_cart", "purchase") and pid in cart:
            cart.remove(pid)
    return cart


def timeline_events(table: pd.DataFrame, known_ids: pd.Index, user: str, session: str) -> pd.DataFrame:
    """A shopper's events from an edited timeline table (columns ``time``, ``event``, ``product_id``).

    Raises:
        ecomrec.schema.ValidationError: naming every bad row (1 = the table's first row) and column: a
            missing or unreadable time, a missing or unknown event, an unknown product id. Nothing is applied.
    """
    events = pd.DataFrame({S.USER_ID: user, S.SESSION_ID: session, S.TIMESTAMP: table["time"].to_numpy(),
                           S.PRODUCT_ID: table[S.PRODUCT_ID].to_numpy(), S.EVENT_TYPE: table["event"].to_numpy(),
                           S.QUERY: None, S.POSITION: None})
    errors = [S.RowError("timeline", i + 1, S.PRODUCT_ID, f"unknown product id {p!r}")
              for i, p in enumerate(events[S.PRODUCT_ID]) if isinstance(p, str) and p and p not in known_ids]
    try:
        events = S.validate(events, "events", file="timeline", first_row=1)
    except S.ValidationError as exc:
        errors = exc.errors + errors
    if errors:
        raise S.ValidationError(sorted(errors, key=lambda e: (e.row or 0, e.column)))
    return events
