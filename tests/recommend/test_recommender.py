"""Recommendations through the facade on a slice of the sample shop, with a quickly trained sequential model."""
import numpy as np
import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.models.sequential import SequentialConfig, SequentialRecommender
from ecomrec.ranking import rank_changes
from ecomrec.recommend.promotions import promoted_products
from ecomrec.schema import ValidationError


@pytest.fixture(scope="module")
def shopper(shop_engine):
    """The busiest shopper of the tiny shop (their real events) and the engine."""
    ev = shop_engine.catalog.data.events
    user = ev[S.USER_ID].value_counts().index[0]
    return shop_engine, ev[ev[S.USER_ID].eq(user)]


def test_browse_never_repeats_history_and_explains_with_history_products(shopper):
    eng, history = shopper
    recs = eng.recommend(history, kind="browse", k=5)
    assert len(recs.items) == 5 and recs.fallback is None
    seen = set(history[S.PRODUCT_ID])
    assert not seen & {it.product_id for it in recs.items}
    weights = eng.recs.recommender.browse_model.weights.signal_weights()  # the blend the trainer picked on validation
    assert set(recs.items[0].components) == {name for name, w in weights.items() if w}
    for it in recs.items:
        assert it.score == pytest.approx(sum(it.components.values()), abs=1e-4)
        assert set(it.because) <= seen
    top = recs.items[0]
    assert top.because and top.reasons[0].startswith("because you ")


def test_cold_start_falls_back_to_labelled_popular_products(shop_engine):
    empty = shop_engine.catalog.data.events.iloc[0:0]
    recs = shop_engine.recommend(empty, kind="browse", k=3)
    assert recs.profile.is_empty and recs.fallback.startswith("Trending") and len(recs.items) == 3
    tents = "Sports & Outdoors > Camping > Tents"
    recs = shop_engine.recommend(empty, kind="browse", k=3, query_category=tents)
    assert recs.fallback.startswith("Popular in Tents") and all(it.category == tents for it in recs.items)
    assert shop_engine.recommend(empty, kind="cart").notices[0].startswith("The cart is empty")


def test_what_if_removing_an_event_moves_ranks(shopper):
    eng, history = shopper
    before = eng.recommend(history, kind="browse", k=10)
    top_cause = next(iter(before.items[0].because))  # the product that contributed most to the top item
    after = eng.recommend(history[history[S.PRODUCT_ID].ne(top_cause)], kind="browse", k=10)
    changes = rank_changes(before, after).set_index(S.PRODUCT_ID)
    assert (changes["change"] != 0).any()
    b, a = before.ranks(), after.ranks()
    for pid, row in changes.iterrows():  # each row reads the two lists as a person would
        expected = "new" if pid not in b else "dropped" if pid not in a else b[pid] - a[pid]
        assert row["change"] == expected, pid
    top = before.items[0]
    after_score = next((it.score for it in after.items if it.product_id == top.product_id), None)
    # the event said to matter most for the top item: without it, that item scores lower (or drops out)
    assert after_score is None or after_score < top.score


def test_cart_complements_are_other_categories_and_name_their_cart_item(shop_engine):
    p = shop_engine.catalog.products
    tent = p[p[S.CATEGORY].str.endswith("Tents")][S.PRODUCT_ID].iloc[0]
    chosen = shop_engine.recs.cart_choice()
    try:
        shop_engine.recs.set_cart_rule(complements_only=True)
        recs = shop_engine.recommend(shop_engine.catalog.data.events.iloc[0:0], cart=[tent], kind="cart", k=5)
        assert shop_engine.recs.cart_choice().rule == "complements only"
    finally:
        shop_engine.recs.set_cart_rule(chosen.config.substitutes_excluded)
    assert shop_engine.recs.cart_choice().config == chosen.config  # the rule restored (by a person, said so)
    assert recs.items
    for it in recs.items:
        assert not it.category.endswith("Tents")  # never another tent
        if it.complements is None:  # a staple: said so, with its basket count
            assert it.reasons[0].startswith(("popular with every kind of basket: in ", "popular among Tents like "))
        else:
            assert it.complements == tent and "in your cart" in it.reasons[0]
            assert it.because == {tent: pytest.approx(it.score)}  # the only cart item: without it, nothing


def test_under_the_basket_rule_another_of_a_cart_items_kind_says_so_first(shop_engine):
    p = shop_engine.catalog.products
    cart = p[p[S.CATEGORY].str.endswith(("Coffee Makers", "Tents"))].groupby(S.CATEGORY)[S.PRODUCT_ID].first().tolist()
    chosen = shop_engine.recs.cart_choice()
    try:
        shop_engine.recs.set_cart_rule(complements_only=False)
        recs = shop_engine.recommend(shop_engine.catalog.data.events.iloc[0:0], cart=cart, kind="cart", k=10)
    finally:
        shop_engine.recs.set_cart_rule(chosen.config.substitutes_excluded)
    kinds = {c: k for c, k in zip(p[S.PRODUCT_ID], p[S.CATEGORY])}
    in_cart = {kinds[c] for c in cart}
    alike = [it for it in recs.items if it.category in in_cart]
    assert alike, "the basket rule lets another coffee maker or tent in"
    for it in recs.items:
        said = it.reasons[0].startswith(f"another {S.leaf(it.category)}, like one in your cart")
        assert said == (it.category in in_cart)


