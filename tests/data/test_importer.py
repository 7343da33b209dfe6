"""Import: four formats with a column mapping, all-or-nothing writes, the three real data sets."""
import json
from pathlib import Path

import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.cli import main as cli
from ecomrec.data import load_dataset
from ecomrec.data.importer import parse_number, run_import
from ecomrec.data.loaders import read_table
from tests.conftest import shared

MESSY = Path(__file__).parent / "messy"
SHOP_MAP = {"id": "product_id", "name": "title", "department": "category", "aisle": "category", "price": "price",
            "rating": "rating", "blurb": "description"}

ROWS = [{"sku": "A1", "name": "Trail Tent 2P", "cat": "Outdoor > Camping > Tents", "cost": "120"},
        {"sku": "B2", "name": "Camp Lantern", "cat": "Outdoor > Camping > Lights", "cost": "19.5"}]
MAPPING = {"sku": "product_id", "name": "title", "cat": "category", "cost": "price"}


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet", "jsonl"])
def test_each_format_imports_with_a_mapping(tmp_path, fmt):
    df = pd.DataFrame(ROWS)
    src = tmp_path / f"catalog.{fmt}"
    {"csv": lambda: df.to_csv(src, index=False), "tsv": lambda: df.to_csv(src, sep="\t", index=False),
     "parquet": lambda: df.to_parquet(src), "jsonl": lambda: df.to_json(src, orient="records", lines=True)}[fmt]()
    run_import(src, tmp_path / "ds", kind="products", mapping=MAPPING)
    products = load_dataset(tmp_path / "ds").products
    assert products[S.PRODUCT_ID].tolist() == ["A1", "B2"]
    assert products[S.PRICE].tolist() == [120.0, 19.5]


def test_a_column_mapped_to_nothing_is_left_out_even_when_named_like_a_field(tmp_path):
    rows = [{**r, "price": "n/a"} for r in ROWS]  # a "price" column of text the user chose to leave out
    run_import(_csv(tmp_path, rows), tmp_path / "ds", kind="products", mapping={**MAPPING, "cost": "", "price": ""})
    assert load_dataset(tmp_path / "ds").products[S.PRICE].isna().all()


def test_a_failed_import_changes_nothing(tmp_path):
    run_import(_csv(tmp_path, ROWS), tmp_path / "ds", kind="products", mapping=MAPPING)
    before = (tmp_path / "ds" / "products.csv").read_bytes()
    bad = [*ROWS, {"sku": "C3", "name": "Stove", "cat": "Outdoor > Camping > Stoves", "cost": "n/a"}]
    with pytest.raises(S.ValidationError, match="catalog.csv, row 4, column 'price'"):
        run_import(_csv(tmp_path, bad), tmp_path / "ds", kind="products", mapping=MAPPING)
    assert (tmp_path / "ds" / "products.csv").read_bytes() == before
    assert [p.name for p in (tmp_path / "ds").iterdir()] == ["products.csv"]  # no staging left over


def test_cli_reports_bad_input_in_one_line_without_traceback(tmp_path, capsys):
    src = tmp_path / "catalog.xlsx"
    src.write_text("not really")
    assert cli(["import", str(src), "--into", str(tmp_path / "ds"), "--kind", "products"]) == 2
    err = capsys.readouterr().err
    assert "cannot tell the format" in err and "Traceback" not in err
    assert cli(["import", str(_csv(tmp_path, ROWS)), "--into", str(tmp_path / "ds"), "--kind", "products",
                "--map", "sku=product_id,nope=title"]) == 2
    assert "column 'nope': mapped column not in file" in capsys.readouterr().err


def test_wands_queries_import_with_categories(tmp_path):
    report = run_import(shared("wands_queries", "query.tsv"), tmp_path, preset="wands")
    queries = read_table(tmp_path / "queries.csv", "queries")
    assert report.written == {"queries": 480}
    assert queries.loc[queries[S.TEXT] == "salon chair", S.CATEGORY].item() == "Massage Chairs"
    assert queries[S.INTENT].isna().all()


def test_online_retail_import_handles_cancellations_and_guests(tmp_path):
    report = run_import(shared("online_retail_sample", "online_retail_40k.csv"), tmp_path, preset="online_retail")
    ds = load_dataset(tmp_path)
    assert not ds.events[S.SESSION_ID].str.startswith("C").any()
    assert (ds.events[S.EVENT_TYPE] == "purchase").all()
    assert ds.events[S.USER_ID].str.startswith("guest-").any()  # missing CustomerID kept as guests
    assert set(ds.events[S.PRODUCT_ID]) <= set(ds.products[S.PRODUCT_ID])
    assert "POST" not in set(ds.products[S.PRODUCT_ID])
    assert report.dropped["cancellation invoice"]
    title = ds.products.set_index(S.PRODUCT_ID).loc["21166", S.TITLE]
    assert title == "Cook With Wine Metal Sign"  # ALL CAPS + trailing space cleaned


