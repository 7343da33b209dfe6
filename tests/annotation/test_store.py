"""The annotation store: label sets, answers, undo, remapping and several writers at once."""
import multiprocessing
import sqlite3
import sys

import pytest

from ecomrec.annotation.labelsets import INTENT_SET, ensure_intent_set
from ecomrec.annotation.queue import ordered_queue, progress
from ecomrec.annotation.store import Label, Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "shop.sqlite")
    s.create_label_set("types", "custom", [Label("product"), Label("question"), Label("order")])
    s.add_records(["red tent", "where is my parcel", "tent vs tarp", "red tent", "  "], source="test")
    return s


def ids(store):
    return dict(zip(store.records()["text"], store.records()["id"]))


def test_records_are_stored_once_and_blank_ones_skipped(store):
    assert store.records()["text"].tolist() == ["red tent", "where is my parcel", "tent vs tarp"]
    assert store.add_records(["red  tent", "new query"], source="search page") == 1


def test_answering_again_replaces_the_answer(store):
    rid = ids(store)["red tent"]
    store.respond(rid, "types", "ana", "question")
    store.respond(rid, "types", "ana", "product", note="a tent is a product")
    r = store.responses("types")
    assert r[["annotator", "label", "note"]].values.tolist() == [["ana", "product", "a tent is a product"]]


def test_an_unknown_label_is_refused_and_nothing_is_written(store):
    with pytest.raises(ValueError, match="no label 'shoes' in label set 'types'"):
        store.respond(ids(store)["red tent"], "types", "ana", "shoes")
    assert store.responses("types", status=None).empty


def test_undo_takes_back_answers_one_step_at_a_time(store):
    i = ids(store)
    store.respond(i["red tent"], "types", "ana", "product")
    store.respond(i["where is my parcel"], "types", "ana", None, status="discarded")  # skipped
    store.respond(i["tent vs tarp"], "types", "ana", "question")
    store.respond(i["tent vs tarp"], "types", "ben", "product")
    assert store.last_response("types", "ana") == (i["tent vs tarp"], "question")  # what Undo shows it takes back
    assert store.undo("types", "ana") == i["tent vs tarp"]
    assert store.last_response("types", "ana") == (i["where is my parcel"], None)  # a skip
    assert store.undo("types", "ana") == i["where is my parcel"]
    assert store.responses("types", status=None)[["annotator", "label"]].values.tolist() == [
        ["ana", "product"], ["ben", "product"]]  # ben's answer is his own
    queue = ordered_queue(store, "types", "ana", "random", overlap=2)
    assert set(queue["text"]) == {"where is my parcel", "tent vs tarp"}  # both back in ana's queue
    assert store.undo("types", "ana") == i["red tent"] and store.undo("types", "ana") is None


def test_one_undo_press_delivered_twice_takes_back_one_answer(store):
    """Undo names the answer it takes back (the one on screen when pressed): the same press arriving a second time
    (a slow page run interrupted by the next key, or a second tab) finds that answer gone and leaves the one
    before it alone."""
    i = ids(store)
    store.respond(i["red tent"], "types", "ana", "product")
    store.respond(i["tent vs tarp"], "types", "ana", "question")
    assert store.undo("types", "ana", only=i["tent vs tarp"]) == i["tent vs tarp"]
    assert store.undo("types", "ana", only=i["tent vs tarp"]) is None
    assert store.responses("types")[["text", "label"]].values.tolist() == [["red tent", "product"]]


def test_rename_and_merge_remap_stored_answers(store):
    i = ids(store)
    store.respond(i["red tent"], "types", "ana", "product")
    store.respond(i["tent vs tarp"], "types", "ana", "question")
    store.resolve(i["tent vs tarp"], "types", "question", "lead")
    assert store.rename_label("types", "question", "info") == 1
    assert [lab.name for lab in store.labels("types")] == ["product", "info", "order"]
    assert store.resolutions("types")["label"].tolist() == ["info"]
    assert store.merge_labels("types", "info", "product") == 1
    assert [lab.name for lab in store.labels("types")] == ["product", "order"]  # number keys stay 1, 2
    assert store.responses("types")["label"].tolist() == ["product", "product"]
    with pytest.raises(ValueError, match="already in 'types'"):
        store.rename_label("types", "order", "product")


