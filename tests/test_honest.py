"""The measurement can be trusted: no leaks, a template-disjoint split, relevance the ranker cannot
read, and baselines that do what their names say."""
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.config import SAMPLE_DATA_DIR
from ecomrec.data.judgments import reranker_pairs
from ecomrec.data.qrels import GAINS, QRELS_FILE, judgments, load_qrels
from ecomrec.data.sample.generate import EVENT_WEIGHTS, training_popularity
from ecomrec.data.sample.products import generate_products
from ecomrec.data.sample.queries import HELD_OUT_EVERY, generate_queries
from ecomrec.data.sample.relevance import Asks, Grader
from ecomrec.honest import lexical_overlap, search_slices


def _events(rows):
    return pd.DataFrame(rows, columns=[S.SESSION_ID, S.PRODUCT_ID, S.EVENT_TYPE, S.QUERY])


def test_popularity_counts_training_sessions_only():
    events = _events([("s1", "A", "click", "red tent"), ("s1", "A", "purchase", None),
                      ("s2", "A", "view", None), ("s2", "B", "add_to_cart", None),
                      ("s3", "B", "click", "test query"), ("s3", "B", "purchase", None)])
    pop = training_popularity(events, held_out_queries={"test query"})
    # s3 searched a held-out query: its click and purchase of B count for nothing
    assert pop.to_dict() == {"A": 1 + 5 + 1, "B": 3}


def test_shipped_popularity_leaves_out_sessions_of_validation_and_test_queries(sample):
    held = set(sample.queries_val[S.TEXT]) | set(sample.queries_test[S.TEXT])
    e = sample.events
    leaked = set(e.loc[e[S.QUERY].isin(held), S.SESSION_ID])
    train = e[~e[S.SESSION_ID].isin(leaked)]
    expected = train[S.EVENT_TYPE].map(EVENT_WEIGHTS).groupby(train[S.PRODUCT_ID]).sum()
    got = sample.products.set_index(S.PRODUCT_ID)[S.POPULARITY]
    assert leaked  # shoppers did search held-out queries...
    assert np.allclose(got.loc[expected.index], expected)  # ...and none of it became popularity
    assert (got.drop(expected.index) == 0).all()


def test_intent_test_split_holds_only_phrasings_never_trained_on(sample):
    rng = np.random.default_rng(5)
    products = generate_products(rng, 1500)
    train, val, test, asks = generate_queries(rng, products, per_intent=40)
    t_idx = test["template"].str.split("/").str[1].astype(int)
    assert (t_idx % HELD_OUT_EVERY == HELD_OUT_EVERY - 1).all()
    assert not set(test["template"]) & (set(train["template"]) | set(val["template"]))
    v_idx = val["template"].str.split("/").str[1].astype(int)
    assert (v_idx % HELD_OUT_EVERY != HELD_OUT_EVERY - 1).all()  # validation: training phrasings, unseen texts
    texts = [set(d[S.TEXT]) for d in (train, val, test)]
    assert not (texts[0] & texts[1] or texts[0] & texts[2] or texts[1] & texts[2])
    # the shipped splits are disjoint too
    shipped = [set(d[S.TEXT]) for d in (sample.queries, sample.queries_val, sample.queries_test)]
    assert not (shipped[0] & shipped[1] or shipped[0] & shipped[2] or shipped[1] & shipped[2])


def test_reranker_pairs_never_hold_a_held_out_query(sample):
    held = set(sample.queries_val[S.TEXT]) | set(sample.queries_test[S.TEXT])
    everything = pd.concat([sample.queries, sample.queries_val, sample.queries_test])
    rows = np.arange(30)[None, :]
    pairs = reranker_pairs(everything, sample.products, sample.events, lambda texts, k: np.repeat(rows, len(texts), 0),
                           exclude=held)
    assert len(pairs) and not set(pairs[S.QUERY]) & held


def test_grades_follow_what_the_query_asks_for():
    products = pd.DataFrame({
        S.PRODUCT_ID: ["red", "blue", "red_dear", "bag", "mug"],
        S.CATEGORY: ["Tents", "Tents", "Tents", "Sleeping Bags", "Mugs"],
        S.BRAND: ["Alp", "Alp", "Alp", "Alp", "Alp"], S.PRICE: [100.0, 100.0, 400.0, 50.0, 9.0],
        S.ATTRIBUTES: [json.dumps({"colour": "red"}), json.dumps({"colour": "blue"}),
                       json.dumps({"colour": "red"}), "{}", "{}"]})
    grader = Grader(products, {"Tents": ("Sleeping Bags",)})
    got = grader.grades(Asks("Tents", attributes={"colour": ("red",)}, price_max=150.0))
    assert got.tolist() == ["E", "S", "S", "C", "I"]
    qrels = grader.qrels({"red tent under 150": Asks("Tents", attributes={"colour": ("red",)}, price_max=150.0)})
    assert judgments(qrels) == {"red tent under 150": {"red": GAINS["E"], "blue": GAINS["S"], "red_dear": GAINS["S"],
                                                       "bag": GAINS["C"]}}