def test_flipkart_import_parses_category_tree_ratings_and_specs(tmp_path):
    report = run_import(shared("flipkart_1k", "flipkart_1k.csv"), tmp_path, preset="flipkart")
    p = load_dataset(tmp_path).products.set_index(S.PRODUCT_ID)
    shorts = p.loc["SRTEH2FF9KEDEFGF"]
    assert shorts[S.CATEGORY] == "Clothing > Women's Clothing > Lingerie, Sleep & Swimwear"
    assert shorts[S.PRICE] == 379.0 and pd.isna(shorts[S.RATING])
    assert json.loads(shorts[S.ATTRIBUTES])["Fabric"] == "Cotton Lycra"
    assert len(p) + len(report.rejects) == 999  # products without a price are kept now


def test_a_category_path_ending_in_the_products_own_name_loses_that_step_and_the_report_says_so(tmp_path):
    rows = [{"id": "K1", "title": "Noor Embroidered Women's Straight Kurta", "price": "849",
             "category": "Clothing >> Kurtas >> Noor Embroidered Women's Straight Kurta"},
            {"id": "K2", "title": "Vishudh Printed Women's Straight Kurta", "price": "599",
             "category": "Vishudh Printed Women's Straight Kurta"},
            {"id": "T1", "title": "Tents for camping", "price": "99", "category": "Outdoors > Tents"}]
    report = run_import(_csv(tmp_path, rows), tmp_path / "ds", kind="products",
                        mapping={"id": "product_id", "title": "title", "price": "price", "category": "category"})
    p = load_dataset(tmp_path / "ds").products.set_index(S.PRODUCT_ID)[S.CATEGORY]
    assert p.to_dict() == {"K1": "Clothing > Kurtas", "K2": S.NO_CATEGORY, "T1": "Outdoors > Tents"}
    assert any(n.startswith("2 product(s) had a category path ending in the product's own name") for n in report.notes)


def test_flipkart_prices_are_rupees_and_no_category_is_a_products_name(tmp_path):
    from ecomrec import Engine

    run_import(shared("flipkart_1k", "flipkart_1k.csv"), tmp_path, preset="flipkart")
    engine = Engine.load(tmp_path)
    assert engine.catalog.currency == "₹"
    p = engine.catalog.products
    leaves = p[S.CATEGORY].map(S.leaf)
    assert not (leaves == p[S.TITLE]).any()


def _csv(tmp_path, rows):
    path = tmp_path / "catalog.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("text, value", [("₹1,299", 1299.0), ("$12.99", 12.99), ("1.299,00 €", 1299.0),
                                         ("12,99", 12.99), ("1 299", 1299.0), ("USD 5", 5.0), ("-3.5", -3.5),
                                         ("No rating available", None), ("", None), (7, 7.0)])
def test_numbers_are_read_as_shops_write_them(text, value):
    assert parse_number(text) == value


def test_messy_catalog_all_or_nothing_names_the_bad_row_and_writes_nothing(tmp_path):
    with pytest.raises(S.ValidationError) as err:
        run_import(MESSY / "products.csv", tmp_path / "ds", kind="products", mapping=SHOP_MAP)
    assert [(e.row, e.column, e.message) for e in err.value.errors] == [(7, "price", "not a number: expected float")]
    assert not (tmp_path / "ds" / "products.csv").exists()


def test_messy_catalog_keep_the_good_rows(tmp_path):
    report = run_import(MESSY / "products.csv", tmp_path / "ds", kind="products", mapping=SHOP_MAP, policy="skip")
    p = load_dataset(tmp_path / "ds").products.set_index(S.PRODUCT_ID)
    assert p.index.tolist() == ["A1", "A2", "A3", "A4", "A6"]
    assert p.loc["A1", S.TITLE] == "Red Tent"  # of the duplicate ids the first row is kept
    assert p[S.PRICE].tolist()[:3] == [1299.0, 12.99, 1299.0] and pd.isna(p.loc["A4", S.PRICE])  # no price: kept
    assert p[S.CATEGORY].tolist() == ["Outdoors > Tents", "Kitchen > Mugs", "Home > Lights", "Home", "Uncategorised"]
    assert pd.isna(p.loc["A2", S.RATING]) and p.loc["A1", S.RATING] == 4.5  # text rating: empty, with a note
    assert any("rating value(s) were text" in n for n in report.notes)
    rejects = pd.read_csv(tmp_path / "ds" / "rejects.csv")
    assert rejects[["row", "column", "value"]].values.tolist() == [[5, "product_id", "A1"], [7, "price", "twelve"]]
    assert report.dropped == {"duplicate id: the first row was kept": [5], "not a number: expected float": [7]}


