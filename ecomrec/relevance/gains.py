"""Grade scales and gain tables: what a judgment file's grades are worth to a ranking metric.

Judgment files grade on any scale: numbers (0-3, 1-4, a mean over raters such as 2.667), ESCI letters
(E / S / C / I), Exact / Partial / Irrelevant (WANDS), relevant / not relevant, yes / no. A **gain table** maps
each grade to the gain NDCG reads. :func:`propose_gains` proposes one from the grades a file holds; the user
sees it and may change it, and an import always takes an explicit table (nothing is applied silently).

Grades are compared by :func:`grade_key` (case, spacing and number spelling do not matter: "Exact" = "exact",
"2" = "2.0"), so a table typed by hand matches the file's spelling whatever it is.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from ecomrec.data.qrels import GAINS as ESCI_GAINS

# ESCI as in the Shopping Queries data set's NDCG (ecomrec.data.qrels.GAINS), an Irrelevant product worth nothing
ESCI = {"e": ESCI_GAINS["E"], "s": ESCI_GAINS["S"], "c": ESCI_GAINS["C"], "i": 0.0}
ESCI_WORDS = {"exact": ESCI["e"], "substitute": ESCI["s"], "complement": ESCI["c"], "irrelevant": 0.0}
# WANDS (Wayfair) grades: a partial match half an exact one, as WANDS' own NDCG weighs it
EXACT_PARTIAL = {"exact": 1.0, "partial": 0.5, "irrelevant": 0.0}
RELEVANT = {"relevant": 1.0, "not relevant": 0.0, "non-relevant": 0.0, "nonrelevant": 0.0, "irrelevant": 0.0,
            "not_relevant": 0.0}
YES_NO = {"yes": 1.0, "no": 0.0, "y": 1.0, "n": 0.0, "true": 1.0, "false": 0.0}
# label scales in the order they are tried: the first that covers the most of a file's grades is proposed
LABEL_SCALES: dict[str, dict[str, float]] = {
    "esci": ESCI, "esci words": ESCI_WORDS, "exact/partial/irrelevant": EXACT_PARTIAL, "relevant/not": RELEVANT,
    "yes/no": YES_NO}

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def as_number(value: object) -> float | None:
    """A grade as a number (``3``, ``"2.5"``, ``" 4 "``), or None when it is not one (or not finite)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    text = str(value).strip()
    if not _NUMBER.fullmatch(text):
        return None
    x = float(text)
    return x if math.isfinite(x) else None


def grade_key(value: object) -> str:
    """How grades are compared: a number in one spelling (``2``, ``2.0``, ``"2"`` -> ``"2"``; ``2.6667`` ->
    ``"2.6667"``, 6 significant digits), any other text casefolded with its spacing collapsed."""
    x = as_number(value)
    if x is not None:
        return f"{x:.6g}"
    return " ".join(str(value).casefold().split())


def detect_scale(grades: Iterable[object]) -> str:
    """The scale a file's grades are on: "numeric" when most distinct grades are numbers, else the label scale
    of :data:`LABEL_SCALES` that covers the most of them (stray grades outside it are rejected on import).

    Raises:
        ValueError: naming the grades when no scale knows any of them.
    """
    keys = {grade_key(g) for g in grades}
    keys.discard("")
    if not keys:
        raise ValueError("no grades to propose gains for")
    numeric = sum(as_number(k) is not None for k in keys)
    covered = {name: len(keys & set(scale)) for name, scale in LABEL_SCALES.items()}
    best = max(covered, key=lambda name: covered[name])  # first of the ties: dicts keep their order
    if numeric and numeric >= covered[best]:
        return "numeric"
    if covered[best] == 0:
        shown = ", ".join(sorted(keys)[:10])
        raise ValueError(f"no known grade scale covers these grades ({shown}); give a gain table, e.g. "
                         f"--gains \"{sorted(keys)[0]}=1,...\"")
    return best


