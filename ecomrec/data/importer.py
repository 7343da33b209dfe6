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
from ecomrec.data.loaders import load_dataset, write_dataset

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "tsv", ".parquet": "parquet", ".pq": "parquet",
           ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
POLICIES = ("all", "skip")  # all or nothing (default), or keep the good rows and list the rejected ones
ORDERS = "orders"  # order lines: imported as purchase events, one session per order
ORDER_COLUMNS = ("order_id", S.USER_ID, S.PRODUCT_ID, S.TIMESTAMP, "order_number")
SEQUENCE_START = pd.Timestamp("2020-01-01")  # order N of a log with sequence numbers only is dated start + N days
# a text cell longer than this is cut (and the report says where): models read a title and the first 120 characters
# of a description, the app shows ~600; a 20 MB description would only bloat the data set and every page that reads it
MAX_TEXT_CHARS = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # control characters but tab and line breaks


@dataclass
class ImportReport:
    """What an import read, kept and dropped (with the reason and the rows)."""

    source: str
    rows_read: int = 0
    written: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, list[int]] = field(default_factory=dict)  # reason -> row numbers
    notes: list[str] = field(default_factory=list)  # rows kept but changed, and how
    rejects: list[dict] = field(default_factory=list)  # file, row, column, value, problem of each rejected cell

    def drop(self, reason: str, rows: pd.Series | np.ndarray) -> None:
        rows = [int(r) for r in np.asarray(rows)]
        if rows:
            self.dropped.setdefault(reason, []).extend(rows)

    def reject(self, file: str, row: int | None, column: str, value: object, problem: str) -> None:
        """Record one rejected row (its first bad cell is enough to name it)."""
        self.rejects.append({"file": file, "row": row, "column": column,
                             "value": None if value is None else str(value)[:200], "problem": problem})
        self.drop(problem, [row] if row is not None else [])

    def rejects_frame(self) -> pd.DataFrame:
        """The rejected rows as a table (file, row, column, value, problem), for the page and ``rejects.csv``."""
        return pd.DataFrame(self.rejects, columns=["file", "row", "column", "value", "problem"])

    def summary(self) -> str:
        """One readable paragraph for the CLI and the app."""
        lines = [f"{self.source}: read {self.rows_read} rows; wrote "
                 + (", ".join(f"{n} {k}" for k, n in self.written.items()) or "nothing")]
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


