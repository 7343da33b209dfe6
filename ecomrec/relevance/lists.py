"""Judgment lists: a shop's judged (query, product, gain) pairs, as data, stored per data set.

A :class:`JudgmentList` comes from an imported file, from people's grades on the Annotate page or from the data
set's clicks; whatever its source it is the same table, so every evaluator, tuner and trainer reads any list.
A :class:`JudgmentStore` keeps one data set's lists in a folder::

    <annotation dir>/judgments/<data set>/<name>.csv    query, product_id, gain, created (one row per pair)
    <annotation dir>/judgments/<data set>/<name>.json   name, source, gains (the table used), counts, created,
                                                        notes, rejects (file, row, column, value, problem)

Names are reduced to safe base names (:func:`safe_name`: no folders, no dots in front), each file is written to
a temporary file and moved into place (``os.replace``), the table before its meta, so a reader sees a complete
old list or a complete new one; a table whose rows disagree with its meta (a save cut between the two moves)
is refused on loading.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ecomrec import schema as S
from ecomrec.data.qrels import Judgments
from ecomrec.files import write_atomic

SOURCES = ("imported", "people", "clicks")
PAIR_COLUMNS = ["query", S.PRODUCT_ID, "gain", "created"]
REJECT_COLUMNS = ["file", "row", "column", "value", "problem"]
MAX_NAME = 80  # characters of a list's name: fits a file name on every file system with room for a suffix
_UNSAFE = re.compile(r"[^\w.\-]+")  # letters, digits, "_", "." and "-" stay; anything else becomes "-"


def safe_name(name: str) -> str:
    """``name`` as a list's file base name: its last path part, spaces and other unsafe characters turned into
    "-", dots, dashes and underscores stripped from the ends (``"../../etc/passwd"`` -> ``"passwd"``,
    ``"Crowd Flower 2015"`` -> ``"Crowd-Flower-2015"``), at most :data:`MAX_NAME` characters.

    Raises:
        ValueError: when nothing of the name is left.
    """
    base = re.split(r"[\\/]", str(name).strip())[-1]
    safe = _UNSAFE.sub("-", base).strip("._- ")[:MAX_NAME].strip("._- ")
    if not safe:
        raise ValueError(f"{name!r} is not a usable list name: use letters, digits, '-', '_' or '.'")
    return safe


def no_rejects() -> pd.DataFrame:
    """An empty rejects table (file, row, column, value, problem)."""
    return pd.DataFrame(columns=REJECT_COLUMNS)


def _plain(value: object) -> object:
    """numpy scalars as Python ones, for JSON."""
    return value.item() if hasattr(value, "item") else str(value)


def now() -> str:
    """The time as lists record it: UTC, ISO 8601, to the second."""
    return pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, eq=False)
class JudgmentList:
    """One list of judged pairs.

    Attributes:
        name: its safe name (:func:`safe_name`), also its file name.
        source: "imported", "people" or "clicks".
        pairs: query, product_id, gain (>= 0; 0 = judged irrelevant), created (UTC ISO time), one row per pair.
        gains: the grade -> gain table the pairs were made with (clicks: {}: gains come from the estimator).
        counts: pairs, queries, and what the source adds (rows read, rejected, unmatched; clicks read...).
        created: when the list was made (UTC ISO time).
        notes: where it came from, in words (the file, the estimator).
        rejects: the rows an import left out (file, row, column, value, problem).
    """

    name: str
    source: str
    pairs: pd.DataFrame = field(repr=False)
    gains: dict[str, float]
    counts: dict[str, int]
    created: str
    notes: str = ""
    rejects: pd.DataFrame = field(default_factory=no_rejects, repr=False)

    @property
    def queries(self) -> list[str]:
        """The list's distinct queries, in first-seen order."""
        return list(dict.fromkeys(self.pairs["query"]))

    def judgments(self, relevant_only: bool = True) -> Judgments:
        """``{query: {product_id: gain}}`` as the ranking evaluators read it; with ``relevant_only`` (default)
        queries without any product of positive gain are left out (NDCG is undefined for them)."""
        out: Judgments = {}
        for q, pid, gain in self.pairs[["query", S.PRODUCT_ID, "gain"]].itertuples(index=False):
            out.setdefault(str(q), {})[str(pid)] = float(gain)
        return {q: d for q, d in out.items() if not relevant_only or max(d.values()) > 0}

    def meta(self) -> dict:
        """What the ``.json`` beside the pairs holds."""
        return {"name": self.name, "source": self.source, "gains": self.gains, "counts": self.counts,
                "created": self.created, "notes": self.notes,
                "rejects": self.rejects.astype(object).where(self.rejects.notna(), None).to_dict("records")}


