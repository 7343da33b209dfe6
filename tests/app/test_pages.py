"""Home and Catalog pages through Streamlit's AppTest, on the tiny data set."""
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ecomrec import schema as S
from ecomrec.models.label_model import WORDS
from tests.app.conftest import open_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(tiny_dir, tiny_engine):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["data_dir"] = str(tiny_dir)
    return at


def test_home_shows_the_data_set_at_a_glance(app):
    app.run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Products"] == "120" and metrics["Categories"] == "4"
    assert int(metrics["Events"].replace(",", "")) > 0
    assert any("Catalog" in str(p.proto) for p in app.get("page_link"))


def test_a_data_set_with_a_damaged_file_is_named_on_the_page_with_what_to_do(tiny_dir, tmp_path):
    """A products file cut short (a copy interrupted, a disk full) is not a traceback: the page names the file,
    what is wrong and how to write it again, and points at the sidebar's data set chooser."""
    import shutil

    broken = tmp_path / "broken_shop"
    shutil.copytree(tiny_dir, broken)
    text = (broken / "products.csv").read_text()
    (broken / "products.csv").write_text(text[:text.index('"', text.index("\n")) + 5])  # ends inside a quote
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["data_dir"] = str(broken)
    at.run()
    assert not at.exception
    said = at.error[0].value
    assert f"{broken / 'products.csv'} is damaged and cannot be read as CSV" in said
    assert "python -m ecomrec sample-data" in said and "Choose another one under **Data set**" in said


def test_the_frame_registers_every_page_with_st_navigation(app):
    from ecomrec.ui.layout import PAGES

    app.run()
    for script, _, _ in PAGES:
        app.switch_page(script)  # raises unless app.py's st.navigation registered that file


def test_catalog_filters_and_shows_details(app):
    app.switch_page("app_pages/catalog.py").run()
    assert not app.exception
    assert app.tabs[0].label == "Products (120)"
    by_label(app.selectbox, "Department").select("Sports & Outdoors").run()
    assert app.tabs[0].label == "Products (60)"
    by_label(app.text_input, "Find in title or brand").input("tent").run()
    tab = app.tabs[0].label
    assert tab.startswith("Products (") and int(tab[10:-1]) <= 30
    details = by_label(app.selectbox, "Product details")
    assert "Tent" in details.format_func(details.value)
    assert any("Most similar products" in m.value for m in app.markdown)
    similar = [b for b in app.button if b.key and b.key.startswith("similar_")]
    assert len(similar) == 5 and any("Tent" in b.label for b in similar)
    assert len(app.get("plotly_chart")) == 1  # the embedding map
    first = similar[0]
    first.click().run()  # a similar product opens in the details, with the way back
    assert not app.exception
    assert app.subheader[0].value == first.label.rsplit(" · ", 1)[0]
    next(b for b in app.button if b.label == "Back to the product chosen above").click().run()
    assert "Tent" in app.subheader[0].value


def test_catalog_pages_through_the_list(app, tiny_engine):
    app.switch_page("app_pages/catalog.py").run()
    assert len(app.dataframe[0].value) == 100  # page 1 of 2: products 1-100 by popularity
    by_label(app.number_input, "Page (of 2)").set_value(2).run()
    assert not app.exception
    expected = tiny_engine.catalog.browse()[S.PRODUCT_ID].iloc[100:].tolist()
    assert app.dataframe[0].value["product_id"].tolist() == expected
    assert by_label(app.selectbox, "Product details").options == [
        f"{tiny_engine.catalog.product(i)['title']}  ·  {i}" for i in expected]
    assert any(c.value == "Products 101–120 of 120" for c in app.caption)


def test_catalog_without_matches_says_so(app):
    app.switch_page("app_pages/catalog.py").run()
    by_label(app.text_input, "Find in title or brand").input("<script>alert(1)</script> 🤖").run()
    assert not app.exception
    assert "No product matches" in app.warning[0].value


def by_label(widgets, label):
    return next(w for w in widgets if w.label == label)


def shown_equals_manifest(app, tiny_dir, role: str, label: str, key: str) -> None:
    """The page's metric ``label`` is the new version's manifest ``key``, to three decimals."""
    from ecomrec import Engine

    manifest = Engine.load(tiny_dir).models.manifest(role, app.session_state["trained_version"][role])
    assert {m.label: m.value for m in app.metric}[label] == f"{manifest.metrics[key]:.3f}"


