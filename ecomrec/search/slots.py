"""Slots parsed from a query's text: price bounds, brand, colour, size.

Rules, not a model: the phrasings of a price bound are few and exact, and a brand is a catalog
fact. The search issue turns slots into filters (price) and boosts (brand, colour).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

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