def judgment_list(name: str, source: str, pairs: pd.DataFrame, gains: dict[str, float] | None = None,
                  counts: dict[str, int] | None = None, notes: str = "",
                  rejects: pd.DataFrame | None = None) -> JudgmentList:
    """A list from judged ``pairs`` (query, product_id, gain; other columns are dropped), named safely, one row
    per pair (repeated pairs take their mean gain), stamped with the time now.

    Raises:
        ValueError: for an unknown source, no pairs, a missing column or a gain that is not a number >= 0.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; use one of {SOURCES}")
    missing = [c for c in ("query", S.PRODUCT_ID, "gain") if c not in pairs.columns]
    if missing:
        raise ValueError(f"judged pairs need column(s) {missing}")
    if pairs.empty:
        raise ValueError(f"list {name!r}: no judged pairs")
    gain = pd.to_numeric(pairs["gain"], errors="coerce")
    if gain.isna().any() or (gain < 0).any():
        raise ValueError(f"list {name!r}: every gain must be a number >= 0")
    p = (pairs.assign(query=pairs["query"].astype(str), product_id=pairs[S.PRODUCT_ID].astype(str), gain=gain)
         .groupby(["query", S.PRODUCT_ID], sort=False, as_index=False)["gain"].mean())
    stamp = now()
    p["created"] = stamp
    base = {"pairs": len(p), "queries": int(p["query"].nunique()),
            "relevant_queries": int((p.groupby("query")["gain"].max() > 0).sum())}
    return JudgmentList(safe_name(name), source, p[PAIR_COLUMNS], dict(gains or {}), {**(counts or {}), **base},
                        stamp, notes, no_rejects() if rejects is None else rejects[REJECT_COLUMNS])


class JudgmentStore:
    """One data set's judgment lists in ``folder`` (created on the first save).

    Args:
        folder: ``<annotation dir>/judgments/<data set>``.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def paths(self, name: str) -> tuple[Path, Path]:
        """(pairs ``.csv``, meta ``.json``) of the list called ``name`` (made safe)."""
        base = safe_name(name)
        return self.folder / f"{base}.csv", self.folder / f"{base}.json"

    def names(self) -> list[str]:
        """The stored lists' names, sorted."""
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json") if not p.name.startswith(".")
                      and p.with_suffix(".csv").exists())

    def table(self) -> pd.DataFrame:
        """One row per stored list: name, source, pairs, queries, created, notes (read from the metas only)."""
        rows = []
        for name in self.names():
            meta = json.loads(self.paths(name)[1].read_text(encoding="utf-8"))
            rows.append({"name": meta["name"], "source": meta["source"], "pairs": meta["counts"].get("pairs", 0),
                         "queries": meta["counts"].get("queries", 0), "created": meta["created"],
                         "notes": meta.get("notes", "")})
        return pd.DataFrame(rows, columns=["name", "source", "pairs", "queries", "created", "notes"])

    def exists(self, name: str) -> bool:
        return all(p.exists() for p in self.paths(name))

    def save(self, jl: JudgmentList) -> JudgmentList:
        """Store ``jl`` (replacing a list of the same name) atomically; returns it."""
        csv, meta = self.paths(jl.name)
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(csv, lambda p: jl.pairs[PAIR_COLUMNS].to_csv(p, index=False))
        text = json.dumps(jl.meta(), indent=1, ensure_ascii=False, default=_plain) + "\n"
        write_atomic(meta, lambda p: p.write_text(text, encoding="utf-8"))
        return jl

    def load(self, name: str) -> JudgmentList:
        """The stored list ``name``.

        Raises:
            KeyError: naming the list when there is none (and the lists there are).
            ValueError: when its table and meta disagree (a save was cut short: save it again).
        """
        csv, meta_path = self.paths(name)
        if not (csv.exists() and meta_path.exists()):
            raise KeyError(f"no judgment list {safe_name(name)!r} (lists: {', '.join(self.names()) or 'none'})")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        pairs = pd.read_csv(csv, dtype={"query": str, S.PRODUCT_ID: str, "created": str}, keep_default_na=False)
        pairs["gain"] = pairs["gain"].astype(float)
        if len(pairs) != meta["counts"].get("pairs"):
            raise ValueError(f"judgment list {meta['name']!r}: {len(pairs)} pairs stored but its meta says "
                             f"{meta['counts'].get('pairs')} (a save was interrupted); save or import it again")
        rejects = pd.DataFrame(meta.get("rejects", []), columns=REJECT_COLUMNS)
        return JudgmentList(meta["name"], meta["source"], pairs[PAIR_COLUMNS], meta["gains"], meta["counts"],
                            meta["created"], meta.get("notes", ""), rejects)

    def delete(self, name: str) -> bool:
        """Remove the list ``name`` (meta first, so it leaves the listing at once); False when there was none."""
        csv, meta = self.paths(name)
        found = csv.exists() or meta.exists()
        meta.unlink(missing_ok=True)
        csv.unlink(missing_ok=True)
        return found
