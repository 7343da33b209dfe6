"""Cross-encoder reranker: trains on a few dozen pairs, round-trips, quantises, registers atomically."""
from dataclasses import replace

import numpy as np
import pytest
import torch

from ecomrec import Engine
from ecomrec.models.reranker import CrossEncoderReranker, RerankerConfig
from ecomrec.models.training import TrainProgress
from ecomrec.trainers import copy_ahead, distilled_reranker, rerank_test_metrics

FAST = RerankerConfig(epochs=1, batch_size=16)
PAIRS = [("two person tent", "Halden Ridge Tent, 2-person, green | Halden | Tents", 1.0),
         ("two person tent", "Calax Tundra Everyday Dog Food, 12kg | Calax | Dog Food", 0.0),
         ("espresso machine", "Brevo Crema Espresso Machine, 15 bar | Brevo | Coffee Makers", 1.0),
         ("espresso machine", "Norvik Trail Sleeping Bag, -5C | Norvik | Sleeping Bags", 0.0)] * 8


@pytest.fixture(scope="module")
def trained():
    q, d, t = zip(*PAIRS)
    return CrossEncoderReranker.train(q, d, t, [1.0] * len(t), FAST)


def test_training_reports_progress_and_learns_the_pairs():
    q, d, t = zip(*PAIRS)
    seen = []
    ranker, info = CrossEncoderReranker.train(q, d, t, [1.0] * len(t), FAST, progress=seen.append)
    assert seen[-1].step == seen[-1].total_steps == 2 and info["epochs_run"] == 1
    s = ranker.score("two person tent", [PAIRS[0][1], PAIRS[1][1]])
    assert s.shape == (2,) and s[0] > s[1]  # the tent beats dog food for a tent query


def test_save_load_round_trip_gives_identical_scores(trained, tmp_path):
    ranker, _ = trained
    docs = [p[1] for p in PAIRS[:4]]
    ranker.save(tmp_path)
    assert (tmp_path / "model.safetensors").exists() and not list(tmp_path.glob("*.bin"))
    again = CrossEncoderReranker.load(tmp_path, "cpu")
    assert np.allclose(again.score("tent", docs), ranker.score("tent", docs), atol=1e-5)


def test_a_search_splits_each_product_text_once_and_scores_as_the_pairs_would(trained, monkeypatch):
    """Product texts are split into word pieces once per process; the pairs built from them are exactly what the
    tokenizer makes of (query, text), so the scores are the pair scores, value for value."""
    ranker, _ = trained
    docs = [p[1] for p in PAIRS[:4]] + ["Halden Ridge Tent " * 20]  # the last one is cut to the budget
    long = " ".join(f"tent{i}" for i in range(20))  # over half the budget of word pieces, yet leaving room
    assert ranker.max_length // 2 < len(ranker.tokenizer(long, add_special_tokens=False)["input_ids"]) \
        < ranker.max_length - 4
    for query in ("tent", "two person tent for a rainy weekend in the hills", long):
        want = ranker._tokenize([query] * len(docs), docs)
        got = ranker._tokenize_one_query(query, docs)
        assert {k: v.tolist() for k, v in got.items()} == {k: v.tolist() for k, v in want.items()}
        assert np.array_equal(ranker.score(query, docs), ranker.score_pairs([query] * len(docs), docs))
    split = []
    real = type(ranker.tokenizer).__call__
    monkeypatch.setattr(type(ranker.tokenizer), "__call__", lambda self, text, *a, **k: (
        split.append(text), real(self, text, *a, **k))[1])
    ranker.score("sleeping bag", docs)
    assert split == ["sleeping bag"]  # the query only: every text was split before


