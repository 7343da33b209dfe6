"""Demo scenarios: ready stories a presenter opens with one URL, read from a data set's ``scenarios.json``.

A scenario names the page it opens on and the state it opens in: a query with its ranking settings (the Search
page), or a shopper's events (the Shopper page). It is data only: nothing in the file is ever evaluated; each
field is checked against a fixed set of names, and a bad entry is reported by file, entry and field.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ecomrec import schema as S
from ecomrec.ranking import COMPONENTS, WEIGHT_RANGE
from ecomrec.search.searcher import PRESETS

FILE = "scenarios.json"  # in the data set's folder, beside products.csv
PAGES = ("search", "catalog", "shopper", "train", "annotate", "evaluate")  # URL paths a scenario may open
ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")  # what goes in ?scenario=: a short slug, safe in a URL
SEARCH_KEYS = {"q", "preset", "mode", "preset_b", "weights"}


class ScenarioError(ValueError):
    """A scenarios file that cannot be read; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class Scenario:
    """One ready story.

    Attributes:
        id: the slug in its URL (``/search?scenario=deal-hunter``).
        title: its name on Home.
        page: the URL path of the page it opens (one of :data:`PAGES`).
        narrative: one line: who the shopper is and what happens.
        point_at: what the presenter should point at on the page.
        search: the Search page's state: ``q``, and optionally ``preset``, ``mode`` ("compare" for side by side),
            ``preset_b`` and ``weights`` (component -> weight).
        shopper: the shopper's events, oldest first, as (event type, product id).
    """

    id: str
    title: str
    page: str
    narrative: str
    point_at: str
    search: dict = field(default_factory=dict)
    shopper: tuple[tuple[str, str], ...] = ()

    @property
    def url(self) -> str:
        """The path and query that open it (relative to the app's address)."""
        return f"/{self.page}?scenario={self.id}"

    def missing_products(self, product_ids) -> list[str]:
        """The shopper's products that ``product_ids`` (a catalog's) lacks."""
        known = set(map(str, product_ids))
        return [p for _, p in self.shopper if p not in known]

    def shopper_events(self, clock: pd.Timestamp) -> pd.DataFrame:
        """The shopper's events as a schema "events" frame, a minute apart, the last a minute before ``clock``."""
        n = len(self.shopper)
        return pd.DataFrame({
            S.USER_ID: "you", S.SESSION_ID: f"scenario-{self.id}",
            S.TIMESTAMP: [pd.Timestamp(clock) - pd.Timedelta(minutes=n - i) for i in range(n)],
            S.PRODUCT_ID: [p for _, p in self.shopper], S.EVENT_TYPE: [e for e, _ in self.shopper],
            S.QUERY: None, S.POSITION: pd.array([pd.NA] * n, dtype="Int64")})


def load(folder: str | Path) -> list[Scenario]:
    """The scenarios of the data set in ``folder``; none when it has no :data:`FILE`.

    Raises:
        ScenarioError: naming the file, the entry (by number and id) and the field that is wrong.
    """
    path = Path(folder) / FILE
    if not path.exists():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{path}: not readable JSON ({exc}); fix the file or remove it") from None
    if not isinstance(raw, list):
        raise ScenarioError(f"{path}: expected a list of scenarios, found {type(raw).__name__}")
    out, seen = [], set()
    for i, entry in enumerate(raw, start=1):
        scenario = _parse(entry, f"{path}, scenario {i}")
        if scenario.id in seen:
            raise ScenarioError(f"{path}, scenario {i}: id {scenario.id!r} is used twice; ids must differ")
        seen.add(scenario.id)
        out.append(scenario)
    return out


def find(scenarios: list[Scenario], scenario_id: str) -> Scenario | None:
    """The scenario whose id is ``scenario_id``, or None."""
    return next((s for s in scenarios if s.id == scenario_id), None)


def _parse(entry, where: str) -> Scenario:
    if not isinstance(entry, dict):
        raise ScenarioError(f"{where}: expected an object with id, title, page, narrative and point_at")
    for key in ("id", "title", "page", "narrative", "point_at"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ScenarioError(f"{where}: field {key!r} must be non-empty text")
    where = f"{where} ({entry['id']})"
    if not ID.match(entry["id"]):
        raise ScenarioError(f"{where}: field 'id' must be lower-case letters, digits and dashes (at most 40)")
    if entry["page"] not in PAGES:
        raise ScenarioError(f"{where}: field 'page' is {entry['page']!r}; it must be one of {', '.join(PAGES)}")
    unknown = set(entry) - {"id", "title", "page", "narrative", "point_at", "search", "shopper"}
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {sorted(unknown)}")
    return Scenario(id=entry["id"], title=entry["title"].strip(), page=entry["page"],
                    narrative=entry["narrative"].strip(), point_at=entry["point_at"].strip(),
                    search=_search(entry.get("search", {}), where), shopper=_shopper(entry.get("shopper", []), where))


def _search(search, where: str) -> dict:
    if not isinstance(search, dict):
        raise ScenarioError(f"{where}: field 'search' must be an object (q, preset, mode, preset_b, weights)")
    unknown = set(search) - SEARCH_KEYS
    if unknown:
        raise ScenarioError(f"{where}: unknown search field(s) {sorted(unknown)}; known: {sorted(SEARCH_KEYS)}")
    if search and (not isinstance(search.get("q"), str) or not search["q"].strip()):
        raise ScenarioError(f"{where}: search field 'q' must be the query's text")
    for key in ("preset", "preset_b"):
        if key in search and search[key] not in PRESETS:
            raise ScenarioError(f"{where}: search field {key!r} is {search[key]!r}; one of {', '.join(PRESETS)}")
    if search.get("mode", "one") not in ("one", "compare"):
        raise ScenarioError(f"{where}: search field 'mode' must be 'one' or 'compare'")
    weights = search.get("weights", {})
    if not isinstance(weights, dict):
        raise ScenarioError(f"{where}: search field 'weights' must map components to numbers")
    lo, hi = WEIGHT_RANGE
    for name, value in weights.items():
        if name not in COMPONENTS:
            raise ScenarioError(f"{where}: weight {name!r} is not a ranking component; known: {', '.join(COMPONENTS)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            raise ScenarioError(f"{where}: weight {name!r} must be a number from {lo:g} to {hi:g}")
    return {**search, "weights": {k: float(v) for k, v in weights.items()}} if search else {}


def _shopper(events, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(events, list):
        raise ScenarioError(f"{where}: field 'shopper' must be a list of {{\"event\": ..., \"product\": ...}}")
    out = []
    for j, ev in enumerate(events, start=1):
        if not isinstance(ev, dict) or ev.get("event") not in S.EVENT_TYPES or not isinstance(ev.get("product"), str):
            raise ScenarioError(f"{where}: shopper event {j} needs 'event' (one of {', '.join(S.EVENT_TYPES)}) "
                                "and 'product' (a product id)")
        out.append((ev["event"], ev["product"]))
    return tuple(out)
