"""Tuning the ranking profile on a shop's judgments: better on validation than the defaults, never a query
outside validation, reproducible with its seed, bounded by trials, time and cancel; saved versions keep their
metrics and roll back by activation."""
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ecomrec.evaluation.ranking import ndcg_at_k
from ecomrec.search.ranking_profile import PROFILE_ROLE, ProfileSettings, RankingProfile
from ecomrec.search.searcher import SearchModels, SearchSettings
from ecomrec.search.tuning import TuneConfig, tune

QUERIES = [f"q{i}" for i in range(8)]
GOOD = {q: {f"{q}-good-{j}": 1.0 for j in range(3)} for q in QUERIES}


def fake_run(calls: list):
    """A stand-in search: the right products come first only with BM25-only fusion and a depth of 50, and the
    general rerank weight above 1 lifts one more; records every query it is asked."""
    def run(query: str, profile: RankingProfile) -> list[str]:
        calls.append(query)
        s = profile.settings
        good = [f"{query}-good-{j}" for j in range(3)]
        noise = [f"{query}-noise-{j}" for j in range(10)]
        if s.fusion == "bm25" and s.rerank_depth == 50:
            return good + noise
        if s.fusion == "bm25" or profile.weights(None).rerank > 1.0:
            return noise[:2] + good + noise[2:]
        return noise[:8] + good[:1] + noise[8:]
    return run


def test_the_tuner_beats_the_defaults_on_validation_and_says_why():
    calls: list[str] = []
    res = tune(fake_run(calls), GOOD, TuneConfig(n_trials=60, budget_s=60))
    assert res.trials[0].label == "active profile" and res.trials[1].label == "defaults"
    assert res.val_ndcg_best > res.val_ndcg_default == res.val_ndcg_active
    assert res.profile.settings.fusion == "bm25" and res.profile.settings.rerank_depth == 50
    assert res.profile.version is None and res.improved and res.stopped == "trials" and len(res.trials) == 60
    assert "fusion rrf → bm25" in res.why and "better on 8" in res.why
    h = res.history()
    assert list(h.columns[:3]) == ["trial", "ndcg@10", "best"] and h["best"].is_monotonic_increasing
    assert res.val_ndcg_best == pytest.approx(ndcg_at_k(fake_run([])("q0", res.profile), GOOD["q0"]))


def test_a_shop_whose_judgments_do_not_reward_category_places_gets_them_turned_off():
    def run(query: str, profile: RankingProfile) -> list[str]:  # the category's places push the right ones down
        good, noise = [f"{query}-good-{j}" for j in range(3)], [f"{query}-noise-{j}" for j in range(10)]
        return good + noise if profile.settings.category_share == 0 else noise[:5] + good + noise[5:]

    res = tune(run, GOOD, TuneConfig(n_trials=30, budget_s=60, parts=("depths",)))
    assert ProfileSettings().category_share == pytest.approx(1 / 3) and res.val_ndcg_active < 1.0
    assert res.profile.settings.category_share == 0.0 and res.val_ndcg_best == pytest.approx(1.0)
    assert "category_share" in res.why


def test_the_tuner_only_ever_searches_validation_queries():
    calls: list[str] = []
    val = {q: GOOD[q] for q in QUERIES[:5]}  # q5..q7 are the test part: never to be searched
    tune(fake_run(calls), val, TuneConfig(n_trials=25, budget_s=60))
    assert calls and set(calls) <= set(val)


def quirky_run(calls: list):
    """Training queries (t*) rank best with BM25-only fusion at depth 50; validation queries (v*) share the
    taste for BM25-only fusion but not that depth's quirk: there, depth 50 buries the right products."""
    def run(query: str, profile: RankingProfile) -> list[str]:
        calls.append(query)
        s = profile.settings
        good = [f"{query}-good-{j}" for j in range(3)]
        noise = [f"{query}-noise-{j}" for j in range(10)]
        if s.fusion != "bm25":
            return noise[:8] + good[:1] + noise[8:]
        if query.startswith("t"):
            return good + noise if s.rerank_depth == 50 else noise[:1] + good + noise[1:]
        return noise + good if s.rerank_depth == 50 else good + noise
    return run