def test_train_page_trains_compares_and_activates(app, tiny_dir):
    app.switch_page("app_pages/train.py").run()
    assert not app.exception
    assert any("No intent model trained yet" in i.value for i in app.info)
    by_label(app.number_input, "Epochs").set_value(1)
    by_label(app.button, "Train a new version").click().run()
    assert not app.exception
    shown_equals_manifest(app, tiny_dir, "intent", "macro f1", "test_macro_f1")
    assert any("This version is active" in s.value for s in app.success)  # the first version activates
    # loss curve, F1 per intent, confusion matrix, reliability diagram; the try-it box: probabilities, words
    assert len(app.get("plotly_chart")) == 6
    methods = next(d.value for d in app.dataframe if "macro-F1, cross-validated" in d.value.columns)
    assert methods["method"].str.endswith(" ✓").sum() == 1  # the candidates validation scored, the chosen one ticked
    assert any(m.value.startswith("Intent **") for m in app.markdown)
    first = app.session_state["trained_version"]["intent"]

    by_label(app.radio, "Fine-tuning").set_value("LoRA").run()
    by_label(app.number_input, "Epochs").set_value(1)
    by_label(app.button, "Train a new version").click().run()
    second = app.session_state["trained_version"]["intent"]
    assert second != first
    assert any("vs active" in (m.proto.delta or "") for m in app.metric)
    next(b for b in app.button if b.label.startswith("Activate the version")).click().run()
    assert any("This version is active" in s.value for s in app.success)
    versions = next(d.value for d in app.dataframe if "active" in d.value.columns)
    assert versions["active"].tolist() == [True, False]


def test_train_page_trains_the_reranker_and_compares_with_dense_retrieval(app, tiny_dir):
    app.switch_page("app_pages/train.py").run()
    by_label(app.selectbox, "Model").select("Reranker (cross-encoder)").run()
    assert any("No reranker model trained yet" in i.value for i in app.info)
    by_label(app.number_input, "Smaller, faster copy (layers; 0 = none)").set_value(2)
    by_label(app.button, "Train a new version").click().run()
    assert not app.exception, app.exception
    shown_equals_manifest(app, tiny_dir, "reranker", "ndcg@10", "test_ndcg@10")
    assert any("NDCG@10" in m.value and "held-out test queries" in m.value for m in app.markdown)
    assert app.dataframe[0].value["active"].tolist() == [True]
    # the smaller copy: whether search uses it, with both validation scores from the manifest
    from ecomrec import Engine

    m = Engine.load(tiny_dir).models.manifest("reranker", app.session_state["trained_version"]["reranker"]).metrics
    assert m["student_layers"] == 2 and m["teacher_layers"] == 6
    said = next(i.value for i in app.info if "-layer copy" in i.value)
    assert said.startswith("The 2-layer copy is this version" if m["distilled"] else "The 2-layer copy is not used")
    assert f"copy {m['student_val_ndcg@10']:.3f}, full model {m['teacher_val_ndcg@10']:.3f}" in said
    assert app.dataframe[0].value["method"].tolist() == ["full, 2-layer copy" if m["distilled"] else "full"]
    why_lower = [c.value for c in app.caption if "-layer copy** learned" in c.value]
    assert why_lower == ([f"A **2-layer copy** learned the scores of a full 6-layer reranker trained in the same "
                          f"run. Alone, it reranks the test queries a little worse ({m['test_ndcg@10']:.4f} against "
                          f"the full model's {m['teacher_test_ndcg@10']:.4f}), which is why its number above is "
                          "lower; it was kept because it ranked the validation queries within 0.01 of the full "
                          "model, and it reranks about twice as fast. To use a full model, train with a smaller, "
                          "faster copy of 0 layers."] if m["distilled"] else [])


def test_train_page_trains_the_sequential_recommender_beside_its_baselines(app, tiny_dir):
    app.switch_page("app_pages/train.py").run()
    by_label(app.selectbox, "Model").select("Sequential recommender").run()
    assert by_label(app.radio, "Fine-tuning").disabled  # no LoRA for it
    by_label(app.number_input, "Epochs").set_value(2).run()
    by_label(app.button, "Train a new version").click().run()
    assert not app.exception, app.exception
    shown_equals_manifest(app, tiny_dir, "sequential", "blend hr@10", "blend_hr@10")
    assert any("HR@10" in m.value and "held-out last product" in m.value for m in app.markdown)
    assert app.dataframe[0].value["active"].tolist() == [True]


def test_train_page_shows_how_the_active_versions_method_was_chosen(search_env, monkeypatch):
    """A version trained elsewhere (another session, the CLI): the page still shows its candidates table."""
    from ecomrec import Engine

    data, registry = search_env
    at = open_app(data, registry, monkeypatch)
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    loaded = Engine.load(data)
    models = Engine(loaded.catalog.data, replace(loaded.config, registry_dir=registry)).models
    choice = models.label_choice(models.active("intent"))
    assert any(s.value.endswith("how its method was chosen") for s in at.subheader)
    methods = next(d.value for d in at.dataframe if "macro-F1, cross-validated" in d.value.columns)
    assert methods.loc[methods["method"].str.endswith(" ✓"), "method"].iloc[0] == WORDS[choice.method] + " ✓"