def test_shipped_relevance_is_graded_by_attributes_not_category_alone(sample):
    qrels = load_qrels(SAMPLE_DATA_DIR)
    assert set(qrels[S.QUERY]) <= set(sample.queries_val[S.TEXT]) | set(sample.queries_test[S.TEXT])
    per_query = qrels.groupby(S.QUERY)["label"].agg(set)
    assert per_query.map(lambda s: {"E", "S"} <= s).mean() > 0.3  # a third separate exact from substitute


def test_the_data_set_and_the_ranker_never_read_the_hidden_relevance(tmp_path, tiny_dir, encoder):
    """A corrupt hidden file breaks nothing a shopper touches; only the bench and the qrels module name it."""
    from ecomrec.engine import Engine
    from ecomrec.search.searcher import SearchSettings

    for f in tiny_dir.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / QRELS_FILE).parent.mkdir()
    (tmp_path / QRELS_FILE).write_bytes(b"not gzip at all")
    engine = Engine.load(tmp_path, encoder=encoder)
    res = engine.search("red tent", settings=SearchSettings(preset="bm25"))
    assert res.items
    package = Path(__file__).resolve().parents[1] / "ecomrec"
    readers = {p.relative_to(package).as_posix() for p in package.rglob("*.py")
               if "load_qrels" in p.read_text() or "QRELS_FILE" in p.read_text()}
    assert readers == {"data/qrels.py", "bench.py"}


def test_lexically_hard_means_the_words_are_not_in_the_exact_products():
    assert lexical_overlap("crimson tent", ["Alp Ridge Tent, red, 2-person"]) == 0.5
    assert lexical_overlap("red tent", ["Alp Ridge Tent, red, 2-person"]) == 1.0
    products = pd.DataFrame({S.PRODUCT_ID: ["a"], S.TITLE: ["Alp Ridge Tent"], S.BRAND: ["Alp"],
                             S.CATEGORY: ["Camping > Tents"], S.ATTRIBUTES: [json.dumps({"colour": "red"})]})
    slices = search_slices({"scarlet shelter": {"a": 1.0}, "red alp tent": {"a": 1.0}}, products)
    assert slices == {"hard": ["scarlet shelter"], "easy": ["red alp tent"]}


@pytest.mark.parametrize("name", ["queries.csv", "queries_val.csv", "queries_test.csv"])
def test_splits_ship_as_files(name):
    assert (SAMPLE_DATA_DIR / name).exists()


def test_verdicts_say_plainly_who_wins_and_how_sure():
    from ecomrec.honest import verdict

    record = {"metric": "hr@10", "model": 0.302, "baseline": 0.319, "baseline_name": "category_popularity",
              "p": 0.083, "baselines": {"category_popularity": 0.319}, "p_by_baseline": {"category_popularity": 0.083}}
    assert verdict("next_item", record) == ("the sequential blend does no better than popular in the last item's "
                                            "category (0.302 vs 0.319 hr@10, p = 0.08): no clear difference.")
    hard = {"metric": "ndcg@10", "model": 0.672, "baseline": 0.879, "baseline_name": "category_popularity",
            "p": 0.0002, "baselines": {"category_popularity": 0.879, "bm25_tuned": 0.484},
            "p_by_baseline": {"category_popularity": 0.0002, "bm25_tuned": 0.0002}}
    said = verdict("search_hard", hard)
    assert "loses to the query's labelled category by popularity" in said
    assert said.endswith("it beats tuned BM25 (0.672 vs 0.484 ndcg@10, p < 0.001).")
    assert verdict("cart", {"skipped": "no baskets"}) == "not measured: no baskets"


def test_the_cart_verdict_says_which_rule_the_cart_list_followed():
    from ecomrec.honest import verdict

    record = {"metric": "hr@10", "model": 0.33, "baseline": 0.30, "baseline_name": "basket_knn", "p": 0.001,
              "baselines": {"basket_knn": 0.30}, "p_by_baseline": {"basket_knn": 0.001},
              "category_popularity_with_substitutes": 0.31}
    basket = verdict("cart", {**record, "rule": "whatever goes in the basket", "two_of_a_kind": 0.513})
    assert basket.endswith("(the cart list offers whatever goes in the basket: 51% of this shop's baskets hold "
                           "two of a kind).")
    assert "substitutes allowed, reaches 0.310" in verdict("cart", {**record, "rule": "complements only"})
