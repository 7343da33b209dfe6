"""Record types, column names and validation for the four kinds of data ecomrec reads.

Every loader and importer goes through :func:`validate`, so a bad row is reported the same way
everywhere: file, row (1-based line number in the file, header = line 1) and column.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

# ---- column names (one place; never repeat string literals elsewhere) ----
PRODUCT_ID = "product_id"
TITLE = "title"
DESCRIPTION = "description"
CATEGORY = "category"  # path "Department > Group > Leaf"
BRAND = "brand"
PRICE = "price"
CURRENCY = "currency"
RATING = "rating"
RATING_COUNT = "rating_count"
ATTRIBUTES = "attributes"  # JSON object of str -> str
IMAGE_URL = "image_url"
POPULARITY = "popularity"

QUERY_ID = "query_id"
TEXT = "text"
INTENT = "intent"

USER_ID = "user_id"
SESSION_ID = "session_id"
TIMESTAMP = "timestamp"
EVENT_TYPE = "event_type"
QUERY = "query"
POSITION = "position"

PROMO_ID = "promo_id"
DISCOUNT = "discount"  # fraction, 0.2 = 20 % off
START = "start"
END = "end"

EVENT_TYPES = ("view", "click", "add_to_cart", "remove_from_cart", "purchase")
INTENTS = (
    "browse",
    "specific_item",
    "compare",
    "deal_seeking",
    "gift",
    "accessory",
    "review_info",
    "support",
)
CATEGORY_SEP = " > "


NO_CATEGORY = "Uncategorised"  # the category of products of a catalog exported without any category column


def leaf(category: str) -> str:
    """The last level of a category path: "Outdoors > Tents" -> "Tents"."""
    return str(category).split(CATEGORY_SEP)[-1]


CURRENCY_SYMBOLS = {"USD": "$", "INR": "₹", "GBP": "£", "EUR": "€", "JPY": "¥", "CNY": "¥", "AUD": "A$",
                    "CAD": "C$", "BRL": "R$", "KRW": "₩"}  # codes without a sign here are written before the amount


def currency_symbol(code: object) -> str:
    """What goes before an amount for an ISO currency code: "USD" -> "$", "INR" -> "₹", "CHF" -> "CHF " (the
    code itself where it has no sign here); the dollar for an empty code (the schema's default currency)."""
    text = str(code).strip().upper() if isinstance(code, str) and code.strip() else DEFAULTS[CURRENCY]
    return CURRENCY_SYMBOLS.get(text, f"{text} ")


def price_text(price: float | None, symbol: str = "$") -> str:
    """A price for people: "$1,299.00", or "no price" when the catalog gives none."""
    return "no price" if price is None or pd.isna(price) else f"{symbol}{price:,.2f}"


def department(category: str) -> str:
    """The first level of a category path: "Outdoors > Tents" -> "Outdoors"."""
    return str(category).split(CATEGORY_SEP)[0]


Kind = Literal["products", "queries", "events", "promotions"]


@dataclass(frozen=True)
class Column:
    """One column of a table contract."""

    name: str
    dtype: Literal["str", "float", "int", "datetime", "json"]
    required: bool = True  # the column must exist
    nullable: bool = False  # empty cells allowed
    choices: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    unique: bool = False


SCHEMAS: dict[str, tuple[Column, ...]] = {
    "products": (
        Column(PRODUCT_ID, "str", unique=True),
        Column(TITLE, "str"),
        Column(DESCRIPTION, "str", required=False, nullable=True),
        Column(CATEGORY, "str"),
        Column(BRAND, "str", required=False, nullable=True),
        Column(PRICE, "float", required=False, nullable=True, min_value=0),  # None: "no price"
        Column(CURRENCY, "str", required=False, nullable=True),
        Column(RATING, "float", required=False, nullable=True, min_value=0, max_value=5),
        Column(RATING_COUNT, "int", required=False, nullable=True, min_value=0),
        Column(ATTRIBUTES, "json", required=False, nullable=True),
        Column(IMAGE_URL, "str", required=False, nullable=True),
        Column(POPULARITY, "float", required=False, nullable=True, min_value=0),
    ),
    "queries": (
        Column(QUERY_ID, "str", unique=True),
        Column(TEXT, "str"),
        # any label: a data set's intent labels are its label set's (the Annotate page), the 8 INTENTS by default
        Column(INTENT, "str", required=False, nullable=True),
        Column(CATEGORY, "str", required=False, nullable=True),
    ),
    "events": (
        Column(USER_ID, "str"),
        Column(SESSION_ID, "str"),
        Column(TIMESTAMP, "datetime"),
        Column(PRODUCT_ID, "str"),
        Column(EVENT_TYPE, "str", choices=EVENT_TYPES),
        Column(QUERY, "str", required=False, nullable=True),
        Column(POSITION, "int", required=False, nullable=True, min_value=0),
    ),
    "promotions": (
        Column(PROMO_ID, "str", unique=True),
        Column(TITLE, "str"),
        Column(PRODUCT_ID, "str", required=False, nullable=True),
        Column(CATEGORY, "str", required=False, nullable=True),
        Column(DISCOUNT, "float", min_value=0, max_value=0.95),
        Column(START, "datetime"),
        Column(END, "datetime"),
    ),
}
DEFAULTS = {CURRENCY: "USD", BRAND: "", DESCRIPTION: "", ATTRIBUTES: "{}", POPULARITY: 0.0}


@dataclass(frozen=True)
class RowError:
    """One problem in one cell (or a whole column when ``row`` is None)."""

    file: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f", row {self.row}" if self.row is not None else "")
        return f"{where}, column '{self.column}': {self.message}"