def test_a_query_longer_than_the_budget_still_scores(trained):
    """(The tokenizer's own pair encoding refuses a pair whose query leaves no room.) The query keeps half the budget,
    the text the rest."""
    ranker, _ = trained
    scores = ranker.score("tent " * 80, [PAIRS[0][1], PAIRS[1][1]])
    pair = ranker._tokenize_one_query("tent " * 80, [PAIRS[0][1] * 10])
    assert scores.shape == (2,) and pair["input_ids"].shape == (1, ranker.max_length)
    assert pair["token_type_ids"][0].tolist() == [0] * (ranker.max_length // 2 + 2) + [1] * (ranker.max_length // 2 - 2)


def test_int8_copy_keeps_the_order_and_leaves_the_original_alone(trained):
    ranker, _ = trained
    docs = [p[1] for p in PAIRS[:4]]
    before = ranker.score("espresso machine", docs)
    int8 = ranker.quantized()
    assert np.argmax(int8.score("espresso machine", docs)) == np.argmax(before)
    assert np.allclose(ranker.score("espresso machine", docs), before)


def test_student_keeps_the_first_and_last_layer_of_its_teacher(trained):
    teacher, _ = trained
    student = teacher.student(2)
    assert (teacher.layers, student.layers) == (6, 2)
    layers = lambda r: r.model.bert.encoder.layer  # noqa: E731
    for s_layer, t_layer in zip(layers(student), (layers(teacher)[0], layers(teacher)[5])):
        for a, b in zip(s_layer.parameters(), t_layer.parameters()):
            assert torch.equal(a, b)
    assert teacher.layers == 6 and len(layers(teacher)) == 6  # the teacher is left whole


def test_distilled_student_learns_its_teachers_order(trained):
    teacher, _ = trained
    q, d, _ = zip(*PAIRS)
    config = replace(FAST, student_layers=2, student_epochs=2)
    untrained = teacher.student(2)
    student, info = teacher.distill(q, d, config)
    assert info["epochs_run"] == 2 and student.layers == 2
    target = teacher.score_pairs(q, d)
    gap = lambda r: float(np.mean((r.score_pairs(q, d) - target) ** 2))  # noqa: E731
    assert gap(student) < 0.8 * gap(untrained)  # learned (0.011 -> 0.006), not just kept
    for query, good, bad in (("two person tent", PAIRS[0][1], PAIRS[1][1]),
                             ("espresso machine", PAIRS[2][1], PAIRS[3][1])):
        assert np.argmax(teacher.score(query, [good, bad])) == 0
        assert np.argmax(student.score(query, [good, bad])) == 0


@pytest.mark.parametrize("teacher_val, kept", [(0.505, True), (0.52, False)])
def test_the_student_replaces_its_teacher_only_within_the_tolerance(trained, teacher_val, kept):
    teacher, _ = trained
    q, d, _ = zip(*PAIRS)
    info = {"best_val_ndcg": teacher_val, "train_s": 1.0, "history": [0.7, 0.6, 0.5]}  # the teacher took 3 steps
    config = replace(FAST, student_layers=2, student_epochs=1)
    seen = []
    chosen, record = distilled_reranker(teacher, info, list(q), list(d), config, seen.append, lambda ranker: 0.5,
                                        None)  # the student scores 0.5 on validation
    # the copy's steps continue the teacher's on the progress bar and loss curve, named as the copy's
    assert [(p.step, p.total_steps) for p in seen] == [(4, 5), (5, 5)]
    assert seen[-1].metric_name == "NDCG@10, smaller copy" and seen[-1].val_metric == 0.5
    assert record["distilled"] is kept and (chosen.layers == 2) is kept
    assert record["student_val_ndcg@10"] == 0.5 and record["teacher_val_ndcg@10"] == teacher_val
    assert record["distilled_why"].startswith("kept" if kept else "not kept")
    assert info["train_s"] > 1.0  # the student's time is counted


def test_a_lora_teachers_student_learns_every_weight():
    q, d, t = zip(*PAIRS)
    lora_teacher, _ = CrossEncoderReranker.train(q, d, t, [1.0] * len(t), replace(FAST, lora=True))
    frozen = [n for n, p in lora_teacher.model.named_parameters() if not p.requires_grad]
    assert frozen  # merging LoRA leaves the base weights frozen...
    student = lora_teacher.student(2)
    assert all(p.requires_grad for p in student.model.parameters())  # ...the copy learns them all


def test_no_student_without_validation_or_when_switched_off(trained):
    teacher, _ = trained
    for config, evaluate, best in ((replace(FAST, student_layers=0), lambda r: 0.5, 0.5), (FAST, None, 0.5),
                                   (FAST, lambda r: 0.5, None)):
        assert distilled_reranker(teacher, {"best_val_ndcg": best, "train_s": 1.0, "history": []}, [], [], config, None,
                                  evaluate, None) == (teacher, {})


def test_engine_trains_reranker_from_events_and_reports_ndcg(tiny_engine, tmp_path):
    engine = Engine(tiny_engine.catalog.data, replace(tiny_engine.config, registry_dir=tmp_path),
                    tiny_engine.embeddings.encoder)
    manifest = engine.models.train("reranker", FAST)
    assert engine.models.registry.active("reranker") == manifest.version
    m = manifest.metrics
    assert m["pairs"] > 20
    # the manifest's test numbers are what the saved model scores, remeasured from its folder
    saved = CrossEncoderReranker.load(engine.models.registry.path("reranker"), "cpu")
    again = rerank_test_metrics(engine._training_inputs(), saved)
    assert {k: m[k] for k in again} == again and again["test_queries"] > 0
    assert engine.models.reranker().score("tent", ["a tent"]).shape == (1,)


def test_interrupted_reranker_training_leaves_the_registry_unchanged(tiny_engine, tmp_path):
    engine = Engine(tiny_engine.catalog.data, replace(tiny_engine.config, registry_dir=tmp_path),
                    tiny_engine.embeddings.encoder)

    def stop(progress):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine.models.train("reranker", FAST, progress=stop)
    assert engine.models.registry.versions("reranker") == [] and engine.models.registry.active("reranker") is None


@pytest.mark.slow
def test_reranker_trains_from_a_judgment_list_alone_and_joins_only_when_the_pipeline_gains(tiny_engine, tmp_path):
    from ecomrec import schema as S
    from ecomrec.trainers import HARD_NEGATIVES, judged_reranker_pairs

    # a shop without events or labelled queries: judgments are all it has
    engine = Engine.from_frames(tiny_engine.catalog.products, name="judged_only",
                                config=replace(tiny_engine.config, registry_dir=tmp_path),
                                encoder=tiny_engine.embeddings.encoder)
    p = engine.catalog.products
    tents = p.loc[p[S.CATEGORY].str.endswith("Tents"), S.PRODUCT_ID].tolist()
    bags = p.loc[p[S.CATEGORY].str.endswith("Sleeping Bags"), S.PRODUCT_ID].tolist()
    train = {"tent for two": {pid: 1.0 for pid in tents[:5]} | {bags[0]: 0.0},
             "warm sleeping bag": {pid: 1.0 for pid in bags[:5]} | {tents[0]: 0.0}}
    val = {"camping tent": {pid: 1.0 for pid in tents[5:10]}}
    table = judged_reranker_pairs(train, p[S.PRODUCT_ID].to_numpy(), engine.embeddings.dense_retrieve, seed=13)
    assert table["weight"].eq(1.0).sum() == 12  # every judged pair, with its gain as the target
    negatives = table[table["weight"].eq(0.5)]  # unjudged products of each query's dense top 20, as irrelevant
    assert len(negatives) == 2 * HARD_NEGATIVES and negatives["target"].eq(0).all()

    asked = []

    def pipeline_val(reranker):  # the pipeline gains with a reranker
        asked.append(reranker is not None)
        return 0.6 if reranker is not None else 0.5

    m = engine.models.train_reranker_on_judgments(train, val, FAST, pipeline_val=pipeline_val)
    assert sorted(asked) == [False, True] and m.metrics["source"] == "judgments" and m.metrics["beats_without"]
    assert engine.models.active("reranker") == m.version and m.metrics["val_queries"] == 1
    worse = engine.models.train_reranker_on_judgments(train, val, FAST, pipeline_val=lambda r: 0.4 if r else 0.5)
    assert not worse.metrics["beats_without"] and engine.models.active("reranker") == m.version  # kept the first
    with pytest.raises(ValueError, match="must not overlap"):
        engine.models.train_reranker_on_judgments(train, {"tent for two": {tents[0]: 1.0}}, FAST)


def test_the_progress_total_counts_the_copys_steps_from_the_start_so_a_bar_never_runs_back():
    seen = []
    config = RerankerConfig(epochs=1, student_epochs=4)
    copy_ahead(seen.append, config)(TrainProgress(step=1, total_steps=2, epoch=1, loss=0.5))
    assert (seen[-1].step, seen[-1].total_steps) == (1, 10)  # 2 of its own + 4 passes of the copy over 2 steps
    copy_ahead(seen.append, replace(config, epochs=2))(TrainProgress(step=1, total_steps=4, epoch=1, loss=0.5))
    assert seen[-1].total_steps == 4 + 8  # 4 copy passes of 2 steps each
    report = seen.append
    assert copy_ahead(report, replace(config, student_layers=0)) is report and copy_ahead(None, config) is None
