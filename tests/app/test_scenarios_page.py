"""A demo link opens its page in the story's state, with the banner; Home lists the stories."""
import json

import pytest

from ecomrec import schema as S
from ecomrec.scenarios import FILE
from tests.app.conftest import open_app


@pytest.fixture
def scenario_app(search_env, monkeypatch):
    data, registry = search_env
    products = [str(p) for p in __import__("pandas").read_csv(data / "products.csv")[S.PRODUCT_ID].head(2)]
    stories = [
        {"id": "compare-tents", "title": "Tents side by side", "page": "search", "narrative": "Two settings.",
         "point_at": "The right column.", "search": {"q": "tent for rain", "mode": "compare", "preset": "full",
                                                      "preset_b": "bm25", "weights": {"price": 1.5}}},
        {"id": "a-cart", "title": "A cart", "page": "shopper", "narrative": "Two products in the cart.",
         "point_at": "What goes with it.", "shopper": [{"event": "add_to_cart", "product": p} for p in products]},
    ]
    (data / FILE).write_text(json.dumps(stories))
    yield open_app(data, registry, monkeypatch), products
    (data / FILE).unlink()


def test_a_search_story_opens_with_its_query_settings_and_banner(scenario_app):
    at, _ = scenario_app
    at.query_params["scenario"] = "compare-tents"
    at.switch_page("app_pages/search.py").run()
    assert not at.exception, at.exception
    assert next(t for t in at.text_input if t.label == "Search").value == "tent for rain"
    assert at.session_state["search_mode"] == "Side by side"
    assert at.session_state["search_weights"] == {"price": 1.5}
    text = " ".join(m.value for m in at.markdown)
    assert "**Demo: Tents side by side.**" in text and "**Point at:** The right column" in text
    next(b for b in at.button if b.label == "Close").click().run()
    assert "**Demo:" not in " ".join(m.value for m in at.markdown)
    assert at.session_state["search_mode"] == "Side by side"  # closing hides the story, keeps its state


def test_a_shopper_story_fills_the_cart_and_undo_takes_it_back(scenario_app):
    at, products = scenario_app
    at.query_params["scenario"] = "a-cart"
    at.switch_page("app_pages/shopper.py").run()
    assert not at.exception, at.exception
    events = at.session_state["shopper_events"]
    assert [(e["event_type"], e["product_id"]) for e in events] == [("add_to_cart", p) for p in products]
    assert any(h.value == "Cart (2)" for h in at.subheader)
    next(b for b in at.button if b.label == "Undo last change").click().run()
    assert at.session_state["shopper_events"] == []


def test_an_unknown_story_says_so_and_changes_nothing(scenario_app):
    at, _ = scenario_app
    at.query_params["scenario"] = "no-such-story"
    at.switch_page("app_pages/search.py").run()
    assert not at.exception
    assert any("does not have" in w.value for w in at.warning)
    assert at.session_state["search_q"] == ""


def test_home_lists_every_story_with_its_narrative(scenario_app):
    at, _ = scenario_app
    at.run()
    assert not at.exception
    assert any(h.value == "Ready-made demos" for h in at.subheader)
    captions = " ".join(c.value for c in at.caption)
    assert "Two settings\\." in captions and "Two products in the cart\\." in captions
