"""Slots parsed from a query's text: price bounds, brand, colour, size; and which products keep them.

Rules, not a model: the phrasings of a price bound are few and exact, and a brand is a catalog
fact. The searcher filters by price bounds and lists the products that keep every brand, colour and
size slot first (:func:`keeps_slots`).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

COLOURS = ("black", "white", "silver", "grey", "gray", "navy", "blue", "red", "green", "pink", "purple",
           "beige", "brown", "tan", "orange", "yellow", "gold", "clear", "floral")
_NUM = r"\$?\s?(\d+(?:[.,]\d+)?)\s?(?:\$|usd|dollars?|bucks|eur|euros?|£|gbp)?"
_MAX = re.compile(r"\b(?:under|below|less than|cheaper than|max(?:imum)?|up to|at most|no more than|<)\s*" + _NUM)
_MAX_AFTER = re.compile(_NUM + r"\s*(?:or less|max|and under|or cheaper)\b")
_MIN = re.compile(r"\b(?:over|above|more than|at least|min(?:imum)?|from|>)\s*" + _NUM)
_RANGE = re.compile(r"\b(?:between\s*)?" + _NUM + r"\s*(?:-|to|and)\s*" + _NUM)
_SIZE = re.compile(r"\b(?:size\s+(\w+(?:\.\d)?)|(uk\s?\d{1,2}(?:\.5)?)|(xxs|xs|xxl|xl)|(\d{2}(?:\.\d)?[- ]?inch)|"
                   r"(\d+[- ]?person)|(\d+\s?(?:gb|tb|ml|l|kg|g|w)))\b")


@dataclass(frozen=True)
class Slots:
    """What the text pins down. None = not mentioned."""

    price_min: float | None = None
    price_max: float | None = None
    brand: str | None = None
    colour: str | None = None
    size: str | None = None

    def as_dict(self) -> dict[str, float | str]:
        """Only the slots that are set."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _number(s: str) -> float:
    return float(s.replace(",", "."))


def parse_slots(text: str, brands: Iterable[str] = ()) -> Slots:
    """Parse price bounds, brand, colour and size from ``text``.

    Args:
        text: the query as typed.
        brands: the catalog's brand names; the longest one found as whole words wins.

    Example:
        >>> parse_slots("red Velora tent under $120", ["Velora"])
        Slots(price_min=None, price_max=120.0, brand='Velora', colour='red', size=None)
    """
    t = " " + text.lower() + " "
    price_min = price_max = None
    if m := _RANGE.search(t):
        lo, hi = sorted((_number(m.group(1)), _number(m.group(2))))
        if re.search(r"\$|dollar|bucks|price|between|usd|£|eur", t) and lo < hi:
            price_min, price_max = lo, hi
    if price_max is None and (m := _MAX.search(t) or _MAX_AFTER.search(t)):
        price_max = _number(m.group(1))
    if price_min is None and (m := _MIN.search(t)):
        price_min = _number(m.group(1))
    brand = None
    for b in sorted({b for b in brands if b}, key=len, reverse=True):
        if re.search(r"(?<!\w)" + re.escape(b.lower()) + r"(?!\w)", t):
            brand = b
            break
    colour = next((c for c in COLOURS if re.search(rf"\b{c}\b", t)), None)
    size = None
    if m := _SIZE.search(t):
        size = next(g for g in m.groups() if g)
    return Slots(price_min, price_max, brand, "grey" if colour == "gray" else colour, size)


def _attributes(attributes: object) -> dict:
    """A product's attributes JSON as a dict ({} when empty or not an object)."""
    try:
        parsed = json.loads(attributes) if isinstance(attributes, str) and attributes else {}
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


_SQUEEZE = re.compile(r"(?:(?<=\buk)|(?<=\bus)|(?<=\beu)|(?<=\bsize))[ -](?=\d)"
                      r"|(?<=\d)[ -](?=(?:inch|person|gb|tb|ml|l|kg|g|w|cm|mm)\b)")


def slot_texts(titles: Sequence[str], attributes: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    """(N,) what a colour slot is looked for in (title and colour attribute) and (N,) what a size slot is
    looked for in (title and attribute values, the space or hyphen inside "UK 10", "15-inch" or "4-person"
    squeezed out: "uk10", "15inch", so sizes are whole words), lower case; each product's JSON read once."""
    colours, sizes = [], []
    for t, a in zip(titles, attributes):
        d = _attributes(a)
        colours.append(f"{t} {d.get('colour', '')} {d.get('color', '')} {d.get('Color', '')}".lower())
        values = " ".join(map(str, d.values()))
        sizes.append(_SQUEEZE.sub("", f"{t} {values} size {d.get('size', '')}".lower()))
    return np.array(colours, dtype=object), np.array(sizes, dtype=object)


def keeps_slots(slots: dict, brands: np.ndarray, colour_text: np.ndarray, size_text: np.ndarray) -> np.ndarray | None:
    """(N,) whether each product keeps every brand, colour and size slot in ``slots``; None when there is none.

    Args:
        brands: (N,) brand names, lower case. colour_text, size_text: from :func:`slot_texts`.

    A brand is the product's brand; a colour is a whole word of its title or colour attribute; a size is a
    whole word of its title or attributes, so "size 10" finds "UK 10" (and not "10 cups") and "15 inch" finds
    "15-inch".
    """
    brand, colour, size = slots.get("brand"), slots.get("colour"), slots.get("size")
    if not (brand or colour or size):
        return None
    keep = np.ones(len(brands), dtype=bool)
    if brand:
        keep &= brands == str(brand).lower()
    if colour:
        word = re.compile(rf"\b{re.escape(str(colour).lower())}\b")
        keep &= np.array([bool(word.search(t)) for t in colour_text], dtype=bool)
    if size:
        want = re.sub(r"[\s-]", "", str(size).lower())
        # a bare number ("size 10") is a size only where one is written: "UK 10", "size 10", a size attribute of 10
        prefix = r"(?:uk|us|eu|size)" if re.fullmatch(r"\d+(?:\.\d)?", want) else ""
        pattern = re.compile(rf"(?<![\w.]){prefix}{re.escape(want)}(?![\w.])")
        keep &= np.array([bool(pattern.search(t)) for t in size_text], dtype=bool)
    return keep
