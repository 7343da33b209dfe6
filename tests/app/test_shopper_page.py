"""The Shopper page through AppTest: cold start, acting by hand, complements, what-if, undo."""

import pytest

from ecomrec.services.recs import CART_PARTS
from tests.app.conftest import open_app


@pytest.fixture
def shopper_app(shop_dir, search_env, shop_engine, monkeypatch):  # shop_engine: the shop's models trained
    return open_app(shop_dir, search_env[1], monkeypatch).switch_page("app_pages/shopper.py").run()


def texts(at) -> str:
    return " ".join([m.value for m in at.markdown] + [i.value for i in at.info] + [c.value for c in at.caption])


def by_label(widgets, label):
    return next(w for w in widgets if w.label == label)


def test_a_new_shopper_sees_labelled_fallbacks(shopper_app):
    at = shopper_app
    assert not at.exception, at.exception
    assert "Cold start" in texts(at) and "Trending" in texts(at)
    assert "The cart is empty" in texts(at)


def test_adding_to_cart_shows_complements_and_undo_takes_it_back(shopper_app):
    at = shopper_app
    by_label(at.text_input, "Search as the shopper").input("tent for 2 people").run()
    assert not at.exception, at.exception
    next(b for b in at.button if b.label == "Add to cart").click().run()
    assert not at.exception, at.exception
    assert len(at.session_state["shopper_events"]) == 1
    labels = [t.label for t in at.tabs]
    assert any(x.startswith("Goes with your cart (") and not x.endswith("(0)") for x in labels), labels
    # each pick says why: it goes with the cart item, or it is a staple with its basket count
    assert "in your cart" in texts(at) or "popular with every kind of basket" in texts(at) \
        or "like your" in texts(at)
    assert any("because you added" in m.value for m in at.markdown)  # browse explains itself with the event
    by_label(at.button, "Undo last change").click().run()
    assert at.session_state["shopper_events"] == [] and "Cold start" in texts(at)


def test_what_if_without_an_event_shows_rank_changes(shopper_app):
    at = shopper_app
    by_label(at.text_input, "Search as the shopper").input("tent").run()
    views = [b for b in at.button if b.label == "View"]
    views[0].click().run()
    [b for b in at.button if b.label == "View"][1].click().run()
    assert len(at.session_state["shopper_events"]) == 2
    box = by_label(at.selectbox, "What if this event had not happened?")
    box.select_index(1).run()
    assert not at.exception, at.exception
    assert any(m.value.startswith("Without *") for m in at.markdown)


def test_generating_persona_sessions_fills_the_timeline(shopper_app):
    at = shopper_app
    by_label(at.button, "Generate").click().run()
    assert not at.exception, at.exception
    assert at.session_state["shopper_events"]  # sessions ran through the real search engine
    assert "Categories" in texts(at)  # the profile charts replace the cold-start notice


def test_events_from_another_data_set_are_left_out_with_a_warning(shopper_app):
    at = shopper_app
    at.session_state["shopper_events"] = [{"user_id": "you", "session_id": "s", "timestamp": "2026-11-01 10:00",
                                           "product_id": "NOT-HERE", "event_type": "add_to_cart", "query": None,
                                           "position": None}]
    at.run()
    assert not at.exception, at.exception
    assert any("this data set does not have" in w.value for w in at.warning)
    assert "Cold start" in texts(at)  # nothing usable left: labelled fallbacks


def test_the_cart_tab_says_which_rule_the_cart_list_follows_and_the_switch_changes_it(shopper_app, shop_engine):
    at = shopper_app
    chosen = shop_engine.recs.cart_choice()
    words = {True: "**Complements only**", False: "**Whatever goes in the basket**"}
    rule = chosen.config.substitutes_excluded
    assert any(c.value.startswith(f":material/rule: {words[rule]}") for c in at.caption)
    assert f"{chosen.two_of_a_kind:.0%} of this shop's baskets hold two of a kind" in texts(at)
    gain = next((c.value for c in at.caption if c.value.startswith(":material/swap_horiz: Letting alternatives")), None)
    if rule and chosen.basket_rule_gain:  # what the other rule would find, from the held-back baskets
        only, other = chosen.basket_rule_gain
        assert f"({other:.0%} of baskets held back to check had their hidden product in the top 10, against " \
               f"{only:.0%})" in gain
    else:
        assert gain is None
    mix = next(c.value for c in at.caption if c.value.startswith(":material/balance: The cart list mixes "))
    for name, part in CART_PARTS.items():  # every part validation gave a weight, with that weight
        w = getattr(chosen.config, name)
        assert (f"{part} ×{w:g}" in mix) is (w > 0), (name, mix)
    toggle = by_label(at.toggle, "Complements only (never another of what is in the cart)")
    assert toggle.value is rule
    try:
        toggle.set_value(not rule).run()
        assert not at.exception, at.exception
        assert any(c.value.startswith(f":material/rule: {words[not rule]}") for c in at.caption)
    finally:
        shop_engine.recs.set_cart_rule(rule)  # the shop's registry is shared with other tests


def test_the_browse_tab_says_what_the_list_mixes_and_how_much(shopper_app, shop_engine):
    from ecomrec.services.recs import BROWSE_PARTS

    at = shopper_app
    assert not any(c.value.startswith(":material/tune:") for c in at.caption)  # cold start: fallbacks, no mix
    by_label(at.text_input, "Search as the shopper").input("tent").run()
    next(b for b in at.button if b.label == "View").click().run()
    blend = shop_engine.recs.recommender.browse_model.weights  # picked on validation shoppers
    mix = next(c.value for c in at.caption if c.value.startswith(":material/tune: Browse mixes "))
    for name, w in blend.signal_weights().items():
        assert (f"{BROWSE_PARTS[name]} ×{w:g}" in mix) is bool(w), (name, mix)
    assert "as shoppers held back when the sequence model was trained said works best" in mix
    capped = f"It shows at most {blend.category_cap} products of one category"
    assert (capped in mix) is bool(blend.category_cap), mix
    covered = f"It keeps a product of each of the shopper's {blend.interest_cover} main interests"
    assert (covered in mix) is bool(blend.interest_cover), mix
