"""The cart list learns from the shop's own baskets: EASE by hand, the substitute rule chosen on validation and
held for every cart item, the choice kept with the data set's models and never read from test baskets."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.recommend import cart_tuning
from ecomrec.recommend.baselines import EASE
from ecomrec.recommend.complements import CartComplements, ComplementConfig
from ecomrec.recommend.profile import price_quantiles


def test_ease_weights_are_the_closed_form_by_hand():
    index = pd.Index(["a", "b", "c"])
    model = EASE([["a", "b"], ["a", "b"], ["a", "c"], ["b"]], index, lam=1.0)
    gram = np.array([[3, 2, 1], [2, 3, 0], [1, 0, 1]], float) + np.eye(3)  # XᵀX + λI
    p = np.linalg.inv(gram)
    expected = -p / np.diag(p)[None, :]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(model.weights, expected, rtol=1e-5)
    np.testing.assert_allclose(model.score_rows(np.array([0])), expected[[0]], rtol=1e-5)  # a cart of "a"


def test_only_the_most_bought_get_ease_weights():
    index = pd.Index(["a", "b", "c", "d"])
    model = EASE([["a", "b"], ["a", "b"], ["a", "c"], ["d"]], index, lam=1.0, max_items=2)
    assert model.items.tolist() == [0, 1]  # a (3 baskets) and b (2)
    assert model.score_rows(np.array([2])).tolist() == [[0.0, 0.0, 0.0, 0.0]]  # c has none: scores nothing


GROCER = pd.DataFrame({S.PRODUCT_ID: ["milk", "milk2", "bread", "butter", "jam"],
                       S.TITLE: ["whole milk", "skimmed milk", "bread", "butter", "jam"],
                       S.CATEGORY: [S.NO_CATEGORY] * 5, S.BRAND: [""] * 5, S.PRICE: [1.0, 1.0, 2.0, 3.0, 4.0]})
# milk and milk2 are one kind (embeddings alike); the others unlike anything
EMB = np.array([[1, 0, 0, 0], [0.95, 0.31, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0.6, 0, 0.8]], np.float32)
EMB /= np.linalg.norm(EMB, axis=1, keepdims=True)


def test_a_shop_that_buys_two_of_a_kind_keeps_the_promise_and_the_basket_rule_waits_behind_the_switch():
    two_milks = [["milk", "milk2", "bread"], ["milk", "milk2"], ["milk", "milk2", "butter"], ["jam", "bread"]]
    val = [["milk", "milk2"]] * 4 + [["jam", "bread"]] * 4
    choice = cart_tuning.pick_cart_config(two_milks * 5, val, GROCER, price_quantiles(GROCER), EMB, seed=0, k=1)
    assert choice.config.substitutes_excluded and choice.rule == "complements only"
    assert choice.hr_by_rule == {"complements only": 0.5, "whatever goes in the basket": 1.0}
    assert choice.basket_rule_gain == (0.5, 1.0)  # the page says what letting the second milk in would find
    assert choice.two_of_a_kind == 0.75  # 3 of the 4 training baskets (each repeated 5 times) hold both milks
    model = CartComplements(two_milks * 5, GROCER, price_quantiles(GROCER), choice.config, embeddings=EMB)
    assert "milk2" not in {GROCER[S.PRODUCT_ID][c.row] for c in model.recommend(["milk"], k=3)}
    switched = choice.switched(complements_only=False)  # a person lets alternatives in: the best such setting
    assert switched.rule == "whatever goes in the basket" and switched.set_by == "person"
    assert switched.val_hr == 1.0 and switched.config == choice.alternative
    model = CartComplements(two_milks * 5, GROCER, price_quantiles(GROCER), switched.config, embeddings=EMB)
    assert [GROCER[S.PRODUCT_ID][c.row] for c in model.recommend(["milk"], k=1)] == ["milk2"]
    back = cart_tuning.CartChoice.from_dict(switched.to_dict()).switched(complements_only=True)
    assert back.config == choice.config and back.val_hr == 0.5


def test_where_complements_only_finds_nothing_held_back_the_basket_rule_is_the_lists():
    two_milks = [["milk", "milk2", "bread"], ["milk", "milk2"], ["milk", "milk2", "butter"], ["jam", "bread"]]
    choice = cart_tuning.pick_cart_config(two_milks * 5, [["milk", "milk2"]] * 4, GROCER, price_quantiles(GROCER),
                                          EMB, seed=0, k=1)
    assert choice.rule == "whatever goes in the basket" and choice.val_hr == 1.0
    assert choice.hr_by_rule == {"complements only": 0.0, "whatever goes in the basket": 1.0}
    assert choice.alternative.substitutes_excluded  # the switch still offers the promise


def test_under_complements_only_no_cart_item_ever_gets_a_substitute():
    rng = np.random.default_rng(0)
    ids = GROCER[S.PRODUCT_ID].tolist()
    baskets = [list(rng.choice(ids, size=rng.integers(1, 4), replace=False)) for _ in range(60)]
    config = replace(ComplementConfig(min_category_baskets=1, min_item_baskets=1), ease=1.0, ease_lambda=1.0)
    model = CartComplements(baskets, GROCER, price_quantiles(GROCER), config, embeddings=EMB)
    for _ in range(40):
        cart = list(rng.choice(ids, size=rng.integers(1, 4), replace=False))
        offered = {ids[c.row] for c in model.recommend(cart, k=5)}
        assert not offered & set(cart)
        if "milk" in cart or "milk2" in cart:  # whichever cart item it is, the other milk never comes
            assert not offered & {"milk", "milk2"}
    open_rule = CartComplements(baskets, GROCER, price_quantiles(GROCER), replace(config, substitutes_excluded=False),
                                embeddings=EMB)
    assert "milk2" in {ids[c.row] for c in open_rule.recommend(["bread", "milk"], k=5)}


def _shop(baskets):
    events = pd.DataFrame([{S.USER_ID: f"u{i}", S.SESSION_ID: f"s{i}", S.PRODUCT_ID: p, S.EVENT_TYPE: "purchase",
                            S.TIMESTAMP: pd.Timestamp("2026-01-01") + pd.Timedelta(hours=i)}
                           for i, b in enumerate(baskets) for p in b])
    return events


def test_the_choice_never_reads_test_baskets():
    rng = np.random.default_rng(1)
    ids = GROCER[S.PRODUCT_ID].tolist()
    baskets = [list(rng.choice(ids, size=3, replace=False)) for _ in range(100)]
    a = cart_tuning.choose(_shop(baskets), GROCER, EMB, seed=0)
    changed = baskets[:80] + [["jam", "milk"]] * 20  # the last fifth (test) rewritten
    b = cart_tuning.choose(_shop(changed), GROCER, EMB, seed=0)
    assert a == b and a.val_baskets > 0


def test_an_imported_shop_with_baskets_and_no_model_gets_a_learned_cart_setting(tmp_path):
    from ecomrec import Engine
    from ecomrec.config import Config

    rng = np.random.default_rng(2)
    ids = GROCER[S.PRODUCT_ID].tolist()
    baskets = [list(rng.choice(ids, size=2, replace=False)) for _ in range(80)]
    engine = Engine.from_frames(GROCER, _shop(baskets), name="grocer", config=replace(Config(), registry_dir=tmp_path))
    assert engine.models.active("sequential") is None
    choice = engine.recs.cart_choice()
    assert choice.val_baskets > 0
    assert cart_tuning.load_active(engine.models.registry, engine.catalog.fingerprint) == choice  # kept
    assert engine.recs.recommender.complements.config == choice.config  # the cart list uses it
    assert cart_tuning.load_active(engine.models.registry, "another data") is None  # re-chosen when data changes


@pytest.mark.parametrize("text", ["citrus fruit,semi-finished bread, margarine\n\nwhole milk\n"])
def test_basket_lines_import_with_one_order_a_line(tmp_path, text):
    from ecomrec.data.importer import ImportReport, basket_lines

    f = tmp_path / "groceries.csv"
    f.write_text(text)
    report = ImportReport(source=f.name)
    frames = basket_lines(f, report)
    assert sorted(frames["products"][S.TITLE]) == ["citrus fruit", "margarine", "semi-finished bread", "whole milk"]
    ev = frames["events"]
    assert ev.groupby(S.SESSION_ID).size().to_dict() == {"basket-1": 3, "basket-3": 1}
    assert report.dropped == {"empty line (no items)": [2]}


def test_shrunk_cosine_by_hand_and_the_baselines_smoothing_is_chosen_on_validation():
    from ecomrec.evaluation.cart import SHRINKS, tuned_shrink
    from ecomrec.recommend.baselines import ItemKNN

    index = pd.Index(["a", "b", "c"])
    groups = [["a", "b"], ["a", "b"], ["a", "c"]]
    plain, shrunk = ItemKNN(groups, index), ItemKNN(groups, index, shrink=1.0)
    assert plain.sim[0, 1] == pytest.approx(2 / np.sqrt(6)) and plain.sim[0, 2] == pytest.approx(1 / np.sqrt(3))
    assert shrunk.sim[0, 1] == pytest.approx(2 / (np.sqrt(6) + 1)) and shrunk.sim[0, 2] == pytest.approx(
        1 / (np.sqrt(3) + 1))
    # validation baskets of a and b: every smoothing ranks b first for a (and a for b), so all reach HR 1 and
    # the first (plain cosine) is kept: another must do strictly better
    shrink, hr = tuned_shrink(groups, [["a", "b"]] * 3, index, seed=0, k=1)
    assert shrink == SHRINKS[0] and hr == 1.0


# a gift shop's design lines: each pair alike in text (cosine 0.8), unlike anything else; "staple" sells most
LINES = pd.DataFrame({S.PRODUCT_ID: ["a1", "a2", "b1", "b2", "staple"],
                      S.TITLE: ["red spot bag", "red spot cup", "owl tin", "owl box", "tape"],
                      S.CATEGORY: [S.NO_CATEGORY] * 5, S.BRAND: [""] * 5, S.PRICE: [1.0] * 5})
LINE_EMB = np.array([[1, 0, 0, 0, 0], [0.8, 0.6, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0.8, 0.6, 0], [0, 0, 0, 0, 1]],
                    np.float32)


def test_similar_text_finds_the_rest_of_a_design_line_never_bought_together_before():
    train = [["a1", "staple"], ["a2", "staple"], ["b1", "staple"], ["b2", "staple"]] * 5  # never a pair of one line
    val = [["a1", "a2"], ["b1", "b2"]] * 3
    choice = cart_tuning.pick_cart_config(train, val, LINES, price_quantiles(LINES), LINE_EMB, seed=0, k=1)
    assert choice.config.similar > 0 and choice.val_hr == 1.0  # popularity alone offers the staple: 0 of 6
    assert not choice.config.substitutes_excluded  # the line's twin is alike: only the basket rule lets it in
    only_text = ComplementConfig(category=0, item=0, bought=0, brand=0, price=0, co_purchase=0, popular=0,
                                 similar=1.0, substitutes_excluded=False)
    model = CartComplements(train, LINES, price_quantiles(LINES), only_text, embeddings=LINE_EMB)
    (first,) = model.recommend(["b1"], k=1)
    assert LINES[S.PRODUCT_ID][first.row] == "b2" and first.components["similar"] == pytest.approx(0.8)


def test_choosing_the_cart_setting_reports_progress_to_the_end():
    rng = np.random.default_rng(1)
    ids = GROCER[S.PRODUCT_ID].tolist()
    baskets = [list(rng.choice(ids, size=3, replace=False)) for _ in range(100)]
    seen = []
    cart_tuning.choose(_shop(baskets), GROCER, EMB, seed=0, progress=lambda stage, frac: seen.append((stage, frac)))
    fracs = [f for _, f in seen]
    assert fracs == sorted(fracs) and fracs[-1] == 1.0 and seen[-1][0] == "chosen"
    assert any(stage.startswith("trying setting") for stage, _ in seen)


def test_a_cart_choice_started_in_the_background_is_waited_for_not_made_twice(tmp_path, monkeypatch):
    from ecomrec import Engine
    from ecomrec.config import Config

    rng = np.random.default_rng(3)
    ids = GROCER[S.PRODUCT_ID].tolist()
    baskets = [list(rng.choice(ids, size=2, replace=False)) for _ in range(80)]
    engine = Engine.from_frames(GROCER, _shop(baskets), name="grocer", config=replace(Config(), registry_dir=tmp_path))
    engine.embeddings.catalog_embeddings()
    made, real = [], cart_tuning.choose

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cart_tuning, "choose", counted)
    assert not engine.recs.cart_ready()
    engine.recs.start_cart_choice()
    engine.recs.start_cart_choice()  # a second import of the same data while it runs: nothing more
    choice = engine.recs.cart_choice()  # a page that needs it waits for the background choice
    assert made == [1] and engine.recs.cart_ready() and engine.recs.cart_progress() is None
    assert cart_tuning.load_active(engine.models.registry, engine.catalog.fingerprint) == choice
