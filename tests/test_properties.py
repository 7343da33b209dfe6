"""Bad input, generated: random bytes, text, column orders and encodings through every importer, slot parsing and
the query path. Each either works or raises the one error type the app turns into a message (ValueError, which
ValidationError is); the expected values are what the contract says the text becomes."""
import csv
import math
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomrec import schema as S
from ecomrec.data.importer import MAX_TEXT_CHARS, category_path, import_table, parse_number
from ecomrec.search.slots import parse_slots

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FORMATS = ["csv", "tsv", "jsonl", "json", "parquet"]
FIELDS = {c.name for cols in S.SCHEMAS.values() for c in cols}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@FUZZ
@given(data=st.binary(max_size=2000), fmt=st.sampled_from(FORMATS), kind=st.sampled_from(sorted(S.SCHEMAS)))
def test_random_bytes_import_or_say_why(tmp_path, data, fmt, kind):
    path = tmp_path / f"upload.{fmt}"
    path.write_bytes(data)
    try:
        frame = import_table(path, kind, policy="skip")
    except ValueError as exc:
        assert str(exc).strip()  # the message the page shows
    else:
        assert list(frame.columns) == [c.name for c in S.SCHEMAS[kind]]


@FUZZ
@given(titles=st.lists(st.text(max_size=40), min_size=1, max_size=6), fmt=st.sampled_from(["csv", "tsv", "jsonl"]))
def test_any_title_text_is_kept_minus_control_characters_or_named_as_empty(tmp_path, titles, fmt):
    df = pd.DataFrame({"product_id": [f"P{i}" for i in range(len(titles))], "title": titles, "category": "Tents"})
    path = tmp_path / f"catalog.{fmt}"
    quoted = {"index": False, "quoting": csv.QUOTE_ALL}  # as spreadsheets write them: a lone \r stays in its cell
    {"csv": lambda: df.to_csv(path, **quoted), "tsv": lambda: df.to_csv(path, sep="\t", **quoted),
     "jsonl": lambda: df.to_json(path, orient="records", lines=True, force_ascii=False)}[fmt]()
    expected = [CONTROL.sub(" ", t).strip() for t in titles]
    try:
        frame = import_table(path, "products")
    except S.ValidationError as exc:
        blank = [i for i, t in enumerate(expected) if not t]
        assert blank, exc
        assert {(e.row, e.column) for e in exc.errors} == {(i + (2 if fmt != "jsonl" else 1), S.TITLE) for i in blank}
    else:
        assert frame[S.TITLE].tolist() == expected


@FUZZ
@given(order=st.permutations(["product_id", "title", "category", "price", "brand"]),
       extra=st.lists(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=8)
                      .filter(lambda n: n not in FIELDS), max_size=3, unique=True))
def test_column_order_and_extra_columns_do_not_change_the_catalog(tmp_path, order, extra):
    rows = {"product_id": ["A1", "B2"], "title": ["Trail Tent", "Camp Lantern"], "category": ["Tents", "Lights"],
            "price": ["$1,299.50", "19"], "brand": ["Velora", ""]}
    df = pd.DataFrame({**{c: rows[c] for c in order}, **{n: ["x", "y"] for n in extra}})
    path = tmp_path / "catalog.csv"
    df.to_csv(path, index=False)
    frame = import_table(path, "products")
    assert frame[S.PRODUCT_ID].tolist() == ["A1", "B2"]
    assert frame[S.PRICE].tolist() == [1299.5, 19.0]
    assert frame[S.BRAND].tolist() == ["Velora", ""]


@FUZZ
@given(titles=st.lists(st.text(alphabet=st.characters(codec="cp1252", exclude_categories=["Cc", "Cs"]),
                                min_size=1, max_size=20).filter(str.strip), min_size=1, max_size=5))
def test_a_cp1252_file_reads_with_its_encoding_and_utf8_either_reads_it_or_names_the_encoding(tmp_path, titles):
    df = pd.DataFrame({"product_id": [f"P{i}" for i in range(len(titles))], "title": titles, "category": "Tents"})
    path = tmp_path / "catalog.csv"
    df.to_csv(path, index=False, encoding="cp1252")
    assert import_table(path, "products", encoding="cp1252")[S.TITLE].tolist() == [t.strip() for t in titles]
    try:
        import_table(path, "products")
    except ValueError as exc:
        assert "not utf-8 text" in str(exc) and "cp1252" in str(exc)


