"""The Search page through Streamlit's AppTest, on the tiny data set with quickly trained models."""

import pytest

from tests.app.conftest import open_app


@pytest.fixture
def search_app(search_env, monkeypatch):
    data, registry = search_env
    return open_app(data, registry, monkeypatch)


def by_label(widgets, label):
    return next(w for w in widgets if w.label == label)


def test_typing_a_query_shows_intent_ranked_results_and_waterfalls(search_app):
    at = search_app.switch_page("app_pages/search.py").run()
    assert not at.exception
    assert any("Type a query" in i.value for i in at.info)
    by_label(at.text_input, "Search").input("tent under $300").run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "**Intent:**" in text and "**1. " in text
    reasons = " ".join(c.value for c in at.caption)  # each card's reasons in plain words, on one line
    assert any(said in reasons for said in ("you typed", "the kind of product you asked for", "the reranker rates"))
    assert at.query_params["q"] == ["tent under $300"] or at.query_params["q"] == "tent under $300"
    # one waterfall per result plus the word-attribution chart
    assert len(at.get("plotly_chart")) >= 2
    assert any(p.label.startswith("Understood from your words") for p in at.pills)


def test_label_this_query_puts_it_in_the_annotation_queue(search_app, search_env):
    from ecomrec import Engine

    at = search_app.switch_page("app_pages/search.py").run()
    by_label(at.text_input, "Search").input("tent for a  festival").run()
    next(b for b in at.button if b.label == "Label this query").click().run()
    assert not at.exception
    records = Engine.load(search_env[0]).labels.store.records()
    assert records[["text", "source"]].values.tolist()[-1] == ["tent for a festival", "search page"]


def test_moving_a_weight_shows_rank_movement_and_lands_in_the_url(search_app):
    at = search_app
    at.query_params["q"] = "sleeping bag"
    at.switch_page("app_pages/search.py").run()
    assert not at.exception
    slider = next(s for s in at.slider if s.label == "price")
    slider.set_value(2.0).run()
    assert not at.exception
    assert "w_price" in at.query_params
    text = " ".join(m.value for m in at.markdown)
    assert "▲" in text or "▼" in text or "new]" in text
    next(b for b in at.button if b.label.startswith("Reset")).click().run()
    assert "w_price" not in at.query_params


def test_moved_weights_saved_as_an_intents_defaults_last(search_app, search_env):
    from ecomrec import Engine

    at = search_app
    at.query_params["q"] = "cheap sleeping bag"
    at.switch_page("app_pages/search.py").run()
    intent = Engine.load(search_env[0]).search("cheap sleeping bag").intent.label
    next(s for s in at.slider if s.label == "rating").set_value(1.5).run()
    next(b for b in at.button if b.label.startswith("Save as the defaults")).click().run()
    assert not at.exception
    assert "w_rating" not in at.query_params  # the saved weight is now a default, not a moved one
    assert Engine.load(search_env[0]).searches.weights(intent).rating == 1.5  # another session reads it
    assert next(s for s in at.slider if s.label == "rating").value == 1.5
    from ecomrec.ranking import default_weights

    Engine.load(search_env[0]).searches.save_weights(intent, default_weights(intent).as_dict())  # for later tests


def test_side_by_side_compares_two_settings_with_their_overlap(search_app):
    at = search_app
    at.query_params.update({"q": "coffee maker", "mode": "compare", "preset": "full", "preset_b": "bm25"})
    at.switch_page("app_pages/search.py").run()
    assert not at.exception
    assert [s.value for s in at.subheader][:2] == ["Full: hybrid + rerank + all signals", "BM25 only"]
    assert any(m.label == "Top-10 overlap" for m in at.metric)


@pytest.mark.parametrize("query", ["<script>alert(1)</script>", "qxzvbnm wq", "🤖" * 50, "x" * 5000])
def test_bad_input_never_shows_a_traceback(search_app, query):
    at = search_app
    at.query_params["q"] = query
    at.switch_page("app_pages/search.py").run()
    assert not at.exception
    assert not any("<script>" in h.proto.body for h in at.get("html"))