def propose_gains(grades: Iterable[object]) -> dict[str, float]:
    """A proposed grade -> gain table for ``grades`` (a file's grade column), keyed by the grades as first
    spelled in the file (numbers in one spelling: "2.0" -> "2"), lowest numbers or best labels first. Nothing
    applies it: the user sees it, may change it, and passes a table to the import.

    - numbers: linear from the lowest grade seen (0) to the highest (1); 1-4 -> 0, 0.333, 0.667, 1; a file with
      one grade only gets 1 for it;
    - ESCI letters or words: E 1, S 0.1, C 0.01, I 0 (:data:`ecomrec.data.qrels.GAINS`);
    - Exact 1, Partial 0.5, Irrelevant 0; relevant 1 / not relevant 0; yes 1 / no 0.

    Grades off the detected scale (a stray "X" among ESCI letters) are left out, so the import rejects them.

    Example:
        >>> propose_gains(["1", "4", "2", "3", "4"])
        {'1': 0.0, '2': 0.3333333333333333, '3': 0.6666666666666666, '4': 1.0}
        >>> propose_gains(["E", "I", "S"])
        {'E': 1.0, 'S': 0.1, 'I': 0.0}

    Raises:
        ValueError: when no known scale covers the grades (give a table by hand).
    """
    spelled: dict[str, str] = {}
    for g in grades:
        key = grade_key(g)
        if key:
            spelled.setdefault(key, key if as_number(key) is not None else str(g).strip())
    scale = detect_scale(spelled)
    if scale == "numeric":
        values = sorted({as_number(k) for k in spelled} - {None})
        lo, hi = values[0], values[-1]
        return {f"{v:.6g}": (v - lo) / (hi - lo) if hi > lo else 1.0 for v in values}
    table = LABEL_SCALES[scale]
    order = list(table)
    known = sorted((k for k in spelled if k in table), key=order.index)
    return {spelled[k]: table[k] for k in known}


def parse_gains(text: str) -> dict[str, float]:
    """A gain table typed on the command line: ``"1=0,2=0.33,3=0.67,4=1"`` or ``"E=1, S=0.1, C=0.01, I=0"``.

    Raises:
        ValueError: for an item without ``=``, a gain that is not a number, or the same grade twice.
    """
    table: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in item:
            raise ValueError(f"gain table item {item!r} must look like grade=gain (e.g. 4=1)")
        grade, gain = (s.strip() for s in item.rsplit("=", 1))
        value = as_number(gain)
        if value is None:
            raise ValueError(f"gain table item {item!r}: {gain!r} is not a number")
        if grade_key(grade) in {grade_key(g) for g in table}:
            raise ValueError(f"gain table names grade {grade!r} twice")
        table[grade] = value
    return check_gains(table)


def check_gains(gains: Mapping[str, float]) -> dict[str, float]:
    """``gains`` as a plain table after checking it: at least one grade, every gain a finite number >= 0, no
    grade twice (after :func:`grade_key`).

    Raises:
        ValueError: naming the grade at fault, or saying that the table is empty.
    """
    if not gains:
        raise ValueError("the gain table is empty: pass one (propose_gains proposes a table from the file's grades)")
    out: dict[str, float] = {}
    seen: set[str] = set()
    for grade, gain in gains.items():
        value = as_number(gain)
        if value is None or value < 0:
            raise ValueError(f"the gain of grade {grade!r} must be a number >= 0, not {gain!r}")
        if grade_key(grade) in seen:
            raise ValueError(f"the gain table names grade {grade!r} twice")
        seen.add(grade_key(grade))
        out[str(grade)] = value
    return out


def lookup(gains: Mapping[str, float]) -> dict[str, float]:
    """``gains`` keyed by :func:`grade_key`, for looking grades up whatever their spelling."""
    return {grade_key(g): float(v) for g, v in check_gains(gains).items()}
