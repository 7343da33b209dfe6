"""Annotations feed the intent model: added to the data set's labels, never from held-out queries."""
import shutil

import pandas as pd
import pytest

from ecomrec import Engine
from ecomrec import schema as S
from ecomrec.annotation.labelsets import INTENT_SET
from ecomrec.trainers import intent_training_rows


def test_annotations_replace_add_and_never_bring_held_out_queries(tiny_engine):
    data = tiny_engine.catalog.data
    first, test_query = data.queries[S.TEXT].iloc[0], data.queries_test[S.TEXT].iloc[0]
    notes = pd.DataFrame({"text": [first, "tent for a festival", test_query],
                          "label": ["gift", "festival", "browse"]})
    rows, used = intent_training_rows(data, notes)
    assert used == {"annotations_used": 2, "annotations_held_out": 1}
    assert len(rows) == data.queries[S.INTENT].notna().sum() + 1
    labelled = dict(zip(rows[S.TEXT], rows[S.INTENT]))
    assert labelled[first] == "gift" and labelled["tent for a festival"] == "festival"
    assert test_query not in labelled


@pytest.mark.slow
def test_train_from_annotations_learns_a_new_label(tiny_dir, tmp_path, encoder):
    from dataclasses import replace

    from ecomrec.config import Config
    from ecomrec.models.intent import IntentConfig

    shop = tmp_path / "festival_shop"
    shutil.copytree(tiny_dir, shop)
    eng = Engine.load(shop, replace(Config(), registry_dir=tmp_path / "reg", annotation_dir=tmp_path / "ann"),
                      encoder=encoder)
    labels = eng.labels
    labels.add_label(INTENT_SET, "festival", "camping at a music festival")
    texts = ["tent for a festival", "festival camping gear", "sleeping bag for glastonbury",
             "festival tent cheap and light", "what to bring to a festival campsite"]
    assert labels.add_to_queue(texts, source="test") == 5
    for _ in texts:  # the least sure first, as an annotator meets them
        labels.answer(INTENT_SET, labels.queue(INTENT_SET, "ana").next.record_id, "ana", "festival")
    assert labels.training_rows().annotations == 5
    manifest = eng.models.train("intent", IntentConfig(epochs=1), activate=True)
    assert manifest.metrics["annotations_used"] == 5
    assert "festival" in eng.models.intent().labels


def test_a_shops_own_intent_labels_import_and_join_the_label_set(tmp_path):
    from dataclasses import replace

    from ecomrec.config import Config

    products = pd.DataFrame({S.PRODUCT_ID: ["a"], S.TITLE: ["Sofa"], S.CATEGORY: ["Sofas"]})
    queries = pd.DataFrame({S.QUERY_ID: ["q1", "q2"], S.TEXT: ["grey sofa", "sofa delivery"],
                            S.INTENT: ["Sofas", "browse"]})
    eng = Engine.from_frames(products, queries=queries, name="own",
                             config=replace(Config(), annotation_dir=tmp_path))
    names = eng.labels.label_set(INTENT_SET).names
    assert names[:8][0] == "browse" and names[8:] == ["Sofas"]


def test_intent_weights_come_from_the_ranking_profile_and_saving_them_lasts(tiny_dir, tmp_path, encoder):
    from dataclasses import replace

    from ecomrec.config import Config
    from ecomrec.ranking import INTENT_WEIGHTS, RankingWeights

    shop = tmp_path / "weights_shop"
    shutil.copytree(tiny_dir, shop)
    config = replace(Config(), annotation_dir=tmp_path / "ann", registry_dir=tmp_path / "reg")
    eng = Engine.load(shop, config, encoder=encoder)
    assert eng.searches.weights("deal_seeking") == INTENT_WEIGHTS["deal_seeking"]
    eng.labels.add_label(INTENT_SET, "festival")
    eng.searches.save_weights("festival", {**RankingWeights().as_dict(), "rating": 0.9})
    again = Engine.load(shop, config, encoder=encoder)  # another session, later
    assert again.searches.weights("festival") == RankingWeights(rating=0.9)
    assert again.searches.weights("no such intent") == RankingWeights()


def test_queries_labelled_only_with_categories_train_the_category_head_alone(tiny_dir, tmp_path, encoder):
    from dataclasses import replace

    from ecomrec.config import Config
    from ecomrec.data.loaders import load_dataset, write_dataset

    data = load_dataset(tiny_dir)
    shop = tmp_path / "categories_only"
    write_dataset(shop, {"products": data.products, "queries": data.queries.assign(**{S.INTENT: None}),
                         "queries_test": data.queries_test.assign(**{S.INTENT: None})})
    eng = Engine.load(shop, replace(Config(), registry_dir=tmp_path / "reg"), encoder=encoder)
    manifest = eng.models.train("intent")
    assert manifest.metrics["test_category_accuracy"] >= 0.9 and "test_macro_f1" not in manifest.metrics
    u = eng.searches.understand("two person tent for camping")
    assert u.intent is None
    assert (u.category, u.category_source) == ("Sports & Outdoors > Camping > Tents", "category head")


def test_peoples_grades_join_the_reranker_pairs_but_never_from_held_out_queries():
    from ecomrec.trainers import with_graded_pairs

    derived = pd.DataFrame({S.QUERY: ["red tent", "red tent"], S.PRODUCT_ID: ["P1", "P2"],
                            "target": [1.0, 0.3], "weight": [1.0, 1.0]})
    graded = pd.DataFrame({"query": ["red tent", "blue mug", "a test query"], "product_id": ["P2", "P9", "P1"],
                           "gain": [0.0, 1.0, 1.0]})
    table, people = with_graded_pairs(derived, graded, exclude={"a test query"})
    assert people == 2
    assert table[[S.QUERY, S.PRODUCT_ID, "target"]].values.tolist() == [
        ["red tent", "P1", 1.0], ["red tent", "P2", 0.0], ["blue mug", "P9", 1.0]]  # people's grade replaces
