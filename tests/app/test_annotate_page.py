"""The Annotate page through AppTest: name once, label with the suggestion, undo, review, edit a label set."""
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ecomrec import Engine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def shop(tiny_dir, tmp_path, request) -> Path:
    """The tiny data set under a name of its own: its own annotation store, empty."""
    folder = tmp_path / f"shop_{request.node.name[5:25]}"
    shutil.copytree(tiny_dir, folder)
    return folder


@pytest.fixture
def page(shop, tiny_engine):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["data_dir"] = str(shop)
    return at.switch_page("app_pages/annotate.py")


def button(at, label_start: str):
    return next(b for b in at.button if b.label.startswith(label_start))


def test_an_annotator_names_themself_fills_the_queue_and_labels_with_undo(page, shop):
    page.run()
    page.text_input[0].input("Ana")
    page.button[0].click().run()  # Start labelling: the form sends the name with the click
    assert not page.exception
    button(page, "Add the 60 training queries").click().run()
    first = page.markdown[[m.value.startswith("### ") for m in page.markdown].index(True)].value
    assert button(page, "browse").proto.shortcut == "1"
    button(page, "deal seeking").click().run()  # label names read as words; the stored name is kept
    assert button(page, "Submit: deal seeking").proto.type == "primary"
    button(page, "Submit").click().run()
    button(page, "Skip").click().run()
    store = Engine.load(shop).labels.store  # what the page wrote, read back from the file
    answers = store.responses("shopping intent", status=None)
    assert answers[["annotator", "label", "status"]].fillna("-").values.tolist() == [
        ["Ana", "deal_seeking", "submitted"], ["Ana", "-", "discarded"]]
    assert answers["text"].iloc[0].replace("\\", "") in first.replace("\\", "")
    assert any("You: 1 answered, 1 skipped, 58 left" in c.value for c in page.caption)
    button(page, "Undo").click().run()
    button(page, "Undo").click().run()
    assert store.responses("shopping intent", status=None).empty
    assert any("You: 0 answered, 0 skipped, 60 left" in c.value for c in page.caption)
    # the first query is back with the answer just taken back picked, not the model's suggestion
    assert page.markdown[[m.value.startswith("### ") for m in page.markdown].index(True)].value == first
    assert button(page, "Submit: deal seeking").proto.type == "primary"


def test_one_key_press_that_reaches_two_answer_buttons_stores_one_answer(page, shop):
    """On a busy server another annotator can answer the query on screen while the page runs again, and one Enter
    then presses the old card's Submit and the new card's together (seen in a load run: 8 presses, 9 answers).
    Two answer buttons pressed in one run stand for that: the first one answers, the other does nothing."""
    page.session_state["annotator"] = "Ana"
    labels = Engine.load(shop).labels
    labels.add_to_queue(["red tent", "cheap tent", "tent gift"], source="test")
    page.run()
    button(page, "Submit").click()
    button(page, "Skip").click()
    page.run()
    assert not page.exception
    answers = labels.store.responses("shopping intent", status=None)
    assert len(answers) == 1 and answers["status"].tolist() == ["submitted"]
    assert any("You: 1 answered, 0 skipped, 2 left" in c.value for c in page.caption)
    button(page, "Submit").click().run()  # the next press answers the next query
    assert len(labels.store.responses("shopping intent")) == 2


def test_enter_and_undo_pressed_together_act_once(page, shop):
    """Enter and U reaching the server in one run (a busy server merges presses): the first button acts and the
    other does nothing, so the answer before is not taken back while a new one is stored."""
    page.session_state["annotator"] = "Ana"
    labels = Engine.load(shop).labels
    labels.add_to_queue(["red tent", "cheap tent", "tent gift"], source="test")
    page.run()
    button(page, "Submit").click().run()
    first = labels.store.responses("shopping intent")["record_id"].tolist()
    button(page, "Submit").click()
    button(page, "Undo").click()
    page.run()
    assert not page.exception
    after = labels.store.responses("shopping intent")["record_id"].tolist()
    assert after[0] == first[0] and len(after) == 2  # Submit (drawn first) acted; Undo did nothing