def test_with_training_queries_trials_score_on_them_and_validation_chooses_among_the_best():
    calls: list[str] = []
    train = {f"t{i}": {f"t{i}-good-{j}": 1.0 for j in range(3)} for i in range(8)}
    val = {f"v{i}": {f"v{i}-good-{j}": 1.0 for j in range(3)} for i in range(4)}
    res = tune(quirky_run(calls), val, TuneConfig(n_trials=60, budget_s=60, parts=("fusion", "depths")),
               judgments_train=train)
    assert set(calls) <= set(train) | set(val)  # never a query outside the two sets
    on_train = {t.number: t.ndcg for t in res.trials}
    assert on_train[0] == pytest.approx(ndcg_at_k(quirky_run([])("t0", RankingProfile()), train["t0"]))
    best_on_train = max(on_train.values())
    assert best_on_train == 1.0  # some trial found BM25 at depth 50, perfect on the training queries...
    # ...but validation chose BM25 at another depth among the best trials: perfect there, second on training
    assert res.profile.settings.fusion == "bm25" and res.profile.settings.rerank_depth != 50
    assert res.val_ndcg_best == 1.0 and on_train[res.best_trial] < best_on_train
    assert res.train_queries == 8 and res.queries == 4
    assert "scored on 8 training queries; validation chose among the active profile, the defaults and the best " \
           "trials of" in res.why and res.why.endswith("kinds of candidate pool.")


def test_same_seed_same_trials_other_seed_other_trials():
    def run(seed):
        res = tune(fake_run([]), GOOD, TuneConfig(n_trials=30, budget_s=60, seed=seed))
        return [(t.ndcg, sorted(t.params.items())) for t in res.trials]

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_the_time_budget_stops_it_and_keeps_the_best_so_far():
    slow = fake_run([])

    def sleepy(query, profile):
        time.sleep(0.01)
        return slow(query, profile)

    res = tune(sleepy, GOOD, TuneConfig(n_trials=10_000, budget_s=1.0))
    assert res.stopped == "time budget" and 2 <= len(res.trials) < 10_000
    assert res.elapsed_s < 1.0 + 0.3  # a trial in flight stops at its next query
    assert res.val_ndcg_best >= res.val_ndcg_active


def test_cancel_stops_it_but_the_active_profile_is_always_evaluated():
    seen = []
    res = tune(fake_run([]), GOOD, TuneConfig(n_trials=100, budget_s=60),
               progress=seen.append, cancel=lambda: len(seen) >= 5)
    assert res.stopped == "cancelled" and len(res.trials) == 5 and [p.trial for p in seen] == [0, 1, 2, 3, 4]
    first = tune(fake_run([]), GOOD, TuneConfig(n_trials=100, budget_s=60), cancel=lambda: True)
    assert [t.label for t in first.trials] == ["active profile", "defaults"] and first.stopped == "cancelled"


def test_a_better_active_profile_is_kept_when_no_trial_beats_it():
    best = RankingProfile(settings=ProfileSettings(fusion="bm25", rerank_depth=50))
    res = tune(fake_run([]), GOOD, TuneConfig(n_trials=20, budget_s=60), active=best)
    assert res.best_trial == 0 and res.profile.same_ranking(best) and not res.improved
    assert res.val_ndcg_active == pytest.approx(1.0) and res.val_ndcg_default < 1.0
    assert "stays as it is" in res.why


def test_intent_weights_are_tuned_only_for_intents_with_enough_validation_queries():
    intents = {q: ("gift" if i < 6 else "browse") for i, q in enumerate(QUERIES)}
    res = tune(fake_run([]), GOOD, TuneConfig(n_trials=5, budget_s=60, min_intent_queries=5), intents=intents)
    assert res.intents == ("gift",) and "weights" not in res.tuned  # no query reads the general weights
    assert any(n.startswith("w.gift.") for n in res.trials[0].params)
    assert not any(n.startswith("w.browse.") or n.startswith("w.general.") for n in res.trials[0].params)
    only_bm25 = tune(fake_run([]), GOOD, TuneConfig(n_trials=5, parts=("bm25",)))
    assert set(only_bm25.trials[-1].params) == {"bm25_fields", "bm25_k1", "bm25_b"}
    with pytest.raises(ValueError, match="unknown tuning part"):
        TuneConfig(parts=("sparkle",))
    with pytest.raises(ValueError, match="no validation judgments"):
        tune(fake_run([]), {})


# ---- the real searcher ----
def _bm25_title_truth(searcher, queries):
    """Judgments a title-only BM25 agrees with: its top 3 per query are relevant."""
    title_only = SearchModels(profile=RankingProfile(settings=ProfileSettings(bm25_fields=("title",), bm25_b=0.25)))
    return {q: {it.product_id: 1.0 for it in searcher.search(q, title_only, 3, settings=SearchSettings(
        preset="bm25")).items} for q in queries}


