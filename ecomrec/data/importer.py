"""Import CSV, TSV, Parquet or JSONL files into an ecomrec data set.

Two ways in:

* **generic**: a file, the kind of table it holds and a column mapping (``source=target``);
  every row must pass validation, or nothing is written;
* **presets** for the real public sets in ``../shared/data`` (WANDS queries, UCI Online Retail,
  Flipkart products), which apply documented cleaning rules first (cancellations, missing
  customers, text ratings...) and report what they dropped and why.

Either way the data set folder is written atomically (:func:`ecomrec.data.loaders.write_dataset`).
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.data.loaders import write_dataset

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
           ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass
class ImportReport:
    """What an import read, kept and dropped (with the reason and the rows)."""

    source: str
    rows_read: int = 0
    written: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, list[int]] = field(default_factory=dict)  # reason -> row numbers
    notes: list[str] = field(default_factory=list)  # rows kept but changed, and how

    def drop(self, reason: str, rows: pd.Series | np.ndarray) -> None:
        rows = [int(r) for r in np.asarray(rows)]
        if rows:
            self.dropped.setdefault(reason, []).extend(rows)

    def summary(self) -> str:
        """One readable paragraph for the CLI and the app."""
        lines = [f"{self.source}: read {self.rows_read} rows; wrote "
                 + ", ".join(f"{n} {k}" for k, n in self.written.items())]
        for reason, rows in self.dropped.items():
            shown = ", ".join(map(str, rows[:5])) + (" ..." if len(rows) > 5 else "")
            lines.append(f"  dropped {len(rows)} row(s): {reason} (rows {shown})")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def detect_format(path: Path, fmt: str | None = None) -> str:
    """The file's format from ``fmt`` or its extension; a clear error when neither tells."""
    if fmt:
        if fmt not in set(FORMATS.values()):
            raise ValueError(f"unknown format {fmt!r}; use one of {sorted(set(FORMATS.values()))}")
        return fmt
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"{path.name}: cannot tell the format from '{path.suffix}'; "
                         f"pass --format (one of {sorted(set(FORMATS.values()))})") from None