def test_deleting_a_label_in_use_asks_what_becomes_of_its_answers(store):
    i = ids(store)
    store.respond(i["where is my parcel"], "types", "ana", "order")
    store.respond(i["red tent"], "types", "ana", "product")
    with pytest.raises(ValueError, match="1 answer\\(s\\) use label 'order'"):
        store.delete_label("types", "order")
    assert store.delete_label("types", "order", answers="move", move_to="question") == 1
    assert store.label_usage("types") == {"product": 1, "question": 1}
    assert store.delete_label("types", "question", answers="discard") == 1
    assert store.label_usage("types") == {"product": 1}
    assert "where is my parcel" in set(ordered_queue(store, "types", "ana")["text"])  # back in the queue


def test_the_intent_set_starts_with_eight_intents_whose_weights_the_ranking_profile_holds(tmp_path):
    from ecomrec.ranking import INTENT_WEIGHTS
    from ecomrec.search.ranking_profile import RankingProfile

    s = Store(tmp_path / "a.sqlite")
    ensure_intent_set(s)
    ensure_intent_set(s)  # a second session finds it there
    labels = s.labels(INTENT_SET)
    assert [lab.name for lab in labels][:2] == ["browse", "specific_item"] and len(labels) == 8
    assert labels[3].name == "deal_seeking" and not hasattr(labels[3], "weights")  # not the store's any more
    assert RankingProfile().weights("deal_seeking") == INTENT_WEIGHTS["deal_seeking"]  # a first profile's
    assert s.legacy_weights(INTENT_SET) == {}  # nothing for a first ranking profile to carry over
    assert s.schema_version == 2


def test_weights_an_older_store_saved_per_intent_are_carried_into_the_first_ranking_profile_once(tmp_path):
    import json
    from dataclasses import replace

    import pandas as pd

    from ecomrec import Engine
    from ecomrec import schema as S
    from ecomrec.config import Config
    from ecomrec.ranking import INTENT_WEIGHTS, RankingWeights
    from ecomrec.search.ranking_profile import PROFILE_ROLE, weight_overrides

    config = replace(Config(), annotation_dir=tmp_path / "ann", registry_dir=tmp_path / "reg")
    old = Store(config.annotation_dir / "old_shop.sqlite")  # as a release before ranking profiles left it
    ensure_intent_set(old)
    with sqlite3.connect(old.path) as con:
        con.execute("UPDATE labels SET weights = ? WHERE name = 'deal_seeking'", ('{"price": 0.9}',))
        con.execute("UPDATE labels SET weights = ? WHERE name = 'gift'",  # what older releases stored: the default
                    (json.dumps(weight_overrides(INTENT_WEIGHTS["gift"])),))
    products = pd.DataFrame({S.PRODUCT_ID: ["a"], S.TITLE: ["Tent"], S.CATEGORY: ["Tents"]})

    eng = Engine.from_frames(products, name="old_shop", config=config)
    assert eng.searches.weights("deal_seeking") == RankingWeights().with_overrides({"price": 0.9})
    assert eng.searches.weights("gift") == INTENT_WEIGHTS["gift"]
    versions = eng.models.versions(PROFILE_ROLE)
    assert len(versions) == 1 and "carried over" in versions[0].hyperparameters["why"]
    Engine.from_frames(products, name="old_shop", config=config)  # a later session: nothing carried again
    assert len(eng.models.versions(PROFILE_ROLE)) == 1