def test_tuning_a_real_searcher_finds_better_settings_and_reads_only_validation(tiny_engine, monkeypatch):
    searcher = tiny_engine.searches.searcher
    val_q = ["dome tent", "mummy sleeping bag", "espresso coffee maker", "unlocked smartphone", "tent stakes"]
    test_q = ["drip coffee maker", "down sleeping bag"]
    truth = _bm25_title_truth(searcher, val_q + test_q)
    val = {q: truth[q] for q in val_q}
    seen: list[str] = []
    real = searcher.search

    def spy(text, *args, **kwargs):
        seen.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(searcher, "search", spy)
    res = tune(searcher, val, TuneConfig(n_trials=40, budget_s=90, seed=3))
    assert set(seen) == set(val_q)  # test queries never searched
    assert res.val_ndcg_best > res.val_ndcg_default
    again = tune(searcher, val, TuneConfig(n_trials=40, budget_s=90, seed=3))
    assert [t.ndcg for t in again.trials] == [t.ndcg for t in res.trials]
    models = SearchModels(profile=res.profile)  # the result searches as measured, without the memo
    mean = sum(ndcg_at_k([it.product_id for it in real(q, models, 10).items], val[q]) for q in val_q) / len(val_q)
    assert mean == pytest.approx(res.val_ndcg_best, abs=1e-9)


@pytest.fixture()
def tuning_engine(search_env, encoder, tmp_path):
    """An engine over the search data set with its trained intent model and reranker, but a registry of its own
    for ranking profiles (the shared one's profile stays as other tests expect it)."""
    from ecomrec import Engine
    from ecomrec.config import Config
    from ecomrec.data.loaders import load_dataset

    folder, registry = search_env
    data = load_dataset(folder)
    root = tmp_path / "registry"
    (root / data.name).mkdir(parents=True)
    for role in ("intent", "reranker"):
        (root / data.name / role).symlink_to(Path(registry) / data.name / role)
    return Engine(data, replace(Config(), registry_dir=root), encoder)


def test_the_search_service_tunes_saves_with_metrics_lists_and_rolls_back(tuning_engine):
    e = tuning_engine
    searcher = e.searches.searcher
    val_q, test_q = ["dome tent", "mummy sleeping bag", "espresso coffee maker"], ["drip coffee maker"]
    truth = _bm25_title_truth(searcher, val_q + test_q)
    progress = []
    res = e.searches.tune({q: truth[q] for q in val_q}, TuneConfig(n_trials=12, budget_s=90), progress.append)
    assert len(progress) == len(res.trials) == 12 and res.rerank_pairs > 0
    version = e.searches.save_tuned(res, {q: truth[q] for q in test_q})
    m = e.models.manifest(PROFILE_ROLE, version).metrics
    assert m["val_ndcg@10_after"] == pytest.approx(res.val_ndcg_best)
    assert m["val_ndcg@10_before"] == pytest.approx(res.val_ndcg_active)
    assert {"test_ndcg@10_before", "test_ndcg@10_after", "test_queries"} <= set(m)
    listed = e.searches.profiles()
    assert [p["version"] for p in listed] == [version] and listed[0]["active"]
    assert listed[0]["tuned"]["parts"] and listed[0]["settings"] == res.profile.settings.as_dict()
    assert e.models.search_models().profile.same_ranking(res.profile)
    res2 = e.searches.tune({q: truth[q] for q in val_q}, TuneConfig(n_trials=3, budget_s=90))
    assert res2.trials[0].ndcg == pytest.approx(res.val_ndcg_best)  # trial 0 is the saved, now active, profile
    v2 = e.searches.save_tuned(res2)
    assert [p["version"] for p in e.searches.profiles()] == [version, v2]
    e.searches.activate_profile(version)  # rollback
    assert e.models.search_models().profile.version == version
    assert [p["active"] for p in e.searches.profiles()] == [True, False]
    assert e.search("dome tent").settings.rerank_depth == res.profile.settings.rerank_depth


def test_with_a_reranker_weights_go_first_and_memoised_results_equal_plain_searches(tuning_engine):
    from ecomrec.search.tuning import SearcherRun

    e = tuning_engine
    searcher, models = e.searches.searcher, e.models.search_models()
    val_q = ["dome tent", "mummy sleeping bag", "espresso coffee maker", "tent stakes", "coffee beans"]
    truth = _bm25_title_truth(searcher, val_q)
    run = SearcherRun(searcher, models)
    res = tune(run, truth, TuneConfig(n_trials=10, budget_s=90, weights_first=1.0, min_intent_queries=1))
    assert res.intents  # every intent read gets weights of its own here
    pool = [n for n in res.trials[0].params if not n.startswith("w.")]
    assert pool and all(t.params[n] == res.trials[0].params[n] for t in res.trials[2:] for n in pool)
    assert {t.label for t in res.trials[2:]} <= {"", "pruned"}
    plain = SearchModels(models.intent, models.category, models.reranker, res.profile, models.versions)
    for q in val_q:  # no memo, one query at a time: the same ranking (to float rounding)
        assert [it.product_id for it in searcher.search(q, plain, 10).items] == run(q, res.profile)
