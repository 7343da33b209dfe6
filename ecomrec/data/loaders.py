"""Read and write a data set directory: products, queries, events, promotions.

A data set is a folder of CSV files (names in :data:`FILES`). Writing is atomic per data set: all
files are written to a staging folder, which is then marked complete, and only then moved in, products
last. A write killed before the mark leaves the data set as it was; one killed while moving is finished
by :func:`recover`, which every reader of the folder calls first. So no reader ever sees a mix of old
and new files, and a new data set appears (its products file) only once every file is in place.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ecomrec import schema as S
from ecomrec.files import write_atomic

FILES = {
    "products": "products.csv",
    "queries": "queries.csv",
    "queries_val": "queries_val.csv",
    "queries_test": "queries_test.csv",
    "events": "events.csv",
    "promotions": "promotions.csv",
}
COMPLETE = ".complete"  # written into a staging folder once every file in it is whole
STALE_S = 3600  # an unfinished staging folder this old belongs to a dead write (an import writes in seconds)
KIND_OF = {"products": "products", "queries": "queries", "queries_val": "queries", "queries_test": "queries",
           "events": "events", "promotions": "promotions"}


@dataclass(frozen=True)
class Dataset:
    """Validated frames of one data set. Missing tables are empty frames with the right columns."""

    products: pd.DataFrame
    queries: pd.DataFrame
    queries_test: pd.DataFrame
    events: pd.DataFrame
    promotions: pd.DataFrame
    queries_val: pd.DataFrame = field(default_factory=lambda: empty("queries"))  # choices are made here
    name: str = "dataset"

    def fingerprint(self) -> str:
        """Short hash of the catalog (ids, titles, categories) and the table sizes: what a model was trained on."""
        p = self.products
        h = hashlib.sha256(pd.util.hash_pandas_object(p[[S.PRODUCT_ID, S.TITLE, S.CATEGORY]], index=False)
                           .to_numpy().tobytes())
        h.update(str([len(self.queries), len(self.queries_val), len(self.queries_test), len(self.events)]).encode())
        return h.hexdigest()[:16]

    def counts(self) -> dict[str, int]:
        """Rows per table, plus distinct shoppers, categories and brands."""
        p = self.products
        return {
            "products": len(p),
            "categories": p[S.CATEGORY].nunique(),
            "departments": p[S.CATEGORY].map(S.department).nunique(),
            "brands": p.loc[p[S.BRAND].ne(""), S.BRAND].nunique(),
            "queries": len(self.queries) + len(self.queries_val) + len(self.queries_test),
            "events": len(self.events),
            "shoppers": self.events[S.USER_ID].nunique() if len(self.events) else 0,
            "promotions": len(self.promotions),
        }


def empty(kind: S.Kind) -> pd.DataFrame:
    """An empty, valid frame for ``kind``."""
    return pd.DataFrame({c.name: pd.Series(dtype="object") for c in S.SCHEMAS[kind]})


def read_table(path: Path, kind: S.Kind) -> pd.DataFrame:
    """Read one CSV written by :func:`write_dataset` and validate it.

    Raises:
        ValueError: naming the file and what pandas found when it is not readable CSV (cut short, not text).
        ValidationError: when its rows break the contract.
    """
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is damaged and cannot be read as CSV ({exc}): write it again — "
                         "`python -m ecomrec sample-data` for the sample, the Import page or `python -m ecomrec "
                         "import` for your own data") from exc
    return S.validate(df, kind, file=path.name)


def load_dataset(directory: str | Path) -> Dataset:
    """Load and validate every table in ``directory``.

    Raises:
        FileNotFoundError: when the folder or its products file is missing.
        ValueError: when a file is not readable CSV (the file is named, with how to write it again).
        ValidationError: when a file breaks its contract (file, row and column are named).
    """
    directory = Path(directory)
    recover(directory)
    if not (directory / FILES["products"]).exists():
        raise FileNotFoundError(f"no {FILES['products']} in {directory}: not an ecomrec data set "
                                "(run `python -m ecomrec sample-data` or `python -m ecomrec import`)")
    frames = {}
    for name, file in FILES.items():
        path = directory / file
        frames[name] = read_table(path, KIND_OF[name]) if path.exists() else empty(KIND_OF[name])
    return Dataset(**frames, name=directory.name)


def write_dataset(directory: str | Path, frames: dict[str, pd.DataFrame]) -> None:
    """Validate and write ``frames`` (keys from :data:`FILES`) into ``directory`` atomically.

    Tables not in ``frames`` are left as they are. Nothing is written unless every frame is valid.
    """
    directory = Path(directory)
    validated = {name: S.validate(df, KIND_OF[name], file=FILES[name]) for name, df in frames.items()}
    directory.mkdir(parents=True, exist_ok=True)
    recover(directory)  # an older write killed while moving is finished first, never after this one
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=directory))
    try:
        for name, df in validated.items():
            df.to_csv(staging / FILES[name], index=False, date_format="%Y-%m-%d %H:%M:%S")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    listing = " ".join(FILES[name] for name in validated) + "\n"
    write_atomic(staging / COMPLETE, lambda tmp: tmp.write_text(listing))
    _move_in(staging, directory)  # should this fail, the complete staging folder is finished by recover
    shutil.rmtree(staging, ignore_errors=True)


def _move_in(staging: Path, directory: Path) -> None:
    """Move a complete staging folder's files into ``directory``, products last (renames are atomic)."""
    names = sorted((staging / COMPLETE).read_text().split(), key=lambda f: f == FILES["products"])
    for file in names:
        try:
            os.replace(staging / file, directory / file)
        except FileNotFoundError:  # moved already, by the write itself or another reader's recover
            pass


def recover(directory: str | Path) -> None:
    """Finish what a write killed while moving files left in ``directory`` (its staging folder is complete) and
    drop unfinished staging folders older than :data:`STALE_S` (a write that died before its files were whole)."""
    for staging in sorted(Path(directory).glob(".staging-*")):
        try:
            if (staging / COMPLETE).exists():
                _move_in(staging, Path(directory))
            elif time.time() - staging.stat().st_mtime < STALE_S:
                continue  # a write still in progress
        except OSError:
            continue  # another process finished it first
        shutil.rmtree(staging, ignore_errors=True)