def test_uncertainty_order_puts_the_least_sure_first_and_overlap_keeps_records_open(store):
    i = ids(store)
    store.set_suggestions("types", "v1", [(i["red tent"], "product", 0.9, 0.2),
                                          (i["tent vs tarp"], "question", 0.5, 0.9)])
    assert ordered_queue(store, "types", "ana")["text"].tolist() == [
        "where is my parcel", "tent vs tarp", "red tent"]  # no suggestion counts as fully uncertain
    store.respond(i["where is my parcel"], "types", "ben", "order")
    assert "where is my parcel" not in set(ordered_queue(store, "types", "ana", overlap=1)["text"])
    assert "where is my parcel" in set(ordered_queue(store, "types", "ana", overlap=2)["text"])


def test_the_query_on_an_annotators_screen_stays_there_when_someone_else_answers_it(store):
    """Ana reads the first query of her queue; Ben answers it, which closes it at overlap 1. Ana's card does not
    change under her: kept, it stays first until she answers it; then her queue goes on."""
    queue = ordered_queue(store, "types", "ana")["text"].tolist()
    first = ids(store)[queue[0]]
    store.respond(first, "types", "ben", "product")
    assert ordered_queue(store, "types", "ana")["text"].tolist() == queue[1:]  # a new visit: the open records
    assert ordered_queue(store, "types", "ana", keep=first)["text"].tolist() == queue
    store.respond(first, "types", "ana", "product")
    assert ordered_queue(store, "types", "ana", keep=first)["text"].tolist() == queue[1:]


def test_disagreement_order_sends_disputed_records_to_a_third_annotator(store):
    i = ids(store)
    store.respond(i["tent vs tarp"], "types", "ana", "question")
    store.respond(i["tent vs tarp"], "types", "ben", "product")
    assert ordered_queue(store, "types", "cat", "disagreement", overlap=2)["text"].iloc[0] == "tent vs tarp"


def test_progress_counts_answers_skips_and_answers_in_the_last_hour(store):
    i = ids(store)
    store.respond(i["red tent"], "types", "ana", "product")
    store.respond(i["tent vs tarp"], "types", "ana", None, status="discarded")
    store.respond(i["red tent"], "types", "ben", "product")
    p = progress(store, "types", "ana", len(ordered_queue(store, "types", "ana", overlap=1)), overlap=1)
    assert (p.mine, p.skipped, p.left_for_me, p.complete, p.records) == (1, 1, 1, 1, 3)
    assert p.per_hour == {"ana": 1, "ben": 1}


def test_a_failed_transaction_leaves_the_database_as_it_was(store, monkeypatch):
    rid = ids(store)["red tent"]
    store.respond(rid, "types", "ana", "product")
    with pytest.raises(ValueError):
        store.merge_labels("types", "product", "no-such-label")
    assert store.responses("types")["label"].tolist() == ["product"]
    assert [lab.name for lab in store.labels("types")] == ["product", "question", "order"]


def _answer_many(path: str, annotator: str, n: int) -> None:
    s = Store(path)
    records = s.records()["id"].tolist()
    for k in range(n):
        s.respond(records[k], "types", annotator, ("product", "question", "order")[k % 3])
        s.respond(records[k], "types", "shared", "product")  # every process also writes the same answers