def test_a_huge_description_is_cut_and_the_report_says_where(tmp_path):
    from ecomrec.data.importer import ImportReport

    path = tmp_path / "catalog.csv"
    pd.DataFrame({"product_id": ["P1", "P2"], "title": ["Tent", "Lamp"], "category": "Camping",
                  "description": ["short", "d" * (20 * 2**20)]}).to_csv(path, index=False)
    report = ImportReport("catalog.csv")
    frame = import_table(path, "products", report=report)
    assert frame[S.DESCRIPTION].str.len().tolist() == [5, MAX_TEXT_CHARS]
    assert report.notes == [f"1 description value(s) were longer than {MAX_TEXT_CHARS:,} characters (the longest "
                            f"{20 * 2**20:,}, first in row 3): cut there"]


def test_two_columns_of_one_name_are_refused_by_position(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("product_id,title,category,title\nP1,Tent,Camping,Lamp\n")
    with pytest.raises(ValueError, match=r"catalog.csv: columns 2 and 4 are both named 'title'"):
        import_table(path, "products")


def test_a_json_object_naming_a_field_twice_is_refused_by_line(tmp_path):
    path = tmp_path / "catalog.jsonl"
    path.write_text('{"product_id": "P1", "title": "Tent", "category": "C"}\n'
                    '{"product_id": "P2", "title": "Lamp", "title": "Lantern", "category": "C"}\n')
    with pytest.raises(ValueError, match=r"names the field 'title' twice"):
        import_table(path, "products")


def test_a_nested_json_title_is_named_by_row_and_column(tmp_path):
    path = tmp_path / "catalog.jsonl"
    path.write_text('{"product_id": "P1", "title": "Tent", "category": "C"}\n'
                    '{"product_id": "P2", "title": {"en": "Lamp"}, "category": "C"}\n')
    with pytest.raises(S.ValidationError) as exc:
        import_table(path, "products")
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, S.TITLE)]
    assert "nested JSON value" in exc.value.errors[0].message


def test_utf16_read_as_utf8_says_to_choose_utf16(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_bytes("product_id,title,category\nP1,Tent,C\n".encode("utf-16-le"))
    with pytest.raises(ValueError, match="choose the encoding utf-16"):
        import_table(path, "products")
    path.write_bytes("product_id,title,category\nP1,Tent,C\n".encode("utf-16"))
    assert import_table(path, "products", encoding="utf-16")[S.TITLE].tolist() == ["Tent"]


@given(text=st.text(max_size=30))
def test_parse_number_returns_a_finite_number_or_none(text):
    value = parse_number(text)
    assert value is None or (isinstance(value, float) and not math.isnan(value))


@given(cents=st.integers(0, 10**9), symbol=st.sampled_from(["$", "€", "₹", "£", ""]))
def test_prices_written_with_thousands_and_currency_read_back(cents, symbol):
    amount = cents / 100
    english = f"{symbol}{amount:,.2f}"
    european = f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") + f" {symbol}"
    assert parse_number(english) == pytest.approx(amount)
    assert parse_number(european) == pytest.approx(amount)


@given(text=st.text(max_size=60))
def test_a_category_path_is_cleaned_once_for_good(text):
    once = category_path(text)
    assert category_path(once) == once


@given(text=st.text(max_size=80), brands=st.lists(st.text(max_size=12), max_size=4))
def test_slots_of_any_text_are_consistent(text, brands):
    slots = parse_slots(text, brands)
    if slots.price_min is not None and slots.price_max is not None:
        assert slots.price_min <= slots.price_max
    assert slots.brand is None or slots.brand in brands
    assert all(v is None or not (isinstance(v, float) and math.isnan(v)) for v in (slots.price_min, slots.price_max))


@settings(max_examples=25, deadline=None)
@given(text=st.text(min_size=1, max_size=60).filter(str.strip))
def test_any_query_gets_distinct_catalog_products_or_a_clear_refusal(tiny_engine, text):
    ids = set(tiny_engine.catalog.products[S.PRODUCT_ID])
    result = tiny_engine.search(text, k=5)
    got = [it.product_id for it in result.items]
    assert len(got) == len(set(got)) <= 5
    assert set(got) <= ids
    assert [it.rank for it in result.items] == list(range(1, len(got) + 1))
    for it in result.items:  # the waterfall adds the components up to the score
        assert math.isfinite(it.score) and it.score == pytest.approx(sum(it.components.values()), abs=1e-6)