def read_any(path: str | Path, fmt: str | None = None, encoding: str = "utf-8") -> tuple[pd.DataFrame, int]:
    """Read a table (CSV, TSV, Parquet, JSON Lines or a JSON array of objects) as text cells.

    Returns:
        (frame, line number of its first data row: 2 for files with a header line, else 1).

    Raises:
        ValueError: naming the file and what is wrong (format, encoding, structure, two columns of one name, a
            line that is not JSON) and what to try.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    kind = detect_format(path, fmt)
    try:
        if kind in ("csv", "tsv"):
            sep = "\t" if kind == "tsv" else ","
            options = dict(sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                           encoding="utf-8-sig" if encoding == "utf-8" else encoding)
            _check_header(path.name, list(pd.read_csv(path, header=None, nrows=1, **options).iloc[0]))
            return pd.read_csv(path, **options), 2
        if kind == "parquet":
            df = pd.read_parquet(path)
            _check_header(path.name, list(df.columns))
            return df.astype(object).where(lambda d: d.notna(), None), 1
        text = path.read_text(encoding=encoding)
        if kind == "json":
            rows = json.loads(text, object_pairs_hook=_unique_keys)
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise ValueError("expected a JSON array of objects, one per row")
            return pd.DataFrame(rows).astype(object), 1
        rows = []
        for number, line in enumerate(text.split("\n"), 1):  # JSON Lines end at \n only (not U+2028)
            if not line.strip():
                continue
            try:
                row = json.loads(line, object_pairs_hook=_unique_keys)
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number} is not JSON ({exc.msg} at character {exc.pos + 1})") from None
            if not isinstance(row, dict):
                raise ValueError(f"line {number} is not a JSON object of field: value pairs")
            rows.append(row)
        return pd.DataFrame(rows).astype(object), 1
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path.name}: not {encoding} text (byte {exc.start} cannot be read); save it as UTF-8, "
                         "or choose its encoding (e.g. cp1252 or latin-1)") from exc
    except (ValueError, pd.errors.ParserError, OSError) as exc:
        if str(exc).startswith(path.name):
            raise
        raise ValueError(f"{path.name}: cannot be read as {kind}: {exc}") from exc


def _check_header(file: str, names: list) -> None:
    """Refuse a header that would be read wrongly: NUL bytes between its letters (UTF-16 text read as UTF-8) or
    two columns of one name (pandas would quietly call the second ``title.1``)."""
    names = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip() for v in names]
    if any("\x00" in n for n in names):
        raise ValueError(f"{file}: its header holds NUL bytes, as UTF-16 text does; choose the encoding utf-16, "
                         "or save the file as UTF-8")
    seen: dict[str, int] = {}
    for i, name in enumerate(names, 1):
        if name and name in seen:
            raise ValueError(f"{file}: columns {seen[name]} and {i} are both named {name!r}; rename or delete "
                             "one of them and import again")
        seen.setdefault(name, i)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object, refused when it names one field twice (``json`` would keep the last silently)."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"an object names the field {key!r} twice; keep one")
        out[key] = value
    return out


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``["uniq_id=product_id", ...]`` -> ``{"uniq_id": "product_id"}`` (order kept: several columns mapped
    to ``category`` are joined in this order)."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        for item in filter(None, (p.strip() for p in pair.split(","))):
            if "=" not in item:
                raise ValueError(f"column mapping '{item}' must look like source=target")
            src, dst = (s.strip() for s in item.split("=", 1))
            mapping[src] = dst
    return mapping


_CURRENCY = re.compile(r"[^\d,.\-+eE]")  # anything but digits, separators, sign and exponent


def parse_number(value: object) -> float | None:
    """A number as shops write it: ``₹1,299``, ``$12.99``, ``1.299,00 €``, ``1 299``, ``12.5%`` -> float.

    The last of "," and "." is the decimal mark when both occur; a lone "," followed by exactly three
    digits (``1,299``) groups thousands, otherwise it is a decimal comma (``12,99``). Returns None for
    empty cells and text that holds no number ("No rating available").
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = _CURRENCY.sub("", str(value).replace("\u00a0", "").replace(" ", "").replace("Rs.", ""))
    if text.lower().startswith("e"):  # "e" of a word, not an exponent
        text = text.lstrip("eE")
    if not re.search(r"\d", text):
        return None
    if "," in text and "." in text:
        thousands = "," if text.rfind(".") > text.rfind(",") else "."
        text = text.replace(thousands, "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+", text) else text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def category_path(value: object) -> object:
    """A category as exports write it -> "A > B > C": ``A >> B``, ``A | B`` and a JSON list around
    it (``["A >> B"]``) all become ``A > B``; anything else is kept as it is."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
            text = str(items[0]) if items else ""
        except (json.JSONDecodeError, IndexError):
            pass
    parts = [p.strip() for p in re.split(r">>|>|\|", text) if p.strip()]
    return S.CATEGORY_SEP.join(parts)


def _words(text: object) -> set[str]:
    return set(re.findall(r"\w+", str(text).lower()))


def names_product(leaf: str, title: object) -> bool:
    """Whether a category path's last step is the product's own name (Flipkart's tree often ends so): one's
    words hold the other's, and the shorter has at least three words and 60 % of the longer's."""
    a, b = _words(leaf), _words(title)
    small, big = sorted((a, b), key=len)
    return len(small) >= 3 and small <= big and len(small) >= 0.6 * len(big)


def drop_title_leaves(categories: pd.Series, titles: pd.Series, report: ImportReport) -> pd.Series:
    """``categories`` with a last step that names the product itself dropped: the step is the product's title
    (or nearly, :func:`names_product`) and no other product ends in it unless it is their title too ("Women's
    Running Shoes" shared by many stays). A category of one product teaches no model anything and reads as
    nonsense ("Category: Noor Embroidered Women's Straight Kurta");
    a path of that step alone becomes empty. Noted in ``report`` with an example."""
    out = categories.copy()
    dropped = []
    leaves = categories.map(lambda c: c.split(S.CATEGORY_SEP)[-1] if isinstance(c, str) else None)
    shared = leaves.value_counts()  # a leaf several products end in is a real category, unless it is their name
    for i, (path, title) in enumerate(zip(categories, titles)):
        if not isinstance(path, str) or not path:
            continue
        steps = path.split(S.CATEGORY_SEP)
        own = shared.get(steps[-1], 0) <= 1 or _words(steps[-1]) == _words(title)
        if own and names_product(steps[-1], title):
            out.iloc[i] = S.CATEGORY_SEP.join(steps[:-1])
            dropped.append(i)
    if dropped:
        report.notes.append(f"{len(dropped)} product(s) had a category path ending in the product's own name "
                            f"(e.g. {categories.iloc[dropped[0]]!r}): that last step was dropped")
    return out


def apply_mapping(df: pd.DataFrame, mapping: dict[str, str], file: str) -> pd.DataFrame:
    """Rename columns by ``mapping`` (source -> ecomrec column). Several sources mapped to ``category`` are
    joined into one path ("Department > Aisle"); a source mapped to "" is left out; unmapped columns are kept
    under their own names.

    Raises:
        ValidationError: naming mapped columns that are not in the file, or two sources for one other field.
    """
    missing = [src for src in mapping if src not in df.columns]
    if missing:
        raise S.ValidationError([S.RowError(file, None, m, "mapped column not in file") for m in missing])
    by_target: dict[str, list[str]] = {}
    for src, dst in mapping.items():
        if dst:
            by_target.setdefault(dst, []).append(src)
    twice = [S.RowError(file, None, dst, f"mapped from several columns ({', '.join(srcs)}); only category may be")
             for dst, srcs in by_target.items() if len(srcs) > 1 and dst != S.CATEGORY]
    if twice:
        raise S.ValidationError(twice)
    out = df.drop(columns=list(mapping)).copy()
    for dst, srcs in by_target.items():
        if len(srcs) == 1:
            out[dst] = df[srcs[0]]
        else:
            parts = [df[c].astype(object).map(lambda v: "" if v is None or pd.isna(v) else str(v).strip())
                     for c in srcs]
            out[dst] = [S.CATEGORY_SEP.join(p for p in row if p) for row in zip(*parts)]
    return out


def clean(df: pd.DataFrame, kind: str, file: str, report: ImportReport, first_row: int = 2) -> pd.DataFrame:
    """What a real export needs before validation, each change noted in ``report``.

    Text loses control characters (a NUL byte in a title) and is cut at :data:`MAX_TEXT_CHARS`; numbers are
    parsed as shops write them (:func:`parse_number`); a rating that is text ("No rating
    available") becomes empty; a catalog without categories gets one "Uncategorised"; of products with
    the same id the first row is kept and the others are reported.
    """
    df = df.copy()
    schema = S.SCHEMAS[kind]
    for col in [c.name for c in schema if c.dtype == "str" and c.name in df.columns]:
        df[col] = clean_text(df[col], col, first_row, report)
    for col in [c.name for c in schema if c.dtype in ("float", "int") and c.name in df.columns]:
        raw = df[col]
        parsed = raw.map(parse_number)
        text = raw.notna() & raw.astype(str).str.strip().ne("") & parsed.isna()
        if col == S.RATING and text.any():
            report.notes.append(f"{int(text.sum())} {col} value(s) were text (e.g. {raw[text].iloc[0]!r}): "
                                "left empty")
            df[col] = parsed
        else:
            df[col] = parsed.where(~text, raw)  # text stays, so validation names the cell
    if kind == "products":
        if S.CATEGORY not in df.columns:
            df[S.CATEGORY] = S.NO_CATEGORY
            report.notes.append(f"no category column: every product is in {S.NO_CATEGORY!r}; map one (or several, "
                                "joined as Department > Aisle) to use categories")
        else:
            df[S.CATEGORY] = df[S.CATEGORY].map(category_path).astype(object)  # an all-empty column stays text
            if S.TITLE in df.columns:
                df[S.CATEGORY] = drop_title_leaves(df[S.CATEGORY], df[S.TITLE], report)
            empty = df[S.CATEGORY].isna() | df[S.CATEGORY].astype(str).str.strip().eq("")
            if empty.any():
                df.loc[empty, S.CATEGORY] = S.NO_CATEGORY
                report.notes.append(f"{int(empty.sum())} product(s) without a category: put in {S.NO_CATEGORY!r}")
        if S.PRICE in df.columns and df[S.PRICE].isna().any():
            report.notes.append(f"{int(df[S.PRICE].isna().sum())} product(s) without a price: kept, shown as "
                                "'no price', price features neutral")
    for id_col in [c.name for c in schema if c.unique and c.name in df.columns]:
        ids = df[id_col].astype(object).map(lambda v: None if v is None or pd.isna(v) else str(v).strip())
        dup = ids.duplicated(keep="first") & ids.notna()
        for i in np.flatnonzero(dup.to_numpy()):
            report.reject(file, int(i) + first_row, id_col, ids.iloc[i], "duplicate id: the first row was kept")
        df = df[~dup.to_numpy()]
    return df


def clean_text(values: pd.Series, column: str, first_row: int, report: ImportReport) -> pd.Series:
    """``values`` with control characters removed and text longer than :data:`MAX_TEXT_CHARS` cut, each change
    noted in ``report`` with how many cells and the first row. Non-text values (a nested JSON object) are left for
    validation to name."""
    text = values.map(lambda v: isinstance(v, str))
    if not text.any():
        return values
    out = values.copy()
    strings = values[text]
    control = strings.str.contains(_CONTROL)
    if control.any():
        out[control[control].index] = strings[control].str.replace(_CONTROL, " ", regex=True)
        report.notes.append(f"{int(control.sum())} {column} value(s) held control characters such as NUL bytes "
                            f"(first in row {_row(values, control, first_row)}): each became a space")
    long = out[text].str.len() > MAX_TEXT_CHARS
    if long.any():
        longest = int(out[text].str.len().max())
        out[long[long].index] = out[long[long].index].str.slice(0, MAX_TEXT_CHARS)
        report.notes.append(f"{int(long.sum())} {column} value(s) were longer than {MAX_TEXT_CHARS:,} characters "
                            f"(the longest {longest:,}, first in row {_row(values, long, first_row)}): cut there")
    return out


def _row(values: pd.Series, mask: pd.Series, first_row: int) -> int:
    """The file row of the first cell ``mask`` marks (``values``' index is the 0-based position in the file)."""
    return int(mask[mask].index[0]) + first_row


def validate_rows(df: pd.DataFrame, kind: str, file: str, first_row: int, policy: str,
                  report: ImportReport) -> pd.DataFrame:
    """Validate ``df``; with ``policy="skip"`` rows with a bad cell are rejected (listed in ``report``) and
    the rest kept. ``df``'s index must be its 0-based row position in the file.

    Raises:
        ValidationError: with ``policy="all"`` for any bad cell; with either for a missing required column.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; use one of {POLICIES}")
    positions = df.index.to_numpy()
    try:
        return S.validate(df.reset_index(drop=True), kind, file=file, first_row=first_row)
    except S.ValidationError as exc:
        cell_errors = [e for e in exc.errors if e.row is not None]
        if policy == "all" or len(cell_errors) < len(exc.errors):
            raise _at_file_rows(exc, positions, first_row) from None
        bad: dict[int, S.RowError] = {}
        for e in cell_errors:
            bad.setdefault(e.row - first_row, e)  # e.row counts from the frame's first row
        for i, e in sorted(bad.items()):
            row = int(positions[i]) + first_row
            report.reject(file, row, e.column, df.iloc[i].get(e.column), e.message)
        keep = np.setdiff1d(np.arange(len(df)), list(bad))
        return S.validate(df.iloc[keep].reset_index(drop=True), kind, file=file, first_row=first_row)


def _at_file_rows(exc: S.ValidationError, positions: np.ndarray, first_row: int) -> S.ValidationError:
    """The same errors with rows numbered as in the file (rows dropped before validation shift the frame)."""
    return S.ValidationError([S.RowError(e.file, None if e.row is None else int(positions[e.row - first_row])
                                         + first_row, e.column, e.message) for e in exc.errors])


def import_table(path: str | Path, kind: S.Kind, mapping: dict[str, str] | None = None, fmt: str | None = None,
                 policy: str = "all", report: ImportReport | None = None, encoding: str = "utf-8",
                 products: pd.DataFrame | None = None) -> pd.DataFrame:
    """Read ``path``, map its columns, clean it and validate it as ``kind`` (or ``"orders"``).

    Args:
        policy: "all" (any bad row rejects the file) or "skip" (bad rows are listed in ``report`` and left out).
        products: the data set's catalog, for checking the product ids of events and orders.

    Raises:
        ValidationError: every bad cell, named by file, row and column (``policy="all"``), or a missing column.
    """
    path, file = Path(path), Path(path).name
    report = report if report is not None else ImportReport(source=file)
    df, first_row = read_any(path, fmt, encoding)
    report.rows_read = len(df)
    df = apply_mapping(df, mapping or {}, file)
    if kind == ORDERS:
        df = orders_to_events(df, file, first_row, report)
        kind = "events"
    df = clean(df, kind, file, report, first_row)
    if kind == "events" and products is not None and S.PRODUCT_ID in df.columns:
        unknown = ~df[S.PRODUCT_ID].astype(str).isin(set(products[S.PRODUCT_ID]))
        if unknown.any() and policy == "all":
            rows = df.index[unknown.to_numpy()][:10]
            raise S.ValidationError([S.RowError(file, int(i) + first_row, S.PRODUCT_ID,
                                                f"unknown product id {df.at[i, S.PRODUCT_ID]!r}") for i in rows])
        for i in df.index[unknown.to_numpy()]:
            report.reject(file, int(i) + first_row, S.PRODUCT_ID, df.at[i, S.PRODUCT_ID], "unknown product id")
        df = df[~unknown.to_numpy()]
    return validate_rows(df, kind, file, first_row, policy, report)


def required_fields(kind: str) -> list[str]:
    """The fields a file of ``kind`` must hold (orders: the order and the product; a time or order number too)."""
    if kind == ORDERS:
        return ["order_id", S.PRODUCT_ID]
    return [c.name for c in S.SCHEMAS[kind] if c.required and not (kind == "products" and c.name == S.CATEGORY)]


def missing_fields(kind: str, present) -> list[str]:
    """Which of ``kind``'s required fields are not among ``present`` (columns after mapping), by name."""
    present = set(present)
    missing = [f for f in required_fields(kind) if f not in present]
    if kind == ORDERS and not {S.TIMESTAMP, "order_number"} & present:
        missing.append("timestamp or order_number")
    return missing


def orders_to_events(df: pd.DataFrame, file: str, first_row: int, report: ImportReport) -> pd.DataFrame:
    """Order lines (``order_id``, ``user_id``, ``product_id`` and ``timestamp`` or ``order_number``) ->
    purchase events, one session per order. A customer-less line becomes a guest per order; with only
    order numbers, order N is dated ``SEQUENCE_START`` + N days (the order, not the date, is what counts).

    Raises:
        ValidationError: naming the missing columns.
    """
    missing = missing_fields(ORDERS, df.columns)
    if missing:
        raise S.ValidationError([S.RowError(file, None, c, "required column is missing (map it)") for c in missing])
    order = df["order_id"].astype(str)
    user = df[S.USER_ID].astype(object) if S.USER_ID in df.columns else pd.Series(None, index=df.index)
    guest = user.isna() | user.astype(str).str.strip().eq("")
    if guest.any():
        report.notes.append(f"{int(guest.sum())} order line(s) without a customer: one guest shopper per order")
    if S.TIMESTAMP in df.columns:
        when = df[S.TIMESTAMP]
    else:
        n = df["order_number"].map(parse_number)
        when = pd.Series([SEQUENCE_START + pd.Timedelta(days=float(v)) if v is not None else None for v in n],
                         index=df.index, dtype=object)
        report.notes.append(f"no order time: order N is dated {SEQUENCE_START:%Y-%m-%d} + N days")
    return pd.DataFrame({S.USER_ID: user.where(~guest, "guest-" + order), S.SESSION_ID: order,
                         S.TIMESTAMP: when, S.PRODUCT_ID: df[S.PRODUCT_ID], S.EVENT_TYPE: "purchase"},
                        index=df.index)


PRESET_NEEDS = {  # the columns each preset cannot do without; every other column may be absent
    "flipkart": ("pid", "product_name"),
    "online_retail": ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice"),
    "wands": ("query_id", "query"),
}


def preset_fits(preset: str, df: pd.DataFrame) -> bool:
    """Whether ``df`` has every column ``preset`` needs (the Import page offers it then). A headerless basket
    file has no columns to tell it by: the ``baskets`` preset is the CLI's (``--preset baskets``)."""
    return preset in PRESET_NEEDS and all(c in df.columns for c in PRESET_NEEDS[preset])


def require_columns(df: pd.DataFrame, preset: str) -> None:
    """Raise naming every column the ``preset`` needs that the file lacks (and what it has instead)."""
    missing = [c for c in PRESET_NEEDS[preset] if c not in df.columns]
    if missing:
        raise ValueError(f"the {preset} preset needs column(s) {', '.join(missing)}, missing from this file (it "
                         f"has: {', '.join(map(str, df.columns[:20]))}); use the generic import with a mapping")


# ---------------- presets for the real public data sets ----------------

def wands_queries(path: str | Path, report: ImportReport, policy: str = "all") -> dict[str, pd.DataFrame]:
    """WANDS `query.tsv` (query_id, query, query_class) -> queries with a category, no intent."""
    df, first = read_any(path, "tsv")
    report.rows_read = len(df)
    require_columns(df, "wands")
    df = df.rename(columns={"query_id": S.QUERY_ID, "query": S.TEXT, "query_class": S.CATEGORY})
    df[S.QUERY_ID] = "W" + df[S.QUERY_ID].astype(str)
    name = Path(path).name
    return {"queries": validate_rows(clean(df, "queries", name, report, first), "queries", name, first, policy,
                                     report)}


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


def online_retail(path: str | Path, report: ImportReport, policy: str = "all") -> dict[str, pd.DataFrame]:
    """UCI Online Retail -> purchase events (an invoice is a session) and the catalog they imply.

    Cleaning rules: cancellation invoices ("C...") and non-positive quantities are dropped;
    non-product stock codes (POST, DOT, M, BANK CHARGES...) are dropped; rows without a price are
    dropped; a missing CustomerID becomes a guest shopper per invoice (its basket still counts).
    """
    df, first = read_any(path, "csv")
    name = Path(path).name
    report.rows_read = len(df)
    require_columns(df, "online_retail")
    if "CustomerID" not in df.columns:
        df["CustomerID"] = None
    row_no = pd.Series(np.arange(len(df)) + first, index=df.index)
    qty = df["Quantity"].map(parse_number).astype(float)
    price = df["UnitPrice"].map(parse_number).astype(float)
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
    events = validate_rows(events, "events", name, first, policy, report)
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


def flipkart(path: str | Path, report: ImportReport, policy: str = "all") -> dict[str, pd.DataFrame]:
    """Flipkart product export -> catalog: category tree parsed, text ratings and specs made structured.

    Needs ``pid`` and ``product_name``; every other column may be absent. Cleaning rules: the
    discounted price, else the retail price, written as shops write numbers; a product with neither
    is kept without a price; "No rating available" becomes an empty rating; an empty brand stays
    empty; of rows with the same ``pid`` the first is kept.
    """
    df, first = read_any(path, "csv")
    name = Path(path).name
    report.rows_read = len(df)
    require_columns(df, "flipkart")

    def col(c: str) -> pd.Series:
        return df[c] if c in df.columns else pd.Series(None, index=df.index, dtype=object)

    price = col("discounted_price").map(parse_number).astype(float).fillna(
        col("retail_price").map(parse_number).astype(float))
    products = pd.DataFrame({
        S.PRODUCT_ID: df["pid"], S.TITLE: df["product_name"], S.DESCRIPTION: col("description"),
        S.CATEGORY: col("product_category_tree").map(_flipkart_category), S.BRAND: col("brand"),
        S.PRICE: price, S.CURRENCY: "INR", S.RATING: col("product_rating"),
        S.ATTRIBUTES: col("product_specifications").fillna("").map(
            lambda s: json.dumps({m["k"]: m["v"] for m in _SPEC_PAIR.finditer(str(s))})),
        S.IMAGE_URL: col("image").map(_flipkart_image),
    })
    return {"products": validate_rows(clean(products, "products", name, report, first), "products", name, first,
                                      policy, report)}


BASKET_START = pd.Timestamp("2020-01-01")  # baskets without times: one minute apart in file order from here


def basket_lines(path: str | Path, report: ImportReport, policy: str = "all") -> dict[str, pd.DataFrame]:
    """A market-basket export, one basket a line and its items comma-separated, no header, ids or times (as
    arules' Groceries) -> purchase events and the catalog of the item names they hold.

    An item is its name, spacing collapsed, spelt as it first appears ("cream cheese " = "Cream cheese"); its id is a
    stable slug of the name. Each line is one order of its own shopper, one minute after the line before
    (file order is the only time there is, so splits by time follow it). An item twice in a line counts once;
    empty lines are dropped and reported.
    """
    import hashlib

    name = Path(path).name
    lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    report.rows_read = len(lines)
    rows, empty_lines = [], []
    for n, line in enumerate(lines, start=1):
        items = list(dict.fromkeys(x for x in (re.sub(r"\s+", " ", i).strip() for i in line.split(",")) if x))
        if not items:
            empty_lines.append(n)
        rows += [(n, item) for item in items]
    report.drop("empty line (no items)", np.array(empty_lines, dtype=int))
    if not rows:
        raise ValueError(f"{name}: no baskets found (expected one basket a line, items separated by commas)")
    df = pd.DataFrame(rows, columns=["line", "item"])
    first = df.groupby(df["item"].str.casefold())["item"].first()  # "Whole milk" = "whole milk": the first spelling
    df["item"] = df["item"].str.casefold().map(first)
    df = df.drop_duplicates(["line", "item"])
    ids = {i: "item-" + hashlib.sha1(i.casefold().encode()).hexdigest()[:10] for i in df["item"].unique()}
    basket = "basket-" + df["line"].astype(str)
    events = pd.DataFrame({S.USER_ID: basket, S.SESSION_ID: basket,
                           S.TIMESTAMP: BASKET_START + pd.to_timedelta(df["line"], unit="min"),
                           S.PRODUCT_ID: df["item"].map(ids), S.EVENT_TYPE: "purchase"})
    counts = df["item"].value_counts()
    products = pd.DataFrame({S.PRODUCT_ID: [ids[i] for i in counts.index], S.TITLE: counts.index,
                             S.POPULARITY: counts.to_numpy(dtype=float)})
    report.notes.append(f"{df['line'].nunique():,} baskets of {len(ids):,} items; no times in the file: baskets "
                        "are one minute apart in file order")
    return {"events": validate_rows(events, "events", name, 1, policy, report),
            "products": validate_rows(clean(products, "products", name, report, 1), "products", name, 1, policy,
                                      report)}


PRESET_MAPPINGS: dict[str, list[tuple[str, str, str]]] = {  # (the file's column, field, the rule), as each reader does
    "flipkart": [
        ("pid", S.PRODUCT_ID, "the first row of a repeated id is kept"),
        ("product_name", S.TITLE, ""),
        ("description", S.DESCRIPTION, ""),
        ("product_category_tree", S.CATEGORY, "its first three levels; the last level, the product's own name, "
                                              "is dropped"),
        ("brand", S.BRAND, "empty stays empty"),
        ("discounted_price, else retail_price", S.PRICE, "read as shops write numbers; none: no price"),
        ("(none)", S.CURRENCY, "INR (₹) for every product"),
        ("product_rating", S.RATING, "\"No rating available\" is left empty"),
        ("product_specifications", S.ATTRIBUTES, "its key / value pairs"),
        ("image", S.IMAGE_URL, "the first picture"),
    ],
    "online_retail": [
        ("InvoiceNo", S.SESSION_ID, "an invoice is one basket; cancellations (C...) are dropped"),
        ("StockCode", S.PRODUCT_ID, "postage, fees and manual adjustments are dropped"),
        ("Description", S.TITLE, "also its category, by keywords (candles, mugs, bags, ...)"),
        ("Quantity", "(a purchase)", "rows of zero or fewer are dropped"),
        ("UnitPrice", S.PRICE, "the product's median price; rows without one are dropped"),
        ("(none)", S.CURRENCY, "GBP (£) for every product"),
        ("CustomerID", S.USER_ID, "missing: one guest shopper per invoice"),
        ("InvoiceDate", S.TIMESTAMP, ""),
    ],
    "wands": [("query_id", S.QUERY_ID, "prefixed W"), ("query", S.TEXT, ""), ("query_class", S.CATEGORY, "")],
    "baskets": [("each line", S.SESSION_ID, "one basket of its own shopper, a minute after the line before"),
                ("each comma-separated item", S.PRODUCT_ID, "a product named by the item; twice in a line counts "
                                                            "once")],
}
"""What each preset reads from which column, shown on the Import page before anything is imported."""

PRESETS: dict[str, Callable[[str | Path, ImportReport, str], dict[str, pd.DataFrame]]] = {
    "baskets": basket_lines,
    "wands": wands_queries,
    "online_retail": online_retail,
    "flipkart": flipkart,
}


def run_import(source: str | Path, into: str | Path, *, preset: str | None = None, kind: str | None = None,
               mapping: dict[str, str] | None = None, fmt: str | None = None, policy: str = "all",
               encoding: str = "utf-8") -> ImportReport:
    """Import ``source`` into the data set folder ``into``: all of it, or (``policy="skip"``) its good rows.

    Args:
        source: the file to read.
        into: the data set folder (created when missing; other tables in it are kept).
        preset: one of :data:`PRESETS` for the known public data sets, or None for generic import.
        kind: with generic import, the table the file holds ("products", "queries", "events",
            "promotions" or "orders": order lines become purchase events).
        mapping: with generic import, source column -> ecomrec column.
        fmt: force a format ("csv", "tsv", "parquet", "jsonl", "json") instead of the file extension.
        policy: "all" (default: any bad row rejects the file) or "skip" (bad rows are left out, listed in
            the report and written to ``rejects.csv`` beside the data set).

    Nothing is written when the import fails; the folder is replaced atomically when it succeeds.
    """
    report = ImportReport(source=Path(source).name)
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; use one of {POLICIES}")
    if preset:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; use one of {sorted(PRESETS)}")
        frames = PRESETS[preset](source, report, policy)
    else:
        if kind not in (*S.SCHEMAS, ORDERS):
            raise ValueError(f"generic import needs a kind: one of {sorted((*S.SCHEMAS, ORDERS))}")
        existing = Path(into) / "products.csv"
        products = load_dataset(into).products if existing.exists() else None
        table = import_table(source, kind, mapping, fmt, policy, report, encoding, products)
        frames = {"events" if kind == ORDERS else kind: table}
    write_imported(into, frames, report)
    return report


def write_imported(into: str | Path, frames: dict[str, pd.DataFrame], report: ImportReport) -> None:
    """Write ``frames`` into the data set folder (atomically) and ``rejects.csv`` beside them when rows were."""
    write_dataset(into, frames)
    report.written = {k: len(v) for k, v in frames.items()}
    rejects = Path(into) / "rejects.csv"
    if report.rejects:
        report.rejects_frame().to_csv(rejects, index=False)
    elif rejects.exists():
        rejects.unlink()
