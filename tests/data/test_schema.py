"""Validation: every bad cell is named by file, row and column."""
import pandas as pd
import pytest

from ecomrec import schema as S


def good_products() -> pd.DataFrame:
    return pd.DataFrame({S.PRODUCT_ID: ["A", "B"], S.TITLE: ["Tent", "Lamp"],
                         S.CATEGORY: ["Out > Camp > Tents", "Out > Camp > Lights"], S.PRICE: ["10", "5.5"]})


def test_valid_products_are_typed_and_defaulted():
    out = S.validate(good_products(), "products")
    assert out[S.PRICE].tolist() == [10.0, 5.5]
    assert out[S.BRAND].tolist() == ["", ""]
    assert out[S.CURRENCY].tolist() == ["USD", "USD"]


def test_every_bad_cell_is_reported_with_file_row_and_column():
    df = good_products()
    df.loc[1, S.PRICE] = "cheap"
    df.loc[0, S.TITLE] = "  "
    with pytest.raises(S.ValidationError) as err:
        S.validate(df, "products", file="shop.csv")
    msgs = [str(e) for e in err.value.errors]
    assert "shop.csv, row 3, column 'price': not a number: expected float" in msgs
    assert "shop.csv, row 2, column 'title': empty value" in msgs


def test_missing_required_column_and_duplicate_ids():
    df = good_products().drop(columns=S.CATEGORY)
    df.loc[1, S.PRODUCT_ID] = "A"
    with pytest.raises(S.ValidationError) as err:
        S.validate(df, "products", file="p.csv")
    text = str(err.value)
    assert "column 'category': required column is missing" in text
    assert "row 3, column 'product_id': duplicate id" in text


@pytest.mark.parametrize("column,value,message", [
    (S.EVENT_TYPE, "wishlist", "not one of"),
    (S.TIMESTAMP, "yesterday-ish", "not a date/time"),
    (S.POSITION, "1.5", "not a whole number"),
    (S.POSITION, "-1", "below minimum"),
])
def test_bad_events(column, value, message):
    df = pd.DataFrame({S.USER_ID: ["u"], S.SESSION_ID: ["s"], S.TIMESTAMP: ["2026-01-01 10:00"],
                       S.PRODUCT_ID: ["A"], S.EVENT_TYPE: ["view"], S.POSITION: ["0"]})
    df.loc[0, column] = value
    with pytest.raises(S.ValidationError, match=message):
        S.validate(df, "events", file="events.csv")


def test_attributes_must_be_a_json_object():
    df = good_products()
    df[S.ATTRIBUTES] = ['{"colour": "red"}', "[1, 2]"]
    with pytest.raises(S.ValidationError, match="row 3, column 'attributes'"):
        S.validate(df, "products")


def test_promotion_needs_a_target_and_a_forward_window():
    df = pd.DataFrame({S.PROMO_ID: ["X"], S.TITLE: ["Sale"], S.DISCOUNT: ["0.2"],
                       S.START: ["2026-02-01"], S.END: ["2026-01-01"], S.CATEGORY: ["A > B"]})
    with pytest.raises(S.ValidationError, match="ends before it starts"):
        S.validate(df, "promotions")