class ValidationError(ValueError):
    """Raised when a table breaks its contract; carries every problem found."""

    def __init__(self, errors: list[RowError], shown: int = 10) -> None:
        self.errors = errors
        lines = [str(e) for e in errors[:shown]]
        more = len(errors) - shown
        if more > 0:
            lines.append(f"... and {more} more problem(s)")
        super().__init__(f"{len(errors)} problem(s) found:\n" + "\n".join(lines))


@dataclass
class _Checker:
    file: str
    first_row: int  # line number of the frame's first data row in the file
    errors: list[RowError] = field(default_factory=list)

    def bad(self, mask: pd.Series, column: str, message: str) -> None:
        for idx in np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool)):
            self.errors.append(RowError(self.file, int(idx) + self.first_row, column, message))


def _blank_value(v: object) -> bool:
    return v is None or (not isinstance(v, (str, dict, list)) and pd.isna(v)) or (isinstance(v, str) and not v.strip())


def _is_blank(s: pd.Series) -> pd.Series:
    return s.astype(object).map(_blank_value).astype(bool)


def _parse_json_object(value: object) -> bool:
    if _blank_value(value):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) for k in value)
    try:
        parsed = json.loads(str(value))
    except json.JSONDecodeError:
        return False
    return isinstance(parsed, dict)


def validate(df: pd.DataFrame, kind: Kind, file: str = "<frame>", first_row: int = 2) -> pd.DataFrame:
    """Check ``df`` against the contract for ``kind`` and return a normalised copy.

    Args:
        df: the table, already renamed to ecomrec column names.
        kind: "products", "queries", "events" or "promotions".
        file: name used in error messages.
        first_row: line number of the first data row (2 for a CSV with a header).

    Returns:
        A copy with typed columns (ids as str, numbers as float/int, timestamps as datetime) and
        optional columns filled with defaults, restricted to the contract's columns.

    Raises:
        ValidationError: listing every bad cell with its file, row and column.
    """
    if kind not in SCHEMAS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(SCHEMAS)}")
    check = _Checker(file, first_row)
    df = df.reset_index(drop=True)
    out = pd.DataFrame(index=df.index)
    for col in SCHEMAS[kind]:
        if col.name not in df.columns:
            if col.required:
                check.errors.append(RowError(file, None, col.name, "required column is missing"))
                continue
            default = DEFAULTS.get(col.name)
            out[col.name] = default if default is not None else np.nan
            if col.dtype == "str" and default is None:
                out[col.name] = None
            continue
        raw = df[col.name]
        blank = _is_blank(raw)
        if not col.nullable:
            check.bad(blank, col.name, "empty value")
        if col.dtype == "str":
            nested = raw.map(lambda v: isinstance(v, (dict, list)))
            check.bad(nested, col.name, "a nested JSON value, not text: flatten the file so this field holds one "
                      "text value")
            values = raw.astype(object).map(lambda v: None if _blank_value(v) else str(v).strip())
            if col.nullable and col.name in DEFAULTS:
                values = values.fillna(DEFAULTS[col.name])
        elif col.dtype in ("float", "int"):
            values = pd.to_numeric(raw.where(~blank, None), errors="coerce").astype("float64")
            check.bad(values.isna() & ~blank, col.name, f"not a number: expected {col.dtype}")
            if col.dtype == "int":
                frac = values.notna() & (values % 1 != 0)
                check.bad(frac, col.name, "not a whole number")
            if col.min_value is not None:
                check.bad(values < col.min_value, col.name, f"below minimum {col.min_value:g}")
            if col.max_value is not None:
                check.bad(values > col.max_value, col.name, f"above maximum {col.max_value:g}")
            if col.dtype == "int" and not frac.any():
                values = values.astype("Int64")  # nullable integer: positions may be absent
            elif col.nullable and col.name in DEFAULTS:
                values = values.fillna(DEFAULTS[col.name])
        elif col.dtype == "datetime":
            values = pd.to_datetime(raw.where(~blank, None), errors="coerce", format="mixed")
            check.bad(values.isna() & ~blank, col.name, "not a date/time")
        else:  # json object
            ok = raw.map(_parse_json_object)
            check.bad(~ok, col.name, "not a JSON object of key/value pairs")
            values = raw.map(lambda v: v if isinstance(v, str) and v.strip() else
                             (json.dumps(v) if isinstance(v, dict) else "{}"))
        if col.choices is not None:
            present = values.notna() & ~blank
            check.bad(present & ~values.isin(col.choices), col.name,
                      f"not one of {', '.join(col.choices)}")
        if col.unique:
            dup = values.duplicated(keep="first") & ~blank
            check.bad(dup, col.name, "duplicate id")
        out[col.name] = values
    if kind == "promotions" and not check.errors:
        both_empty = out[PRODUCT_ID].isna() & out[CATEGORY].isna()
        check.bad(both_empty, PRODUCT_ID, "a promotion needs a product_id or a category")
        check.bad(out[END] < out[START], END, "ends before it starts")
    if check.errors:
        raise ValidationError(check.errors)
    return out


def product_text(row: pd.Series | dict, description_chars: int = 120) -> str:
    """The text a product is embedded by: title, brand, leaf category, start of description. (Leaving a
    catalog's placeholder :data:`NO_CATEGORY` out was measured: the bare bi-encoder lost 0.008 NDCG@10 on
    CrowdFlower, so it stays.)"""
    leaf_name = leaf(row[CATEGORY])
    desc = str(row.get(DESCRIPTION) or "")[:description_chars]
    brand = str(row.get(BRAND) or "")
    return " | ".join(p for p in (str(row[TITLE]), brand, leaf_name, desc) if p)