def test_bad_requests_name_the_problem(shopper):
    eng, history = shopper
    with pytest.raises(ValueError, match="unknown recommendation kind"):
        eng.recommend(history, kind="banana")
    with pytest.raises(KeyError, match="NOPE"):
        eng.recommend(history, cart=["NOPE"], kind="cart")
    broken = history.assign(**{S.EVENT_TYPE: "stare"})
    with pytest.raises(ValidationError, match="event_type"):
        eng.recommend(broken)


def test_promotions_follow_the_clock(shopper):
    eng, history = shopper
    promos = eng.catalog.data.promotions
    start = pd.Timestamp(promos[S.START].min())
    live = eng.recommend(history, kind="promo", now=start + pd.Timedelta(hours=1))
    seen = set(history[S.PRODUCT_ID])
    for it in live.items:
        assert set(it.because) <= seen  # leave-one-out over the history's products
        row = promos[promos[S.TITLE].eq(it.promotion)].iloc[0]
        assert row[S.START] <= start + pd.Timedelta(hours=1) <= row[S.END]
    none = eng.recommend(history, kind="promo", now=pd.Timestamp("2030-01-01"))
    assert none.items == [] and "No promotion is live" in none.notices[0]


def test_promotions_need_a_real_interest_and_say_so_when_there_is_none(shopper):
    eng, history = shopper
    promos = eng.catalog.data.promotions
    first = pd.Timestamp(history[S.TIMESTAMP].min())  # a clock where the shopper has a history and offers are live
    now = next(max(first, pd.Timestamp(s)) + pd.Timedelta(hours=1) for s, e in zip(promos[S.START], promos[S.END])
               if pd.Timestamp(e) > max(first, pd.Timestamp(s)) + pd.Timedelta(hours=1))
    profile = eng.profile(history, now)
    assert not profile.is_empty
    live = eng.recommend(history, kind="promo", now=now)
    kinds = dict(zip(eng.catalog.products[S.PRODUCT_ID], eng.catalog.products[S.CATEGORY]))
    assert all(profile.categories.get(kinds[it.product_id], 0) > 0 for it in live.items)
    p = eng.catalog.products
    on_offer = set(promoted_products(promos, p, now)["row"])
    quiet = p[~p.index.isin(on_offer)].groupby(S.CATEGORY).filter(lambda g: not g.index.isin(on_offer).any())
    if quiet.empty:
        pytest.skip("every category of the tiny shop has a live promotion at this time")
    viewer = history.iloc[:1].assign(**{S.PRODUCT_ID: quiet[S.PRODUCT_ID].iloc[0], S.EVENT_TYPE: "view",
                                        S.TIMESTAMP: now - pd.Timedelta(hours=1)})
    nothing = eng.recommend(viewer, kind="promo", now=now)
    assert nothing.items == [] and "is in a category this shopper has shown interest in" in nothing.notices[0]


def test_personal_search_adds_the_personal_component(shopper):
    eng, history = shopper
    plain = eng.search("tent", k=5)
    personal = eng.search("tent", k=5, user=eng.profile(history))
    assert all("personal" not in it.components or it.components["personal"] == 0 for it in plain.items)
    assert any(it.components["personal"] > 0 for it in personal.items)
    assert any("fits this shopper" in r for it in personal.items for r in it.reasons)


def test_sequential_model_saves_and_loads_identically(shop_engine, tmp_path):
    seqs = [list(s) for s in shop_engine.catalog.data.events.groupby(S.USER_ID)[S.PRODUCT_ID].unique()][:40]
    ids = shop_engine.catalog.products[S.PRODUCT_ID].tolist()
    emb = shop_engine.embeddings.catalog_embeddings()
    model, info = SequentialRecommender.train(seqs, ids, emb, SequentialConfig(epochs=1, batch_size=16))
    model.save(tmp_path)
    loaded = SequentialRecommender.load(tmp_path, "cpu")
    np.testing.assert_allclose(model.score(seqs[:5]), loaded.score(seqs[:5]), atol=1e-5)
    # a product that arrived after training still gets a place: its text embedding, projected
    table = loaded.item_table_for(["NEW", ids[0]], emb[:2])
    assert table.shape == (2, loaded.config.hidden) and np.isfinite(table).all()
    scores = loaded.score(seqs[:1], table)  # the new product is scored like any other
    assert scores.shape == (1, 2) and np.isfinite(scores).all()
    assert scores[0, 1] == pytest.approx(loaded.score(seqs[:1])[0, 0], abs=1e-5)


def test_a_long_history_still_answers_and_explains_with_recent_products(shop_engine):
    ids = shop_engine.catalog.products[S.PRODUCT_ID].tolist()[:120]
    now = shop_engine.catalog.clock
    history = pd.DataFrame({S.USER_ID: "you", S.SESSION_ID: "s", S.PRODUCT_ID: ids, S.EVENT_TYPE: "view",
                            S.TIMESTAMP: [now - pd.Timedelta(minutes=len(ids) - i) for i in range(len(ids))],
                            S.QUERY: None, S.POSITION: None})
    recs = shop_engine.recommend(history, kind="browse", k=5)
    assert len(recs.items) == 5
    assert all(set(it.because) <= set(ids[-30:]) for it in recs.items)