def test_a_number_key_and_enter_pressed_together_store_the_label_of_that_key(page, shop):
    """A fast annotator presses 3 and Enter before the page has drawn the pick of 3 (both reach the server in one
    run): the answer is the label on key 3, not the one the Submit button still showed."""
    page.session_state["annotator"] = "Ana"
    labels = Engine.load(shop).labels
    labels.add_to_queue(["red tent", "cheap tent"], source="test")
    page.run()
    shown = button(page, "Submit").label
    third = next(b for b in page.button if b.proto.shortcut == "3")
    assert shown != f"Submit: {third.label}"
    third.click()
    button(page, "Submit").click()
    page.run()
    assert labels.store.responses("shopping intent")["label"].tolist() == [third.label]


def test_review_shows_agreement_and_a_label_rename_keeps_answers(page, shop):
    labels = Engine.load(shop).labels
    labels.add_to_queue(["red tent", "cheap tent", "tent gift"], source="test")
    ids = labels.store.records()["id"].tolist()
    for who, labs in {"ana": ["browse", "deal_seeking", "gift"], "ben": ["browse", "browse", "gift"]}.items():
        for rid, lab in zip(ids, labs):
            labels.answer("shopping intent", rid, who, lab)
    page.session_state["annotator"] = "lead"
    page.session_state["annotate_tab"] = "Review"  # only the open tab is drawn
    page.run()
    assert not page.exception
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Answers"] == "6"
    assert any("Disputed queries** (1)" in m.value for m in page.markdown)
    page.session_state["annotate_tab"] = "Label set"
    page.run()
    assert not page.metric  # the Review tab is closed now: its statistics are not computed
    page.text_input(key="rename_to").input("window_shopping").run()  # the first label is "browse"
    button(page, "Rename").click().run()
    assert sorted(labels.store.responses("shopping intent")["label"]) == [
        "deal_seeking", "gift", "gift", "window_shopping", "window_shopping", "window_shopping"]


def test_relevance_grading_pools_a_query_and_measures_search_on_the_grades(page, shop):
    page.session_state["annotator"] = "Ana"
    page.run()
    page.segmented_control(key="annotate_task").set_value("Grade relevance").run()
    page.text_input[0].input("sleeping bag").run()
    button(page, "Pool its top 10s").click().run()
    assert not page.exception
    labels = Engine.load(shop).labels
    pairs = labels.grading("Ana").pairs
    assert 10 <= pairs <= 30  # three top 10s, overlapping
    button(page, "Exact").click().run()
    button(page, "Irrelevant").click().run()
    assert labels.store.judgments()["grade"].tolist() == ["E", "I"]
    assert any(f"2 of {pairs} pairs graded (1 query pooled)" in p.proto.text for p in page.get("progress"))
    assert not page.exception
    assert any("once every pooled product of a query is graded" in c.value for c in page.caption)
    for _ in range(pairs - 2):
        button(page, "Substitute").click().run()
    assert any("Search measured on people's grades** (1 fully graded query)" in m.value for m in page.markdown)


def test_every_tab_opens_and_the_files_tab_offers_the_resolved_labels(page, shop):
    labels = Engine.load(shop).labels
    labels.add_to_queue(["red tent", "cheap tent"], source="test")
    for rid, lab in zip(labels.store.records()["id"], ["browse", "deal_seeking"]):
        labels.answer("shopping intent", int(rid), "ana", lab)
    page.session_state["annotator"] = "lead"
    for tab in ["Review", "Train from labels", "Label set", "Files"]:
        page.session_state["annotate_tab"] = tab
        page.run()
        assert not page.exception, tab
        if tab == "Train from labels":
            assert any("**2 resolved annotations**" in m.value for m in page.markdown)
    assert any("2 labelled queries." in c.value for c in page.caption)
    written = [p.name for p in labels.exports_dir.glob("*.csv")]  # one folder per data set, beside the store
    assert written == ["shopping_intent.csv"] and page.download_button[0].label == "Download shopping_intent.csv"


