"""Judgment lists: safe names, an atomic save that round-trips, and what a cut-short save leaves."""
import json
import os

import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.relevance import lists as L
from ecomrec.relevance.lists import JudgmentStore, judgment_list, safe_name


def pairs() -> pd.DataFrame:
    return pd.DataFrame({"query": ["tent", "tent", "NA", "tent"], S.PRODUCT_ID: ["P1", "P2", "007", "P1"],
                         "gain": [1.0, 0.0, 0.5, 0.5], "raters": 1})


def test_names_are_reduced_to_safe_base_names():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\boot.ini") == "boot.ini"
    assert safe_name("Crowd Flower 2015 (median)") == "Crowd-Flower-2015-median"
    assert safe_name(".hidden") == "hidden" and safe_name("  relevance_v2.1 ") == "relevance_v2.1"
    assert len(safe_name("x" * 500)) == L.MAX_NAME
    for bad in ("", "..", "/", "../", " . "):
        with pytest.raises(ValueError, match="not a usable list name"):
            safe_name(bad)


def test_a_list_is_one_row_per_pair_with_its_mean_gain():
    jl = judgment_list("my list", "imported", pairs(), {"E": 1.0}, {"rows_read": 4})
    assert jl.name == "my-list" and jl.queries == ["tent", "NA"]
    assert jl.pairs[["query", S.PRODUCT_ID, "gain"]].values.tolist() == [["tent", "P1", 0.75], ["tent", "P2", 0.0],
                                                                          ["NA", "007", 0.5]]
    assert jl.counts == {"rows_read": 4, "pairs": 3, "queries": 2, "relevant_queries": 2}
    assert list(jl.pairs.columns) == L.PAIR_COLUMNS and (jl.pairs["created"] == jl.created).all()
    assert jl.judgments() == {"tent": {"P1": 0.75, "P2": 0.0}, "NA": {"007": 0.5}}
    for bad, message in [(pairs().assign(gain=-1), ">= 0"), (pairs().iloc[:0], "no judged pairs")]:
        with pytest.raises(ValueError, match=message):
            judgment_list("x", "imported", bad)
    with pytest.raises(ValueError, match="unknown source"):
        judgment_list("x", "guesses", pairs())


def test_save_and_load_round_trip_atomically(tmp_path):
    store = JudgmentStore(tmp_path / "judgments" / "shop")
    assert store.names() == [] and store.table().empty
    rejects = pd.DataFrame([{"file": "f.csv", "row": 3, "column": "grade", "value": "X", "problem": "bad"}])
    jl = store.save(judgment_list("../evil name", "imported", pairs(), {"1": 0.0, "4": 1.0}, {"rejected": 1},
                                  "from f.csv", rejects))
    assert sorted(p.name for p in store.folder.iterdir()) == ["evil-name.csv", "evil-name.json"]  # no temp left
    back = store.load("evil name")
    assert (back.name, back.source, back.gains, back.counts, back.created, back.notes) == (
        jl.name, jl.source, jl.gains, jl.counts, jl.created, jl.notes)
    pd.testing.assert_frame_equal(back.pairs, jl.pairs)  # "NA" and "007" stay text
    assert back.rejects.to_dict("records") == rejects.to_dict("records")
    assert store.names() == ["evil-name"]
    assert store.table()[["name", "source", "pairs", "queries"]].values.tolist() == [["evil-name", "imported", 3, 2]]
    meta = json.loads((store.folder / "evil-name.json").read_text())
    assert meta["gains"] == {"1": 0.0, "4": 1.0} and meta["source"] == "imported"


def test_a_failed_save_keeps_the_old_list_and_a_cut_short_one_is_refused(tmp_path, monkeypatch):
    store = JudgmentStore(tmp_path)
    store.save(judgment_list("l", "imported", pairs()))

    def boom(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)  # every atomic write moves its file with os.replace
    with pytest.raises(OSError, match="disk full"):
        store.save(judgment_list("l", "imported", pairs().iloc[:1]))
    monkeypatch.undo()
    assert len(store.load("l").pairs) == 3 and sorted(os.listdir(tmp_path)) == ["l.csv", "l.json"]
    # a save cut between its two moves: a new table beside the old meta
    judgment_list("l", "imported", pairs().iloc[:1]).pairs.to_csv(tmp_path / "l.csv", index=False)
    with pytest.raises(ValueError, match="a save was interrupted"):
        store.load("l")


def test_delete_and_unknown_lists(tmp_path):
    store = JudgmentStore(tmp_path)
    store.save(judgment_list("a", "people", pairs()))
    with pytest.raises(KeyError, match="no judgment list 'b' \\(lists: a\\)"):
        store.load("b")
    assert store.delete("a") and not store.delete("a") and store.names() == []
