"""Cart complements (never a substitute) and promotion windows."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.recommend.cart_tuning import pick_cart_config
from ecomrec.recommend.complements import CartComplements, ComplementConfig
from ecomrec.recommend.profile import price_quantiles
from ecomrec.recommend.promotions import live, promoted_products, rank_promoted

PRODUCTS = pd.DataFrame({
    S.PRODUCT_ID: ["phone1", "phone2", "case1", "case2", "charger1", "mug1"],
    S.CATEGORY: ["E > Phones", "E > Phones", "E > Cases", "E > Cases", "E > Chargers", "K > Mugs"],
    S.BRAND: ["Velora", "Zen", "Velora", "Other", "Zen", "Cup"],
    S.PRICE: [800.0, 300.0, 30.0, 10.0, 20.0, 5.0]})
LOOSE = ComplementConfig(min_category_baskets=2, min_item_baskets=1)  # a toy log: two baskets make a pattern
EVIDENCE_ONLY = replace(LOOSE, popular=0.0)  # no staples: only products with pair evidence
BASKETS = [["phone1", "case1"], ["phone2", "case2"], ["phone1", "charger1"], ["phone2", "case1", "charger1"],
           ["phone1", "phone2"], ["mug1"], ["mug1"], ["case2"]]


def test_cart_complements_exclude_substitutes_and_name_the_cart_item():
    model = CartComplements(BASKETS, PRODUCTS, price_quantiles(PRODUCTS), EVIDENCE_ONLY)
    recs = model.recommend(["phone1"], k=5)
    ids = [PRODUCTS[S.PRODUCT_ID][r.row] for r in recs]
    assert ids and "phone2" not in ids  # another phone is a substitute, even though bought together once
    assert set(ids) <= {"case1", "case2", "charger1"}
    assert ids[0] == "case1"  # bought with this phone, same brand
    assert all(PRODUCTS[S.PRODUCT_ID][r.cart_row] == "phone1" for r in recs)
    assert all(r.score == pytest.approx(sum(r.components.values())) for r in recs)
    assert "mug1" not in ids  # never bought with a phone: no evidence


def test_complements_of_a_two_item_cart_skip_both_categories():
    model = CartComplements(BASKETS, PRODUCTS, price_quantiles(PRODUCTS), EVIDENCE_ONLY)
    ids = [PRODUCTS[S.PRODUCT_ID][r.row] for r in model.recommend(["phone1", "case1"], k=5)]
    assert ids == ["charger1"]
    assert model.recommend(["unknown-id"]) == []


def test_popular_staples_fill_the_list_after_what_goes_with_the_cart():
    model = CartComplements(BASKETS, PRODUCTS, price_quantiles(PRODUCTS), LOOSE)
    recs = model.recommend(["phone1", "case1"], k=5)
    ids = [PRODUCTS[S.PRODUCT_ID][r.row] for r in recs]
    # the complement first, then a staple; case2 would replace case1 (a substitute), so never
    assert ids == ["charger1", "mug1"]
    mug = recs[1]
    # no pair evidence: its score is its popularity part alone, log1p(2) / log1p(3) * 0.3
    assert mug.components["popular"] == pytest.approx(0.3 * np.log1p(2) / np.log1p(3))
    assert mug.score == pytest.approx(mug.components["popular"])


def test_cart_weights_are_chosen_on_validation_baskets():
    """Baskets where the mug is bought with everything: popularity must win on validation."""
    train = [["phone1", "mug1"], ["case1", "mug1"], ["charger1", "mug1"], ["case2", "mug1"], ["phone2", "case2"]]
    val = [["phone1", "mug1"], ["case1", "mug1"], ["charger1", "mug1"]]
    choice = pick_cart_config(train, val, PRODUCTS, price_quantiles(PRODUCTS), None, seed=0, k=1)
    assert choice.val_hr == 1.0 and choice.config.popular > 0 and choice.val_baskets == 3


PROMOS = pd.DataFrame({S.PROMO_ID: ["P1", "P2", "P3"], S.TITLE: ["Cases week", "10% off mug", "Expired"],
                       S.PRODUCT_ID: [None, "mug1", "phone1"], S.CATEGORY: ["E > Cases", None, None],
                       S.DISCOUNT: [0.3, 0.1, 0.5],
                       S.START: pd.to_datetime(["2026-11-01", "2026-11-05", "2026-10-01"]),
                       S.END: pd.to_datetime(["2026-11-10 23:59", "2026-11-05 12:00", "2026-10-31 00:00"])})


def test_promotion_windows_are_inclusive_and_expired_ones_never_show():
    assert list(live(PROMOS, pd.Timestamp("2026-11-05 12:00"))[S.PROMO_ID]) == ["P1", "P2"]
    assert list(live(PROMOS, pd.Timestamp("2026-11-05 12:01"))[S.PROMO_ID]) == ["P1"]
    assert live(PROMOS, pd.Timestamp("2026-12-01")).empty
    offers = promoted_products(PROMOS, PRODUCTS, pd.Timestamp("2026-11-05"))
    assert set(offers["promo_id"]) == {"P1", "P2"} and "phone1" not in set(PRODUCTS[S.PRODUCT_ID][offers["row"]])


def test_promotions_rank_by_interest_times_discount():
    offers = promoted_products(PROMOS, PRODUCTS, pd.Timestamp("2026-11-05"))
    interest = np.array([0, 0, 0.1, 0.1, 0, 1.0])  # loves mugs, barely looks at cases
    ranked = rank_promoted(offers, interest, k=3)
    assert ranked.iloc[0]["promo_id"] == "P2"  # 1.0 x 10 % beats 0.1 x 30 %
    assert ranked["score"].is_monotonic_decreasing
