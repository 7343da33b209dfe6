"""Import: four formats with a column mapping, all-or-nothing writes, the three real data sets."""
import json

import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.cli import main as cli
from ecomrec.data import load_dataset
from ecomrec.data.importer import run_import
from ecomrec.data.loaders import read_table
from tests.conftest import shared

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
    assert len(p) + len(report.dropped.get("no price", [])) == 999


def _csv(tmp_path, rows):
    path = tmp_path / "catalog.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path
