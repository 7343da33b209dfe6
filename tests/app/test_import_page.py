"""Import page through AppTest: upload, see the guess, map, import by either policy, then search the new shop."""
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ecomrec.data import load_dataset
from tests.conftest import shared

ROOT = Path(__file__).resolve().parents[2]
MESSY = ROOT / "tests" / "data" / "messy"


@pytest.fixture
def page(tmp_path, monkeypatch, tiny_dir, tiny_engine):
    monkeypatch.setenv("ECOMREC_DATA", str(tmp_path / "data"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["data_dir"] = str(tiny_dir)
    at.switch_page("app_pages/data.py").run()
    assert not at.exception
    return at


def by_label(widgets, label):
    return next(w for w in widgets if w.label == label)


def upload(at, path: Path):
    at.file_uploader[0].upload(path.name, path.read_bytes(), "text/csv").run()
    assert not at.exception, at.exception


def test_the_guess_is_shown_and_all_or_nothing_names_the_bad_row(page, tmp_path):
    upload(page, MESSY / "products.csv")
    assert by_label(page.radio, "The file holds").value == "products"
    assert by_label(page.selectbox, "department").value == "category"  # guessed, shown, not yet applied
    assert by_label(page.selectbox, "aisle").value == "category"
    assert any(c.value == "guess: price" for c in page.caption)
    by_label(page.text_input, "Data set name").input("myshop").run()
    by_label(page.button, "Import").click().run()
    assert "Nothing was imported: 1 problem(s)" in page.error[0].value
    assert page.dataframe[-1].value[["row", "column"]].values.tolist() == [[7, "price"]]
    assert not (tmp_path / "data" / "myshop").exists()


def test_a_refused_import_offers_to_leave_the_bad_column_out(page, tmp_path):
    upload(page, MESSY / "products.csv")
    by_label(page.text_input, "Data set name").input("myshop").run()
    by_label(page.button, "Import").click().run()
    assert [b.label for b in page.button if b.label.startswith(("Leave", "Keep"))] == [
        "Leave “price” out (price is optional) and import", "Keep the good rows and import"]
    next(b for b in page.button if b.label.startswith("Leave")).click().run()
    assert not page.exception and page.success, [e.value for e in page.error]
    assert "Imported into **myshop**" in page.success[0].value
    assert by_label(page.selectbox, "price").value == "(leave out)"  # the change shows in its box
    products = load_dataset(tmp_path / "data" / "myshop").products
    assert products["price"].isna().all() and len(products) == 6  # the duplicate id still keeps its first row


def test_keep_the_good_rows_imports_lists_rejects_and_switches_the_data_set(page, tmp_path):
    upload(page, MESSY / "products.csv")
    by_label(page.text_input, "Data set name").input("myshop").run()
    by_label(page.radio, "If some rows are bad").set_value("Keep the good rows").run()
    by_label(page.button, "Import").click().run()
    assert not page.exception, page.exception
    assert "Imported into **myshop**: 5 products" in page.success[0].value
    rejects = page.dataframe[-1].value
    assert rejects[["row", "problem"]].values.tolist() == [[5, "duplicate id: the first row was kept"],
                                                          [7, "not a number: expected float"]]
    assert page.session_state["data_dir"] == str(tmp_path / "data" / "myshop")
    assert any("cannot train" in m.value for m in page.markdown)  # no labelled queries, no events
    page.switch_page("app_pages/search.py")
    page.query_params["q"] = "tent"
    page.run()
    assert not page.exception, page.exception
    assert any("Red Tent" in m.value for m in page.markdown)
    assert any("No intent model is trained for this data set" in w.value for w in page.warning)


@pytest.mark.slow
def test_the_three_shared_files_import_through_the_page(page, tmp_path, monkeypatch):
    from ecomrec.services.recs import Recs

    started = []  # the cart choice an import starts in the background (minutes on Online Retail: not run here)
    monkeypatch.setattr(Recs, "start_cart_choice", lambda self: started.append(len(self.catalog.events)))
    for folder, file, name in (("flipkart_1k", "flipkart_1k.csv", "flipkart"),
                               ("wands_queries", "query.tsv", "flipkart"),
                               ("online_retail_sample", "online_retail_40k.csv", "retail")):
        page.file_uploader[0].upload(file, shared(folder, file).read_bytes(), "text/csv").run()
        assert by_label(page.selectbox, "Is it a known export?").value is not None  # the preset is offered
        table = page.dataframe[1].value  # what the preset will do with each column, before importing
        assert list(table.columns) == ["the file's column", "becomes", "rule"] and len(table) >= 3
        by_label(page.text_input, "Data set name").input(name).run()
        by_label(page.button, "Import").click().run()
        assert not page.exception and page.success, (file, page.error)
    flip = load_dataset(tmp_path / "data" / "flipkart")
    distinct = pd.read_csv(shared("flipkart_1k", "flipkart_1k.csv"))["pid"].nunique()
    assert (len(flip.products), len(flip.queries)) == (distinct, 480)
    assert len(load_dataset(tmp_path / "data" / "retail").events) > 30_000
    assert len(started) == 1 and started[0] > 30_000  # only the shop with baskets (retail) starts learning it
    assert any("learning what goes together" in c.value for c in page.caption)