def test_the_page_and_its_screens_reach_annotation_through_the_services_only():
    import ast

    screens = sorted((ROOT / "ecomrec" / "ui" / "annotate").glob("*.py"))
    for path in [ROOT / "app_pages" / "annotate.py", *screens]:
        tree = ast.parse(path.read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        allowed = ("ecomrec.ui", "ecomrec.schema", "ecomrec.config") + (
            ("ecomrec.services.labels",) if path in screens else ())  # its result types, for annotations
        assert [m for m in imported if m.startswith("ecomrec.") and not m.startswith(allowed)] == [], path.name
        assert ".store" not in path.read_text(), path.name  # the SQLite store is the service's own


@pytest.mark.slow
def test_eight_labels_per_class_train_a_model_and_the_page_shows_how_its_method_was_chosen(page, shop, tmp_path,
                                                                                           monkeypatch):
    from functools import partial

    import pandas as pd

    import ecomrec.models.intent as intent

    monkeypatch.setenv("ECOMREC_REGISTRY", str(tmp_path / "registry"))
    monkeypatch.setattr(intent, "IntentConfig", partial(intent.IntentConfig, budget_s=20.0))  # a short choice
    queries = pd.read_csv(shop / "queries.csv")
    queries.assign(intent="").to_csv(shop / "queries.csv", index=False)  # the shop's file carries no intents
    words = {"gift": ["gift for {}", "{} present", "birthday gift {}", "{} as a gift", "gift idea {}",
                      "christmas {} gift", "{} gift wrapped", "gift card {}"],
             "support": ["my {} is broken", "return my {}", "{} not working", "{} warranty claim",
                         "refund for {}", "{} arrived damaged", "fix my {}", "{} missing parts"],
             "deal_seeking": ["cheap {}", "{} on sale", "{} discount", "{} coupon", "best price {}",
                              "{} deals", "{} under 50", "clearance {}"]}
    things = ["tent", "backpack", "lamp", "kettle", "jacket", "blender", "rug", "drill"]
    labels = Engine.load(shop).labels
    texts = {f.format(things[i]): label for label, forms in words.items() for i, f in enumerate(forms)}
    labels.add_to_queue(list(texts), source="test")
    for rid, text in zip(labels.store.records()["id"], labels.store.records()["text"]):
        labels.answer("shopping intent", int(rid), "ana", texts[text])
    page.session_state["annotator"] = "lead"
    page.session_state["annotate_tab"] = "Train from labels"
    page.run()
    button(page, "Train from annotations").click().run()
    assert not page.exception, page.exception
    said = next(m.value for m in page.markdown if m.value.startswith("**Method chosen on validation:"))
    table = page.dataframe[0].value
    assert len(table) == 8 and table["method"].str.endswith(" ✓").sum() == 1
    chosen = table.loc[table["method"].str.endswith(" ✓"), "method"].iloc[0].removesuffix(" ✓")
    assert chosen in said
    button(page, "Draw the curve").click().run()
    assert not page.exception, page.exception
    curve = page.session_state["annotate_per_label"]
    steps = sorted({r["per_label"] for r in curve})  # 2, 4, then the most any label keeps for training (of its 8,
    assert steps[:2] == [2, 4] and len(steps) == 3 and steps[2] <= 8  # those its phrasings put in fold 0 validate)
    assert {r["method"] for r in curve} == {"TF-IDF + logistic regression", "MiniLM embeddings + TF-IDF, blended",
                                            "one logistic regression on TF-IDF and MiniLM embeddings together"}
    assert any(c.key == "per_label_curve" for c in page.get("plotly_chart"))
    # beside the Train button: what the bench measured on a real shop's labels, on its test split and on all of
    # its queries judged once, with the numbers of the committed bench file
    import json

    from ecomrec.config import REPO_ROOT

    own = json.loads((REPO_ROOT / "benchmarks" / "annotation.json").read_text())["own_labels"]
    note = next(m.value for m in [*page.warning, *page.caption] if m.value.startswith("Measured on a shop's own"))
    assert f"{own['model_macro_f1']:.2f} against TF-IDF + LR's {own['baseline_macro_f1']:.2f}" in note
    cross = own["crossfit"]
    assert f"Judged on all {cross['queries']} of its queries" in note
    assert f"{cross['model_macro_f1']:.2f} against {cross['baseline_macro_f1']:.2f}" in note
    assert f"Drawing those folds {len(cross['repeats'])} times, it led in {cross['model_ahead']} of them." in note


def test_a_locked_annotation_file_is_said_in_words_on_the_page_and_the_queue_is_untouched(page, shop, monkeypatch):
    import sqlite3

    from ecomrec.annotation import store as module

    monkeypatch.setattr(module, "BUSY_TIMEOUT_MS", 200)
    page.run()
    page.text_input[0].input("Ana")
    page.button[0].click().run()
    path = Engine.load(shop).labels.store.path
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the file
    try:
        button(page, "Add the 60 training queries").click().run()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not page.exception
    said = page.error[0].value
    assert str(path) in said and "is locked by another program" in said and "Nothing was saved" in said
    assert Engine.load(shop).labels.store.records().empty  # the queue add landed whole or not at all: not
