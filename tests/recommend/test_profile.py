"""Profile maths: event weights, time decay, removals, the clock, the embedding."""
import numpy as np
import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.evaluation.splits import leave_last_out
from ecomrec.recommend.history import cart_of, item_sequences
from ecomrec.recommend.profile import ProfileConfig, build_profile

NOW = pd.Timestamp("2026-11-01 12:00")
PRODUCTS = pd.DataFrame({S.PRODUCT_ID: ["A", "B", "C", "D"],
                         S.CATEGORY: ["X > Tents", "X > Tents", "Y > Mugs", "Y > Mugs"],
                         S.BRAND: ["Acme", "Brio", "Acme", ""], S.PRICE: [100.0, 300.0, 5.0, 15.0]})
EMB = np.eye(4, dtype=np.float32)


def events(*rows):
    return pd.DataFrame([{S.USER_ID: "u", S.SESSION_ID: "s", S.TIMESTAMP: NOW - pd.Timedelta(days=age),
                          S.PRODUCT_ID: pid, S.EVENT_TYPE: kind, S.QUERY: None, S.POSITION: None}
                         for pid, kind, age in rows],
                        columns=[S.USER_ID, S.SESSION_ID, S.TIMESTAMP, S.PRODUCT_ID, S.EVENT_TYPE, S.QUERY, S.POSITION])


def test_a_view_a_half_life_ago_counts_half_a_fresh_view():
    p = build_profile(events(("A", "view", 0), ("C", "view", 14)), PRODUCTS, EMB, NOW)
    assert p.product_weights["A"] == pytest.approx(1.0)
    assert p.product_weights["C"] == pytest.approx(0.5)
    assert p.categories == pytest.approx({"X > Tents": 2 / 3, "Y > Mugs": 1 / 3})
    assert sum(p.brands.values()) == pytest.approx(1.0)


def test_purchases_outweigh_views_and_a_removal_takes_back_the_cart():
    p = build_profile(events(("A", "view", 0), ("A", "view", 0), ("C", "purchase", 0)), PRODUCTS, EMB, NOW)
    assert max(p.categories, key=p.categories.get) == "Y > Mugs"  # 5 beats 1 + 1
    p = build_profile(events(("B", "add_to_cart", 0), ("B", "remove_from_cart", 0), ("C", "view", 0)),
                      PRODUCTS, EMB, NOW)
    assert p.product_weights["B"] == pytest.approx(1.0)  # +3 - 2
    cfg = ProfileConfig(remove_from_cart=-3.0)
    p = build_profile(events(("B", "add_to_cart", 0), ("B", "remove_from_cart", 0), ("C", "view", 0)),
                      PRODUCTS, EMB, NOW, cfg)
    assert "B" not in p.product_weights and list(p.categories) == ["Y > Mugs"]


def test_events_after_the_clock_are_ignored_and_no_events_is_a_cold_start():
    assert build_profile(events(("A", "view", -1)), PRODUCTS, EMB, NOW).is_empty
    assert build_profile(events(), PRODUCTS, EMB, NOW).is_empty
    assert build_profile(events()[0:0], PRODUCTS, EMB, NOW).embedding is None


def test_price_level_and_embedding():
    p = build_profile(events(("B", "view", 0), ("D", "view", 0)), PRODUCTS, EMB, NOW)  # the dearer of each pair
    assert p.price_level == pytest.approx(1.0)
    assert p.price_bands == {"premium": pytest.approx(1.0)}
    assert np.linalg.norm(p.embedding) == pytest.approx(1.0)
    aff = p.affinity(PRODUCTS[S.CATEGORY].to_numpy(), PRODUCTS[S.BRAND].to_numpy(), np.array([0.5, 1, 0.5, 1]), EMB)
    assert aff[1] > aff[0] and 0 <= aff.min() and aff.max() <= 1


def test_sequences_keep_first_touch_order_and_cart_follows_the_timeline():
    e = events(("A", "view", 3), ("B", "view", 2), ("A", "purchase", 1), ("C", "add_to_cart", 0.5),
               ("D", "add_to_cart", 0.4), ("D", "remove_from_cart", 0.3))
    assert item_sequences(e) == {"u": ["A", "B", "C", "D"]}
    assert leave_last_out({"u": ["A", "B", "C"], "v": ["A"]}) == ([["A", "B"]], ["C"])
    assert cart_of(e) == ["C"]
