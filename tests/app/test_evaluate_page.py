"""The Evaluate page through AppTest, on the tiny data set with quickly trained models: lists, measuring every
setting, the drill-down, two settings compared, tuning with activation and rollback, the reranker from judgments;
and no test query ever reaches tuning or training."""
import shutil

import pandas as pd
import pytest

from ecomrec import Engine
from tests.app.conftest import open_app

PAGE = "app_pages/evaluate.py"


@pytest.fixture(scope="module")
def eval_env(search_env, tmp_path_factory):
    """A copy of ``search_env``'s data set and registry under a name of its own: its judgment lists, runs and ranking
    profiles are this module's alone (the Search page tests keep theirs)."""
    data, registry = search_env
    root = tmp_path_factory.mktemp("evaluate")
    mine = root / "tiny_eval"
    shutil.copytree(data, mine)
    shutil.copytree(registry / data.name, root / "registry" / mine.name)
    return mine, root / "registry"


@pytest.fixture
def app(eval_env, monkeypatch):
    data, registry = eval_env
    return open_app(data, registry, monkeypatch, timeout=300)


@pytest.fixture
def engine(eval_env, encoder):
    """engine() -> a fresh engine over the module's data set (another session: it reads what the page saved)."""
    from dataclasses import replace

    data, registry = eval_env

    def make() -> Engine:
        e = Engine.load(data)
        return Engine(e.catalog.data, replace(e.config, registry_dir=registry), encoder)
    return make


def button(at, start: str):
    return next(b for b in at.button if b.label.startswith(start))


def open_tab(at, tab: str):
    at.session_state["evaluate_tab"] = tab  # only the open tab is drawn
    return at.run()


def frame_with(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_without_lists_the_page_says_what_to_do(search_env, tmp_path, monkeypatch):
    data = tmp_path / "tiny_no_lists"
    shutil.copytree(search_env[0], data)
    at = open_app(data, search_env[1], monkeypatch, timeout=300)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert any("No judgment lists yet" in i.value for i in at.info)
    assert button(at, "Make a list from clicks") and button(at, "Make a list from people's grades")
    assert any(u.label == "Judgment file" for u in at.get("file_uploader"))


@pytest.mark.slow
def test_a_list_from_clicks_measured_shows_every_setting_with_intervals_equal_to_the_service(app, engine, seen):
    at = app.switch_page(PAGE).run()
    button(at, "Make a list from clicks").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="evaluate_list").value == "clicks"
    assert any("validation" in m.value and "test" in m.value for m in at.markdown)  # the split sizes
    button(at, "Measure ").click().run()
    assert not at.exception, at.exception
    shown = frame_with(at, "setting")
    eng = engine()
    runs = eng.relevance.saved_runs("clicks")
    assert len(runs) == 1  # saved, and listed
    run = eng.relevance.load_run(runs["id"].iloc[0])
    labels = eng.relevance.systems()
    assert list(shown["setting"]) == [labels[s] for s in run.systems]
    assert {"bm25", "dense", "hybrid", "hybrid_rerank", "full", "tuned_bm25"} <= set(run.systems)
    parts = eng.relevance.parts("clicks")
    assert set(run.queries) <= set(parts["test"])  # measured on test queries only
    assert seen["choose"] and seen["choose"] <= set(parts["val"])  # tuned BM25 chose on validation only
    table = run.table()
    assert shown["NDCG@10"].tolist() == pytest.approx(table["ndcg@10"].tolist())
    assert all("–" in v for v in shown["NDCG@10 95 %"])  # every number has its interval
    # the service called directly, from another session, gives the very numbers the page shows
    again = eng.relevance.evaluate("clicks", "test", eng.relevance.EvalConfig(max_queries=50))
    assert again.table()["ndcg@10"].tolist() == pytest.approx(shown["NDCG@10"].tolist())
    assert again.table()["mrr"].tolist() == pytest.approx(shown["MRR"].tolist())
    assert len(at.get("plotly_chart")) >= 1  # the chart above the table
    # the judged-only view is one click away and reads the other numbers
    at.radio(key="evaluate_mode").set_value("judged_only").run()
    assert frame_with(at, "setting")["NDCG@10"].tolist() == pytest.approx(run.table("judged_only")["ndcg@10"].tolist())

    # the drill-down opens on the saved run: the biggest differences, then both top 10s with grades
    at = open_tab(at, "Query by query")
    assert not at.exception, at.exception
    assert any("does better on" in m.value for m in at.markdown)
    lists = [d.value for d in at.dataframe if "grade" in d.value.columns]
    assert len(lists) == 2 and all(len(t) <= 10 for t in lists)
    grades = set(pd.concat(lists)["grade"])
    assert any(g.startswith("gain") for g in grades) or "⚪ unjudged" in grades