def read_any(path: str | Path, fmt: str | None = None) -> tuple[pd.DataFrame, int]:
    """Read a table as strings. Returns (frame, line number of its first data row)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    kind = detect_format(path, fmt)
    try:
        if kind in ("csv", "tsv"):
            sep = "\t" if kind == "tsv" else ","
            df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""])
            return df, 2
        if kind == "parquet":
            return pd.read_parquet(path).astype(object).where(lambda d: d.notna(), None), 1
        return pd.read_json(path, lines=True, dtype=False), 1
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise ValueError(f"{path.name}: cannot be read as {kind}: {exc}") from exc


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``["uniq_id=product_id", ...]`` -> ``{"uniq_id": "product_id"}``."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        for item in filter(None, (p.strip() for p in pair.split(","))):
            if "=" not in item:
                raise ValueError(f"column mapping '{item}' must look like source=target")
            src, dst = (s.strip() for s in item.split("=", 1))
            mapping[src] = dst
    return mapping


def import_table(path: str | Path, kind: S.Kind, mapping: dict[str, str] | None = None,
                 fmt: str | None = None) -> pd.DataFrame:
    """Read ``path``, rename columns by ``mapping`` and validate it as ``kind``.

    Raises:
        ValidationError: every bad cell, named by file, row and column.
    """
    path = Path(path)
    df, first_row = read_any(path, fmt)
    mapping = mapping or {}
    missing = [src for src in mapping if src not in df.columns]
    if missing:
        raise S.ValidationError([S.RowError(path.name, None, m, "mapped column not in file") for m in missing])
    return S.validate(df.rename(columns=mapping), kind, file=path.name, first_row=first_row)


# ---------------- presets for the real public data sets ----------------

def wands_queries(path: str | Path, report: ImportReport) -> dict[str, pd.DataFrame]:
    """WANDS `query.tsv` (query_id, query, query_class) -> queries with a category, no intent."""
    df, first = read_any(path, "tsv")
    report.rows_read = len(df)
    df = df.rename(columns={"query_id": S.QUERY_ID, "query": S.TEXT, "query_class": S.CATEGORY})
    df[S.QUERY_ID] = "W" + df[S.QUERY_ID].astype(str)
    return {"queries": S.validate(df, "queries", file=Path(path).name, first_row=first)}


_RETAIL_GROUPS = (  # keyword -> category for the gift retailer's unlabelled catalog
    ("Home > Candles & Lights", r"CANDLE|T-LIGHT|LIGHT|LANTERN|LAMP"),
    ("Kitchen > Mugs & Tableware", r"MUG|CUP|PLATE|BOWL|JUG|TEAPOT|TEA |CAKE|LUNCH BOX|BOTTLE"),
    ("Bags > Bags", r"BAG"),
    ("Stationery > Cards & Wrap", r"CARD|WRAP|PAPER|NOTEBOOK|PENCIL|STICKER|TAPE"),
    ("Home > Signs & Decor", r"SIGN|FRAME|CLOCK|MIRROR|HEART|DECORATION|ORNAMENT|WREATH"),
    ("Christmas > Christmas", r"CHRISTMAS|XMAS|SANTA|ADVENT"),
    ("Toys > Toys & Games", r"TOY|GAME|DOLL|PUZZLE|SKIPPING|CHILDS|CHILDRENS"),
    ("Home > Storage", r"BOX|TIN|BASKET|HOLDER|RACK|DRAWER|JAR"),
    ("Garden > Garden", r"GARDEN|PLANT|FLOWER|BIRD"),
)


def _retail_category(description: str) -> str:
    for category, pattern in _RETAIL_GROUPS:
        if re.search(pattern, description):
            return category
    return "Other > Other"


def online_retail(path: str | Path, report: ImportReport) -> dict[str, pd.DataFrame]:
    """UCI Online Retail -> purchase events (an invoice is a session) and the catalog they imply.

    Cleaning rules: cancellation invoices ("C...") and non-positive quantities are dropped;
    non-product stock codes (POST, DOT, M, BANK CHARGES...) are dropped; rows without a price are
    dropped; a missing CustomerID becomes a guest shopper per invoice (its basket still counts).
    """
    df, first = read_any(path, "csv")
    name = Path(path).name
    report.rows_read = len(df)
    row_no = pd.Series(np.arange(len(df)) + first, index=df.index)
    qty = pd.to_numeric(df["Quantity"], errors="coerce")
    price = pd.to_numeric(df["UnitPrice"], errors="coerce")
    code = df["StockCode"].fillna("").str.strip().str.upper()
    rules = [
        ("cancellation invoice", df["InvoiceNo"].fillna("").str.startswith("C")),
        ("quantity not positive", ~(qty > 0)),
        ("not a product (postage, fees, manual adjustments)", ~code.str.match(r"^\d{5}")),
        ("price missing or not positive", ~(price > 0)),
        ("no description", df["Description"].fillna("").str.strip().eq("")),
    ]
    keep = pd.Series(True, index=df.index)
    for reason, bad in rules:
        report.drop(reason, row_no[keep & bad])
        keep &= ~bad
    df, code, price = df[keep], code[keep], price[keep]
    customer = df["CustomerID"].fillna("").str.replace(r"\.0$", "", regex=True)
    guest = customer.eq("")
    user = customer.where(~guest, "guest-" + df["InvoiceNo"])
    events = pd.DataFrame({S.USER_ID: user, S.SESSION_ID: df["InvoiceNo"], S.TIMESTAMP: df["InvoiceDate"],
                           S.PRODUCT_ID: code, S.EVENT_TYPE: "purchase"})
    events = S.validate(events, "events", file=name, first_row=first)
    desc = df["Description"].str.strip().str.replace(r"\s+", " ", regex=True)
    by_code = pd.DataFrame({"code": code, "desc": desc, "price": price})
    grouped = by_code.groupby("code")
    titles = grouped["desc"].agg(lambda s: s.value_counts().index[0])
    products = pd.DataFrame({
        S.PRODUCT_ID: titles.index,
        S.TITLE: titles.str.title().to_numpy(),
        S.CATEGORY: titles.map(_retail_category).to_numpy(),
        S.PRICE: grouped["price"].median().round(2).to_numpy(),
        S.CURRENCY: "GBP",
        S.POPULARITY: grouped.size().astype(float).to_numpy(),
    })
    if guest.any():
        report.notes.append(f"{int(guest.sum())} rows had no CustomerID: kept as one guest shopper per invoice")
    return {"events": events, "products": S.validate(products, "products", file=name)}


_SPEC_PAIR = re.compile(r'"key"=>"(?P<k>[^"]*)",\s*"value"=>"(?P<v>[^"]*)"')


def _flipkart_category(tree: str) -> str:
    try:
        parts = json.loads(tree)[0].split(">>")
    except (json.JSONDecodeError, IndexError, TypeError, AttributeError):
        return ""
    levels = [p.strip() for p in parts if p.strip()]
    if len(levels) > 1:
        levels = levels[:-1]  # the deepest level repeats the product's own name
    return S.CATEGORY_SEP.join(levels[:3])


def _flipkart_image(images: str) -> str | None:
    try:
        urls = json.loads(images)
    except (json.JSONDecodeError, TypeError):
        return None
    return urls[0] if urls else None


def flipkart(path: str | Path, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Flipkart sample -> catalog: category tree parsed, text ratings and specs made structured.

    Cleaning rules: a product with neither a discounted nor a retail price is dropped; "No rating
    available" becomes an empty rating; an empty brand stays empty.
    """
    df, first = read_any(path, "csv")
    name = Path(path).name
    report.rows_read = len(df)
    row_no = pd.Series(np.arange(len(df)) + first, index=df.index)
    price = pd.to_numeric(df["discounted_price"], errors="coerce").fillna(
        pd.to_numeric(df["retail_price"], errors="coerce"))
    no_price = price.isna()
    report.drop("no price", row_no[no_price])
    df, price, row_no = df[~no_price], price[~no_price], row_no[~no_price]
    rating = pd.to_numeric(df["product_rating"], errors="coerce")
    attrs = df["product_specifications"].fillna("").map(
        lambda s: json.dumps({m["k"]: m["v"] for m in _SPEC_PAIR.finditer(s)}))
    products = pd.DataFrame({
        S.PRODUCT_ID: df["pid"], S.TITLE: df["product_name"], S.DESCRIPTION: df["description"],
        S.CATEGORY: df["product_category_tree"].map(_flipkart_category), S.BRAND: df["brand"],
        S.PRICE: price, S.CURRENCY: "INR", S.RATING: rating, S.ATTRIBUTES: attrs,
        S.IMAGE_URL: df["image"].map(_flipkart_image),
    })
    return {"products": S.validate(products, "products", file=name, first_row=first)}