def test_four_processes_writing_at_once_lose_and_duplicate_nothing(tmp_path, monkeypatch):
    import types

    # a page test run before this one leaves an app script as __main__, which spawned processes would run first
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    path = tmp_path / "busy.sqlite"
    s = Store(path)
    s.create_label_set("types", "custom", [Label("product"), Label("question"), Label("order")])
    s.add_records([f"query {k}" for k in range(60)], source="test")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_answer_many, args=(str(path), f"annotator {w}", 60)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert all(w.exitcode == 0 for w in workers)
    answers = s.responses("types")
    assert len(answers) == 4 * 60 + 60  # each annotator's 60, and one "shared" answer per record
    assert not answers.duplicated(["record_id", "annotator"]).any()
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_relevance_grades_pool_once_undo_and_become_gains(tmp_path):
    from ecomrec.data.qrels import people_judgments

    s = Store(tmp_path / "j.sqlite")
    assert s.add_pairs("red tent", {"bm25": ["P1", "P2"], "full": ["P2", "P3"]}) == 3
    assert s.add_pairs("red tent", {"dense": ["P1"]}) == 0  # pooled once
    first = s.next_pair("ana")
    assert (first["product_id"], first["pooled_from"]) == ("P1", "bm25")
    s.judge(first["id"], "ana", "E")
    second = s.next_pair("ana")
    s.judge(second["id"], "ana", "S")
    s.judge(first["id"], "ben", "I")
    assert s.last_judgment("ana") == second["id"]
    assert s.undo_judgment("ana", only=first["id"]) is None  # not ana's latest grade: nothing taken back
    assert s.undo_judgment("ana", only=second["id"]) == second["id"] and s.next_pair("ana")["id"] == second["id"]
    assert s.undo_judgment("ana", only=second["id"]) is None and s.last_judgment("ana") == first["id"]
    assert s.pair_counts() == {"pairs": 3, "graded": 1, "queries": 1}
    assert people_judgments(s.judgments()) == {"red tent": {"P1": 0.5}}  # Exact (1) and Irrelevant (0), averaged
    with pytest.raises(ValueError, match="grade must be one of"):
        s.judge(first["id"], "ana", "X")


def test_an_old_database_is_migrated_without_losing_answers(tmp_path):
    from ecomrec.annotation import store as module

    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as con:  # a version 1 file, as the first release wrote it
        con.executescript(module.SCHEMA + "PRAGMA user_version=1;")
        con.execute("INSERT INTO label_sets VALUES ('types', 'custom', '')")
        con.execute("INSERT INTO labels VALUES ('types', 'product', '', '[]', '{}', 1)")
        con.execute("INSERT INTO records (text, source, created) VALUES ('red tent', 'old', 0)")
        con.execute("INSERT INTO responses (record_id, set_name, annotator, label, status, updated) "
                    "VALUES (1, 'types', 'ana', 'product', 'submitted', 0)")
    s = Store(path)
    assert s.schema_version == max(module.MIGRATIONS)
    assert s.responses("types")["label"].tolist() == ["product"]
    assert s.add_pairs("red tent", {"bm25": ["P1"]}) == 1  # the new tables are there


def test_a_locked_file_is_named_with_what_to_do_and_nothing_half_written(store, monkeypatch):
    """Another program holds the file (an exclusive lock) past the busy timeout: the answer is refused with the
    file's name and a way forward; once the lock goes, the same answer saves and nothing else changed."""
    from ecomrec.annotation import store as module

    monkeypatch.setattr(module, "BUSY_TIMEOUT_MS", 200)
    record = int(store.records()["id"].iloc[0])
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # a database browser with a write open
    try:
        with pytest.raises(module.StoreUnavailable) as caught:
            store.respond(record, "types", "ana", "question")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    message = str(caught.value)
    assert str(store.path) in message and "is locked by another program" in message and "try again" in message
    assert store.responses("types").empty  # nothing half-written
    store.respond(record, "types", "ana", "question")
    assert store.responses("types")["label"].tolist() == ["question"]


def test_a_read_only_file_is_named_with_what_to_do(store, monkeypatch):
    """SQLite refusing to write ("attempt to write a readonly database", as for a file without write permission;
    root ignores permissions, so the test asks SQLite itself to refuse) becomes a message naming the file."""
    from ecomrec.annotation import store as module

    connect = module.Store._connect

    def read_only(self):
        con = connect(self)
        con.execute("PRAGMA query_only=ON")
        return con

    monkeypatch.setattr(module.Store, "_connect", read_only)
    record = int(store.records()["id"].iloc[0])
    with pytest.raises(module.StoreUnavailable, match="is read-only: make the file and its folder writable"):
        store.respond(record, "types", "ana", "question")
    monkeypatch.undo()
    assert store.responses("types").empty