@pytest.mark.slow
def test_two_settings_compared_without_judgments(app, engine):
    eng = engine()
    if "clicks" not in eng.relevance.lists()["name"].tolist():
        eng.relevance.from_clicks()
    at = open_tab(app.switch_page(PAGE), "Compare two settings")
    at.selectbox(key="evaluate_cmp_preset_B").set_value("bm25")
    at.selectbox(key="evaluate_cmp_profile_B").set_value("active")
    button(at.run(), "Compare").click().run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert {"Same products in the top 10", "Rank-biased overlap",
            "Order of shared products (Kendall's τ)"} <= set(metrics)
    table = frame_with(at, "rbo")
    assert {"overlap@10", "kendall_tau", "shared"} <= set(table.columns)
    assert table["rbo"].is_monotonic_increasing  # the most changed first
    assert ((table["rbo"] >= 0) & (table["rbo"] <= 1)).all()


@pytest.fixture
def seen(monkeypatch):
    """Every query tuning and training were handed: tune's judgments, the reranker's train and validation, the
    pipeline's validation check and tuned BM25's validation."""
    from ecomrec import honest
    from ecomrec.services.models import Models
    from ecomrec.services.relevance import Relevance
    from ecomrec.services.search import SearchService

    queries: dict[str, set[str]] = {"tune": set(), "tune_train": set(), "train": set(), "choose": set()}

    def wrap(cls_or_module, name, record):
        original = getattr(cls_or_module, name)

        def wrapper(*args, **kwargs):
            record(*args, **kwargs)
            return original(*args, **kwargs)
        monkeypatch.setattr(cls_or_module, name, wrapper)

    def tuned(self, val, *a, **k) -> None:
        queries["tune"].update(val)
        queries["tune_train"].update(k.get("judgments_train") or {})

    wrap(SearchService, "tune", tuned)
    wrap(Models, "train_reranker_on_judgments",
         lambda self, train, val, *a, **k: (queries["train"].update(train), queries["choose"].update(val)))
    wrap(Relevance, "pipeline_ndcg", lambda self, val, *a, **k: queries["choose"].update(val))
    wrap(honest, "tune_bm25", lambda products, val: queries["choose"].update(val))
    return queries


@pytest.mark.slow
def test_tuning_activates_a_profile_the_search_page_uses_and_rolls_back(app, engine, seen):
    from ecomrec.search.ranking_profile import ProfileSettings, RankingProfile, save_profile

    eng = engine()
    if "clicks" not in eng.relevance.lists()["name"].tolist():
        eng.relevance.from_clicks()
    # start from a profile that finds nothing (only near-paraphrases pass the floor), so tuning surely beats it
    blind = RankingProfile().with_settings(ProfileSettings(fusion="dense", min_similarity=0.99))
    bad = save_profile(eng.models.registry, blind, "a blind profile to tune away from", eng.catalog.fingerprint)
    at = open_tab(app.switch_page(PAGE), "Tune the ranking")
    at.select_slider(key="evaluate_tune_budget").set_value(15)
    button(at.run(), "Tune on ").click().run()
    assert not at.exception, at.exception
    assert {m.label for m in at.metric} >= {"Default settings", "Active profile", "Tuned"}
    result = at.session_state["evaluate_tuned"][1]
    assert result.improved and result.val_ndcg_active == 0.0  # the defaults (trial 1) at least beat the blind one
    if any(not t.label for t in result.trials):  # trials were sampled: their history is charted
        assert len(at.get("plotly_chart")) >= 1
    button(at, "Activate this profile").click().run()
    assert not at.exception, at.exception
    eng = engine()
    tuned = eng.models.active("ranking")
    assert tuned != bad
    assert any("test queries, which tuning never saw" in s.value for s in [*at.success, *at.warning])
    # the Search page now starts from the tuned profile: its searches read the tuned settings
    active = eng.models.search_models().profile
    assert not active.same_ranking(blind)
    assert eng.search("tent").settings.fusion == active.settings.fusion
    at.switch_page("app_pages/search.py").run()
    assert not at.exception
    # rollback from the versions table
    at = open_tab(at.switch_page(PAGE), "Tune the ranking")
    at.selectbox(key="evaluate_rollback_version").set_value(bad).run()
    button(at, "Roll back to this version").click().run()
    assert not at.exception, at.exception
    assert engine().models.active("ranking") == bad
    # never a test query: tuning scored its trials on the train queries and chose on the validation ones
    parts = eng.relevance.parts("clicks")
    assert seen["tune"] and seen["tune"] <= set(parts["val"])
    assert seen["tune_train"] == set(parts["train"])
    assert not (seen["tune"] | seen["tune_train"]) & set(parts["test"])
    engine().searches.activate_profile(tuned)  # leave a sensible profile for the other tests