PRESETS: dict[str, Callable[[str | Path, ImportReport], dict[str, pd.DataFrame]]] = {
    "wands": wands_queries,
    "online_retail": online_retail,
    "flipkart": flipkart,
}


def run_import(source: str | Path, into: str | Path, *, preset: str | None = None, kind: S.Kind | None = None,
               mapping: dict[str, str] | None = None, fmt: str | None = None) -> ImportReport:
    """Import ``source`` into the data set folder ``into``; all of it, or nothing.

    Args:
        source: the file to read.
        into: the data set folder (created when missing; other tables in it are kept).
        preset: one of :data:`PRESETS` for the known public data sets, or None for generic import.
        kind: with generic import, the table the file holds.
        mapping: with generic import, source column -> ecomrec column.
        fmt: force a format ("csv", "tsv", "parquet", "jsonl") instead of the file extension.
    """
    report = ImportReport(source=Path(source).name)
    if preset:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; use one of {sorted(PRESETS)}")
        frames = PRESETS[preset](source, report)
    else:
        if kind not in S.SCHEMAS:
            raise ValueError(f"generic import needs a kind: one of {sorted(S.SCHEMAS)}")
        frames = {kind: import_table(source, kind, mapping, fmt)}
        report.rows_read = len(frames[kind])
    write_dataset(into, frames)
    report.written = {k: len(v) for k, v in frames.items()}
    return report
