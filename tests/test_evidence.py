"""Evidence cards: what the Search, Shopper and Evaluate pages show, as one HTML file with the data set and its
fingerprint, model versions, seed, weights, metrics with intervals, figures and the time; user text escaped."""
import re
import shutil
from dataclasses import replace

import pytest

from ecomrec import Engine
from ecomrec import schema as S
from ecomrec.evidence import EvidenceCard, Metric, file_name, metrics_frame, render
from ecomrec.ui import evidence

QUERY = 'waterproof tent <img src=x onerror="alert(1)">'


def test_a_search_card_says_what_was_searched_with_what_and_draws_each_waterfall(search_engine, tiny_dir):
    res = search_engine.search(QUERY, k=5, weights={"lexical": 0.7})
    page = render(evidence.search_card(search_engine, str(tiny_dir), res))
    assert "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert search_engine.catalog.fingerprint in page and search_engine.catalog.name in page
    intent, reranker, _ = search_engine.models.search_models().versions
    assert f"<td>Model: intent</td><td>{intent}</td>" in page
    assert f"<td>Model: reranker</td><td>{reranker}</td>" in page
    assert f"<td>Seed</td><td>{search_engine.config.seed}</td>" in page
    assert "lexical 0.70" in page  # the moved weight, as searched
    assert page.count('class="plotly-graph-div"') == min(3, len(res.items))  # the top results' waterfalls
    assert len(re.findall(r"\* plotly\.js v\d", page)) == 1  # plotly.js inlined once: opens offline
    for it in res.items:  # every result with its score parts
        assert f"<td>{it.product_id}</td>" in page and f"<td>{it.score:.3f}</td>" in page


def test_a_shopper_card_lists_the_timeline_cart_and_each_recommendation(search_engine, tiny_dir):
    events = search_engine.catalog.events
    history = events[events[S.USER_ID] == events[S.USER_ID].iloc[0]].head(6)
    cart = [history[S.PRODUCT_ID].iloc[-1]]
    now = history[S.TIMESTAMP].max()
    recs = {kind: search_engine.recommend(history, cart, kind, k=5, now=now) for kind in ("browse", "cart", "promo")}
    card = evidence.shopper_card(search_engine, str(tiny_dir), history, cart, now, recs)
    page = render(card)
    assert card.models["sequential"] == search_engine.models.active("sequential")
    assert [c for c, _ in card.tables] == ["Timeline", "Browse", "Goes with the cart", "Promotions"]
    assert card.tables[1][1]["id"].tolist() == [it.product_id for it in recs["browse"].items]
    assert f"<td>Events</td><td>{len(history)}</td>" in page and f"{now:%Y-%m-%d %H:%M}" in page


def test_metrics_keep_their_interval_baseline_and_test():
    frame = metrics_frame([Metric("Search (ndcg@10)", 0.7981, 0.7696, 0.8226, "tuned BM25", 0.6527, 0.0002,
                                  "better"), Metric("Calibration", 0.05)])
    assert frame.to_dict("records") == [
        {"measure": "Search (ndcg@10)", "value": "0.798", "95 % interval": "0.770–0.823",
         "strongest baseline": "tuned BM25", "baseline value": "0.653", "p": "0.000", "in words": "better"},
        {"measure": "Calibration", "value": "0.050", "95 % interval": "", "strongest baseline": "",
         "baseline value": "", "p": "", "in words": ""}]


def test_a_file_name_keeps_no_path_or_odd_character():
    name = file_name("Search", "../../etc/passwd <script>", None)
    assert re.fullmatch(r"ecomrec-search-etc-passwd-script-\d{8}-\d{4}\.html", name)


def test_a_card_without_figures_or_metrics_still_renders_every_fact():
    card = EvidenceCard(title="Search: <b>x</b>", page="Search", dataset="shop", fingerprint="abc123", seed=13,
                        models={"intent": None}, notes=["<script>alert(1)</script>"])
    page = render(card)
    assert "<td>Model: intent</td><td>not trained</td>" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "plotly" not in page


@pytest.mark.slow
def test_an_evaluation_card_holds_every_setting_with_its_interval(search_env, encoder, tmp_path):
    data, registry = search_env
    mine, reg = tmp_path / "tiny_card", tmp_path / "registry"
    shutil.copytree(data, mine)
    shutil.copytree(registry / data.name, reg / mine.name)
    e = Engine.load(mine)
    eng = Engine(e.catalog.data, replace(e.config, registry_dir=reg), encoder)
    eng.relevance.from_clicks("clicks")
    run = eng.relevance.evaluate("clicks", "test", eng.relevance.EvalConfig(max_queries=5))
    card = evidence.evaluation_card(eng, run, "ndcg@10")
    table = run.table()
    assert [(m.value, m.low, m.high) for m in card.metrics] == [
        (pytest.approx(r["ndcg@10"]), pytest.approx(r["ndcg@10 lo"]), pytest.approx(r["ndcg@10 hi"]))
        for r in table.to_dict("records")]
    strongest = [m for m in card.metrics if m.p is None]
    assert len(strongest) == 1 and strongest[0].name.startswith(run.systems[run.strongest["unjudged_irrelevant"]])
    page = render(card)
    assert page.count('class="plotly-graph-div"') == 1 and run.id in page
    # the Search page's card now quotes this evaluation of the shop's own judgments
    res = eng.search("tent", k=3)
    search = evidence.search_card(eng, str(mine), res)
    assert run.id in search.metrics_source and len(search.metrics) == len(run.systems)