@pytest.mark.slow
def test_the_reranker_trains_on_train_queries_and_validation_decides(app, engine, seen):
    eng = engine()
    if "clicks" not in eng.relevance.lists()["name"].tolist():
        eng.relevance.from_clicks()
    at = open_tab(app.switch_page(PAGE), "Train the reranker")
    button(at, "Train the reranker from judgments").click().run()
    assert not at.exception, at.exception
    said = " ".join(s.value for s in [*at.success, *at.info])
    assert "joined the search pipeline" in said or "did not join" in said
    assert {m.label for m in at.metric} >= {"Validation NDCG@10 with it", "Without a reranker"}
    parts = engine().relevance.parts("clicks")
    assert seen["train"] == set(parts["train"]) and seen["choose"] <= set(parts["val"])
    assert not (seen["train"] | seen["choose"]) & set(parts["test"])


def test_a_file_is_read_its_gain_table_shown_bad_rows_named_then_imported(app, engine, tmp_path):
    eng = engine()
    titles = eng.catalog.products["title"].tolist()
    f = tmp_path / "judged.csv"
    pd.DataFrame({"search_term": ["tent", "tent", "tent", "coffee"],
                  "product_title": [titles[0], titles[1], "A Tent Nobody Sells", titles[-1]],
                  "median_relevance": [4, 2, 3, 1]}).to_csv(f, index=False)
    at = open_tab(app.switch_page(PAGE).run(), "Judgment lists") if eng.relevance.lists().shape[0] else \
        app.switch_page(PAGE).run()
    at.file_uploader(key="evaluate_upload").upload(f.name, f.read_bytes(), "text/csv").run()
    assert not at.exception, at.exception
    assert any("1 row(s) cannot be used" in w.value and "no product in this catalog has that title" in w.value
               for w in at.warning)
    rejects = frame_with(at, "problem")
    assert rejects[["row", "column"]].values.tolist() == [[4, "product_title"]]  # the file line, header = 1
    assert any(d.label.startswith("Download the rows") for d in at.get("download_button"))
    assert any("numeric" in m.value for m in at.markdown)  # the proposed scale, to check before importing
    at.text_input(key="evaluate_import_name").input("judged").run()
    button(at, "Import with this gain table").click().run()
    assert at.error and "row 4" in at.error[0].value  # all or nothing by default: nothing stored
    assert "judged" not in engine().relevance.lists()["name"].tolist()
    at.radio(key="evaluate_import_policy").set_value("skip").run()
    button(at, "Import with this gain table").click().run()
    assert not at.exception, at.exception
    jl = engine().relevance.get("judged")
    assert jl.source == "imported" and jl.counts["pairs"] == 3 and jl.gains == {"1": 0.0, "2": 1 / 3, "3": 2 / 3,
                                                                                 "4": 1.0}
    assert at.selectbox(key="evaluate_list").value == "judged"


def test_a_cancelled_evaluation_saves_nothing(engine):
    eng = engine()
    if "clicks" not in eng.relevance.lists()["name"].tolist():
        eng.relevance.from_clicks()
    before = eng.relevance.saved_runs()
    with pytest.raises(eng.relevance.Cancelled):
        eng.relevance.evaluate("clicks", cancel=lambda: True)
    assert eng.relevance.saved_runs().equals(before)
    with pytest.raises(ValueError, match="unknown part"):
        eng.relevance.evaluate("clicks", "everything")
