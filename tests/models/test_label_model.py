"""A label set's method chosen on its validation split: every candidate trains and predicts on a tiny set, the
manifest of the chosen model records them all, and what it saved loads back to the same probabilities."""
import numpy as np
import pytest

from ecomrec.models.intent import IntentConfig
from ecomrec.models.label_model import FAST, METHODS, LabelModel, SelectionConfig, TfidfLR, choose

WORDS = {"tent": ["tent", "camping tent", "tent for two", "dome tent", "big tent", "tent poles", "pop up tent",
                  "family tent", "tent sale", "hiking tent"],
         "phone": ["phone", "smartphone", "phone case", "cheap phone", "android phone", "phone charger",
                   "new phone", "phone deals", "unlocked phone", "phone screen"]}
TEXTS = [t for ts in WORDS.values() for t in ts]
LABELS = [lab for lab, ts in WORDS.items() for _ in ts]


def test_tfidf_lr_gives_zero_probability_to_labels_it_never_saw():
    model = TfidfLR.fit(["tent", "phone"], np.array([0, 2]), 3, c=10.0, seed=0)
    p = model.predict_proba(["tent"])
    assert p.shape == (1, 3) and p[0, 1] == pytest.approx(0.0) and p[0, 0] > p[0, 2]


@pytest.mark.slow
def test_every_candidate_is_scored_on_held_out_queries_and_the_best_one_is_kept(encoder, tmp_path):
    model = choose(TEXTS, LABELS, encoder.encode, SelectionConfig(seed=0),
                   IntentConfig(epochs=2, batch_size=8, seed=0))
    assert [r["method"] for r in model.candidates] == list(METHODS)
    n = len(FAST)
    fast = max(model.candidates[:n], key=lambda r: r["cv_macro_f1"])  # cross-validated over all 20 queries
    fine = max(model.candidates[n:], key=lambda r: r["fold0_macro_f1"])  # one fold, against every fast one
    leads = fine["fold0_macro_f1"] > max(r["fold0_macro_f1"] for r in model.candidates[:n])
    expected = fine if leads and fine["fold0_p"] < SelectionConfig().fine_tune_p else fast  # beyond chance
    assert model.method == expected["method"]
    assert model.why.startswith("best macro-F1 of the fast methods over all 20 labelled queries (held-out folds)")
    pred = model.predict(["camping tent for four", "android smartphone"])
    assert [p.label for p in pred] == ["tent", "phone"]
    assert sum(pred[0].probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    model.save(tmp_path)
    again = LabelModel.load(tmp_path, encode=encoder.encode)
    assert again.method == model.method and again.candidates == model.candidates
    np.testing.assert_allclose(again.predict_proba(TEXTS), model.predict_proba(TEXTS), atol=1e-5)


def test_without_fine_tuning_the_cheap_candidates_choose_and_the_rest_say_why(encoder):
    model = choose(TEXTS, LABELS, encoder.encode, SelectionConfig(fine_tune=False, seed=0))
    skipped = {r["method"]: r["skipped"] for r in model.candidates if "skipped" in r}
    assert skipped == {m: "off" for m in ("contrastive", "contrastive_blend", "fine_tune", "fine_tune_blend")}
    assert model.method in FAST and model.fine_tuned is None
    assert 0.05 <= model.temperature <= 20.0


def test_folds_keep_a_phrasing_together_and_every_label_in_training():
    from ecomrec.models.label_model import folds, phrasings

    texts = [f"how do i return my {w}" for w in ("tent", "lamp", "rug")] + ["tent", "lamp", "rug", "red rug"]
    catalog = {"tent", "lamp", "rug", "red"}
    groups = phrasings(texts, catalog)
    assert len(set(groups[:3])) == 1 and len(set(groups[3:])) == 4  # one phrasing; catalog words alone: each its own
    y = np.array([0] * 10 + [1] * 10)
    fold = folds([f"q{i}" for i in range(20)], y, None, SelectionConfig(folds=5, seed=0))
    assert sorted(np.bincount(fold)) == [4] * 5
    assert all(set(y[fold != f]) == {0, 1} for f in range(5))


def test_frames_alike_in_meaning_are_one_phrasing():
    from ecomrec.models.label_model import phrasings

    texts = ["gift for dad who loves fishing tent", "gift for dad who loves hiking tent", "how do i return my tent",
             "how can i return my lamp", "tent"]

    def encode(frames):  # a stand-in encoder: gift frames point one way, return frames the other
        return np.array([[1.0, 0.0] if "gift" in f else [0.0, 1.0] for f in frames])

    groups = phrasings(texts, {"tent", "lamp"}, encode, k=2)
    assert groups[0] == groups[1] != groups[2] == groups[3]  # 4 distinct frames of one label: 2 groups
    assert groups[4] not in groups[:4]  # catalog words alone: a group of its own
    assert len(set(phrasings(texts, {"tent", "lamp"})[:4])) == 4  # without an encoder, only identical frames
    by_label = phrasings(texts, {"tent", "lamp"}, encode, labels=np.array([0, 1, 0, 1, 0]), k=1)
    assert by_label[0] != by_label[1] and by_label[0] == by_label[2]  # each label's frames grouped apart


def test_a_label_set_of_three_queries_trains_without_failing(encoder):
    model = choose(["red tent", "blue tent", "phone"], ["tent", "tent", "phone"], encoder.encode,
                   SelectionConfig(fine_tune=False, seed=0))
    assert model.predict(["green tent"])[0].label in ("tent", "phone") and model.temperature == 1.0


def test_with_catalog_words_each_candidate_is_judged_on_new_and_seen_phrasings_alike(encoder):
    catalog = {w for t in TEXTS for w in t.split()} - {"for", "sale", "deals", "new", "big", "cheap"}
    model = choose(TEXTS, LABELS, encoder.encode, SelectionConfig(fine_tune=False, seed=0), catalog_words=catalog)
    fast = model.candidates[:len(FAST)]
    for r in fast:  # the score is the mean of the two views
        assert r["cv_macro_f1"] == pytest.approx((r["new_phrasings_macro_f1"] + r["seen_phrasings_macro_f1"]) / 2,
                                                 abs=1e-4)
    assert model.method == max(fast, key=lambda r: r["cv_macro_f1"])["method"]
    assert "(new and seen phrasings)" in model.why


def test_a_slow_candidate_that_would_overrun_its_time_is_stopped_early_and_says_why(encoder):
    """With the budget already spent, the contrastive run stops after 5 steps (its pace says it would end past
    half the time left) and fine-tuning does not start; the fast candidates choose."""
    model = choose(TEXTS, LABELS, encoder.encode, SelectionConfig(budget_s=0.01, seed=0))
    skipped = {r["method"]: r["skipped"] for r in model.candidates if "skipped" in r}
    assert skipped["contrastive"].startswith("would not finish in half the time left")
    assert skipped["fine_tune"] == skipped["fine_tune_blend"] == "time budget (0.01 s) spent"
    assert model.method in FAST and model.fine_tuned is None


def test_the_pace_of_the_first_steps_decides_whether_a_run_fits(monkeypatch):
    import itertools

    from ecomrec.models import label_model
    from ecomrec.models.training import TrainProgress

    clock = itertools.count(100.0)  # one second between any two readings, one reading a step
    monkeypatch.setattr(label_model.time, "perf_counter", lambda: next(clock))
    report = label_model._within(deadline=119.0)
    for step in range(1, 6):  # step 1 at 100, step 5 at 104: 1 s a step, 15 steps left end at 119
        report(TrainProgress(step, 20, 1, 0.5))
    late = label_model._within(deadline=120.0)
    with pytest.raises(label_model._OverBudget):
        for step in range(1, 6):  # step 1 at 105, step 5 at 109: the last step would end at 124
            late(TrainProgress(step, 20, 1, 0.5))


def test_a_label_name_is_one_more_example_of_its_label_in_both_the_model_and_the_baseline():
    """Trained on queries that never say "tent", TF-IDF learns the word from the label's own name when asked."""
    from ecomrec.evaluation.baselines import tfidf_lr_predict
    from ecomrec.models.label_model import _tfidf_fit

    texts, y, names = ["dome for camping", "smartphone"], np.array([0, 1]), ["tent", "phone"]
    with_names = _tfidf_fit(texts, y, names, (100.0, True), seed=0).predict_proba(["tent"])[0]
    without = _tfidf_fit(texts, y, names, (100.0, False), seed=0).predict_proba(["tent"])[0]
    assert with_names[0] > 0.5 > with_names[1] and without[0] == pytest.approx(0.5, abs=0.05)  # no shared n-gram
    labels = ["tent", "phone"]
    assert tfidf_lr_predict(texts, labels, ["tent", "phone"], 100.0, label_names=True) == ["tent", "phone"]


def test_the_chosen_settings_say_whether_label_names_were_examples(encoder):
    on = choose(TEXTS, LABELS, encoder.encode, SelectionConfig(fine_tune=False, label_names=(True,), seed=0))
    off = choose(TEXTS, LABELS, encoder.encode, SelectionConfig(fine_tune=False, label_names=(False,), seed=0))
    for model, says in ((on, True), (off, False)):
        fast = {r["method"]: r["setting"] for r in model.candidates[:2]}
        assert all(("label names as examples" in s) is says for s in fast.values()), fast


def test_the_joint_model_hears_words_and_meaning_in_one_regression_and_loads_back_the_same(encoder, tmp_path):
    """One LR over TF-IDF and embeddings: a query sharing no word with any training query goes to its label, and
    what is saved (the embedding scale folded into the weights) predicts the same after loading."""
    from ecomrec.models.label_model import _joint_fit

    names = sorted(WORDS)
    y = np.array([names.index(lab) for lab in LABELS])
    emb, name_emb = encoder.encode(TEXTS), encoder.encode(names)
    joint = _joint_fit(TEXTS, y, emb, names, name_emb, (10.0, True, 2.0), seed=0)
    assert joint.dense_dim == emb.shape[1]
    with pytest.raises(ValueError, match="dense features"):
        joint.predict_proba(["tent"])  # it cannot be asked without the embeddings it was fitted with
    model = LabelModel("joint", names, tfidf=joint, encode=encoder.encode)
    query = ["mobile telephone"]  # no word of it in training: the character n-grams and the meaning carry it
    assert model.predict(query)[0].label == "phone"
    model.save(tmp_path)
    again = LabelModel.load(tmp_path, encode=encoder.encode)
    np.testing.assert_allclose(again.predict_proba(TEXTS + query), model.predict_proba(TEXTS + query), atol=1e-6)


def test_a_search_embeds_its_query_once_for_the_intent_and_the_category(encoder):
    """The understander embeds the query once and hands that embedding to the intent model, whose answer equals
    what it says when it embeds the query itself."""
    from ecomrec.models.label_model import _joint_fit
    from ecomrec.search.understanding import QueryUnderstander

    names = sorted(WORDS)
    y = np.array([names.index(lab) for lab in LABELS])
    joint = _joint_fit(TEXTS, y, encoder.encode(TEXTS), names, encoder.encode(names), (10.0, True, 2.0), seed=0)
    calls = []

    class Counting:  # the base encoder, counting the texts it embeds
        def encode(self, texts):
            calls.append(list(texts))
            return encoder.encode(texts)

    counting = Counting()
    model = LabelModel("joint", names, tfidf=joint, encode=counting.encode)
    understander = QueryUnderstander(counting, brands=[], categories=["Outdoors > Tents", "Electronics > Phones"])
    understander.understand("tent", None)  # warm: the category names are embedded once per understander
    calls.clear()
    query = "mobile telephone"
    u = understander.understand(query, model)
    assert calls == [[query]]  # one forward for the intent and the category together
    alone = model.predict([query])[0]  # asked alone, the model embeds the query itself
    assert calls == [[query], [query]]
    assert (u.intent.label, u.category) == (alone.label, "Electronics > Phones")
    assert u.intent.confidence == pytest.approx(alone.confidence, abs=1e-6)
