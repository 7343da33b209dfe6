"""The label service, task by task, as the Annotate page uses it: queue, answer, skip, undo, review, label
sets, files, grades."""
from dataclasses import replace

import pytest

from ecomrec import Engine
from ecomrec import schema as S
from ecomrec.config import Config


@pytest.fixture
def labels(tiny_dir, tmp_path, encoder):
    config = replace(Config(), annotation_dir=tmp_path / "ann", registry_dir=tmp_path / "reg")
    labels = Engine.load(tiny_dir, config, encoder=encoder).labels
    labels.create_label_set("types", ["product", "question"])
    return labels


def test_training_queries_fill_the_queue_but_held_out_ones_never_do(labels):
    train, test = labels.catalog.queries[S.TEXT], labels.catalog.queries_test[S.TEXT]
    assert labels.add_training_queries() == train.nunique()
    queued = set(labels.store.records()["text"])
    assert queued == set(train) and not queued & set(test)
    assert labels.add_training_queries() == 0 and labels.add_to_queue(["red tent"], source="search page") == 1


def test_suggesting_labels_for_a_filled_queue_reports_progress_batch_by_batch(labels, monkeypatch):
    """Filling the queue with every training query makes the model read each once (seconds for 2,000):
    the page is told after each batch, and the suggestions are those of one pass over all of them."""
    import ecomrec.services.labels as service

    labels.add_training_queries()
    n = len(labels.store.records())
    model = labels.refresh_suggestions("types")
    whole = labels.store.suggestions("types").sort_values("record_id").reset_index(drop=True)
    monkeypatch.setattr(service, "SUGGEST_BATCH", 25)
    seen = []
    assert labels.refresh_suggestions("types", progress=lambda done, total: seen.append((done, total))) == model
    assert seen == [(min(k + 25, n), n) for k in range(0, n, 25)]
    batched = labels.store.suggestions("types").sort_values("record_id").reset_index(drop=True)
    assert batched["label"].tolist() == whole["label"].tolist()
    assert batched["score"].to_numpy() == pytest.approx(whole["score"].to_numpy(), abs=1e-5)


def test_an_annotator_answers_skips_and_takes_both_back(labels):
    labels.add_to_queue(["red tent", "is this tent warm", "blue tent"], source="test")
    first = labels.queue("types", "ana")
    assert first.model == "zero-shot" and first.next.suggestion in {"product", "question"}  # suggested on first use
    assert (first.progress.records, first.progress.left_for_me, first.can_undo) == (3, 3, False)
    labels.answer("types", first.next.record_id, "ana", "product", note="a tent")
    second = labels.queue("types", "ana").next
    labels.skip("types", second.record_id, "ana")
    p = labels.queue("types", "ana").progress
    assert (p.mine, p.skipped, p.left_for_me) == (1, 1, 1)
    assert labels.undo("types", "ana") == second.text
    assert labels.undo("types", "ana") == first.next.text and labels.undo("types", "ana") is None
    with pytest.raises(ValueError, match="no label 'shoes'"):
        labels.answer("types", second.record_id, "ana", "shoes")


def test_review_reports_agreement_and_a_resolution_settles_a_dispute(labels):
    assert labels.agreement("types") is None  # no answers yet
    labels.add_to_queue(["red tent", "is this tent warm"], source="test")
    ids = labels.store.records()["id"].tolist()
    for who, given in {"ana": ["product", "question"], "ben": ["product", "product"]}.items():
        for rid, lab in zip(ids, given):
            labels.answer("types", rid, who, lab)
    report = labels.agreement("types")
    assert (report.answers, report.annotators, report.final_labels) == (4, 2, 1)  # the tie stays out
    assert report.disputes["text"].tolist() == ["is this tent warm"] and len(report.pairwise) == 1
    labels.resolve("types", ids[1], "question", "lead")
    assert labels.agreement("types").disputes.empty
    assert dict(zip(*labels.resolved_labels("types")[["text", "label"]].T.values)) == {
        "red tent": "product", "is this tent warm": "question"}


def test_label_set_edits_keep_answers_and_a_set_can_start_from_the_query_categories(labels):
    labels.add_to_queue(["red tent"], source="test")
    rid = int(labels.store.records()["id"].iloc[0])
    labels.answer("types", rid, "ana", "question")
    assert labels.rename_label("types", "question", "info") == 1
    labels.add_label("types", "order", "where is my parcel")
    labels.edit_label("types", "order", examples=["track my order", "  "])
    labels.set_guidelines("types", "Pick one.")
    s = labels.label_set("types")
    assert (s.names, s.usage, s.guidelines) == (["product", "info", "order"], {"product": 0, "info": 1, "order": 0},
                                                "Pick one.")
    assert s.labels[2].examples == ("track my order",)
    with pytest.raises(ValueError, match="1 answer"):
        labels.delete_label("types", "info")
    assert labels.delete_label("types", "info", answers="move", move_to="product") == 1
    assert labels.label_sets()["types"] == 2
    categories = labels.query_categories()
    assert labels.create_label_set("categories", from_categories=True) == len(categories) == 4
    assert labels.label_set("categories").task == "category" and labels.label_set("categories").names == categories


def test_exports_go_to_one_folder_per_data_set_and_import_back(labels, tmp_path):
    labels.add_to_queue(["red tent", "is this tent warm"], source="test")
    for rid, lab in zip(labels.store.records()["id"], ["product", "question"]):
        labels.answer("types", int(rid), "ana", lab)
    path = labels.export("types", "csv")
    assert path == tmp_path / "ann" / "exports" / labels.catalog.name / "types.csv"
    labels.create_label_set("copy", ["product"])
    file = labels.read_file("copy", path)
    assert file.unknown_labels == ["question"]
    with pytest.raises(ValueError, match="not in 'copy'"):
        labels.import_file("copy", file, path.name)
    assert labels.import_file("copy", file, path.name, create_unknown=True) == {
        "records_added": 0, "answers": 2, "labels_created": 1}
    assert set(labels.store.responses("copy")["annotator"]) == {"import: types.csv"}


def test_a_grader_grades_pooled_pairs_and_takes_a_grade_back(labels):
    pids = labels.catalog.products[S.PRODUCT_ID].tolist()[:2]
    labels.store.add_pairs("red tent", {"bm25": pids})
    g = labels.grading("ana")
    assert (g.pairs, g.graded, g.queries) == (2, 0, 1) and g.next.product[S.PRODUCT_ID] == pids[0]
    labels.grade(g.next.pair_id, "ana", "E")
    assert labels.grading("ana").graded == 1 and labels.grading("ana").next.product[S.PRODUCT_ID] == pids[1]
    assert labels.undo_grade("ana") and not labels.undo_grade("ana")
    assert labels.held_out_queries == labels.catalog.queries_test[S.TEXT].nunique()
    with pytest.raises(ValueError, match="grade must be one of"):
        labels.grade(g.next.pair_id, "ana", "X")