def test_cli_skips_bad_rows_and_writes_rejects(tmp_path, capsys):
    args = ["import", str(MESSY / "products.csv"), "--into", str(tmp_path / "ds"), "--kind", "products",
            "--map", ",".join(f"{k}={v}" for k, v in SHOP_MAP.items())]
    assert cli(args) == 2 and "row 7, column 'price'" in capsys.readouterr().err
    assert cli([*args, "--on-bad-rows", "skip"]) == 0
    assert "2 rejected row(s) listed in" in capsys.readouterr().out
    assert len(load_dataset(tmp_path / "ds").products) == 5


def test_bad_dates_are_named_or_skipped(tmp_path):
    with pytest.raises(S.ValidationError, match="row 3, column 'timestamp': not a date/time"):
        run_import(MESSY / "events_bad_dates.csv", tmp_path / "ds", kind="events")
    run_import(MESSY / "events_bad_dates.csv", tmp_path / "ds", kind="events", policy="skip")
    events = read_table(tmp_path / "ds" / "events.csv", "events")
    assert events[S.PRODUCT_ID].tolist() == ["A1", "A2"]


def test_order_lines_import_as_purchase_sessions_and_unknown_products_are_reported(tmp_path):
    run_import(MESSY / "products.csv", tmp_path / "ds", kind="products", mapping=SHOP_MAP, policy="skip")
    mapping = {"order": "order_id", "customer": "user_id", "item": "product_id", "seq": "order_number"}
    with pytest.raises(S.ValidationError, match="row 6, column 'product_id': unknown product id 'ZZ9'"):
        run_import(MESSY / "orders.csv", tmp_path / "ds", kind="orders", mapping=mapping)
    report = run_import(MESSY / "orders.csv", tmp_path / "ds", kind="orders", mapping=mapping, policy="skip")
    ev = load_dataset(tmp_path / "ds").events
    assert ev[[S.USER_ID, S.SESSION_ID, S.PRODUCT_ID]].values.tolist() == [
        ["c1", "o1", "A1"], ["c1", "o1", "A2"], ["c1", "o2", "A3"], ["guest-o3", "o3", "A2"]]
    assert (ev[S.EVENT_TYPE] == "purchase").all()
    assert ev[S.TIMESTAMP].dt.strftime("%Y-%m-%d").tolist() == ["2020-01-02", "2020-01-02", "2020-01-03", "2020-01-02"]
    assert report.dropped == {"unknown product id": [6]}


def test_a_json_array_imports(tmp_path):
    run_import(MESSY / "products.json", tmp_path / "ds", kind="products")
    assert load_dataset(tmp_path / "ds").products[S.PRICE].tolist() == [3.5, 7.0]


def test_a_wrong_encoding_says_what_to_do_and_another_encoding_reads_it(tmp_path):
    with pytest.raises(ValueError, match="not utf-8 text .* choose its encoding"):
        run_import(MESSY / "latin1.csv", tmp_path / "ds", kind="products")
    assert not (tmp_path / "ds").exists()
    run_import(MESSY / "latin1.csv", tmp_path / "ds", kind="products", encoding="latin-1")
    assert load_dataset(tmp_path / "ds").products[S.TITLE].tolist() == ["Café Mug"]


def test_a_preset_names_the_columns_it_misses_and_lives_without_the_optional_ones(tmp_path):
    src = tmp_path / "export.csv"
    pd.DataFrame({"product_name": ["Shoe"], "retail_price": ["Rs. 1,499"]}).to_csv(src, index=False)
    with pytest.raises(ValueError, match="flipkart preset needs column.s. pid, missing"):
        run_import(src, tmp_path / "ds", preset="flipkart")
    pd.DataFrame({"pid": ["X1", "X1"], "product_name": ["Shoe", "Shoe again"],
                  "retail_price": ["Rs. 1,499", ""]}).to_csv(src, index=False)
    report = run_import(src, tmp_path / "ds", preset="flipkart")
    p = load_dataset(tmp_path / "ds").products
    assert p[[S.PRODUCT_ID, S.PRICE, S.CATEGORY]].values.tolist() == [["X1", 1499.0, "Uncategorised"]]
    assert report.dropped == {"duplicate id: the first row was kept": [3]}
