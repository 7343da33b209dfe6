"""Evidence cards: what a page shows, as one self-contained HTML file to hand out after a demo.

A card holds the subject (a query, a shopper, an evaluation), the data set and its fingerprint, the model versions,
the seed, the settings and weights, the metrics with their intervals and baselines, tables and plotly figures, and
the time. :func:`render` writes it as one HTML page that opens offline from disk: plotly.js is inlined once, every
figure is drawn by it, and every piece of text is escaped (a query is shown, never run). Builders for each page live
in :mod:`ecomrec.ui.evidence`; this module knows nothing of Streamlit.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import plotly.graph_objects as go

STYLE = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1f2430}h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em;
border-bottom:1px solid #ddd;padding-bottom:.2em}table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f5f6f8}
.meta td:first-child{font-weight:600;white-space:nowrap}.note{color:#555;font-size:.9em}
.figure{margin:1em 0}"""


@dataclass(frozen=True)
class Metric:
    """One measured number with its 95 % interval and, where there is one, the strongest baseline beside it."""

    name: str
    value: float
    low: float | None = None
    high: float | None = None
    baseline: str | None = None
    baseline_value: float | None = None
    p: float | None = None  # paired test of the value against the baseline
    note: str = ""  # the verdict in words


@dataclass
class EvidenceCard:
    """Everything one exported page says. ``subject`` and ``settings`` are label -> text rows."""

    title: str
    page: str  # "Search", "Shopper" or "Evaluate"
    dataset: str
    fingerprint: str
    seed: int
    models: dict[str, str | None]  # role -> version (None: not trained)
    subject: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)
    metrics_source: str = ""  # where the metrics were measured
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[tuple[str, go.Figure]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))


def file_name(page: str, title: str, created: datetime | None = None) -> str:
    """A safe file name for a card: ``ecomrec-search-waterproof-tent-20261204-1703.html`` (no path, no odd
    characters, whatever the query held)."""
    words = re.sub(r"[^a-z0-9]+", "-", f"{page} {title}".lower()).strip("-")[:60].strip("-")
    return f"ecomrec-{words or 'card'}-{(created or datetime.now(UTC)):%Y%m%d-%H%M}.html"


def render(card: EvidenceCard) -> str:
    """The card as one HTML page: plotly.js inlined once (so it opens offline, from disk), all text escaped."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(card.title)}</title>",
             f"<style>{STYLE}</style></head><body>",
             f"<h1>{e(card.title)}</h1><p class='note'>ecomrec evidence card · {e(card.page)} page · "
             f"{e(card.created)}</p>"]
    about = {**card.subject, "Data set": card.dataset, "Data fingerprint": card.fingerprint,
             "Seed": str(card.seed), **{f"Model: {role}": version or "not trained"
                                         for role, version in card.models.items()}}
    parts.append(_rows("What this is", about))
    if card.settings:
        parts.append(_rows("Settings", card.settings))
    if card.metrics:
        parts.append("<h2>How well it does</h2>")
        if card.metrics_source:
            parts.append(f"<p class='note'>{e(card.metrics_source)}</p>")
        parts.append(_table(metrics_frame(card.metrics)))
    for caption, frame in card.tables:
        parts.append(f"<h2>{e(caption)}</h2>{_table(frame)}")
    for i, (caption, fig) in enumerate(card.figures):
        parts.append(f"<h2>{e(caption)}</h2><div class='figure'>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=i == 0, config={"displaylogo": False}))
        parts.append("</div>")
    if card.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{e(n)}</li>" for n in card.notes) + "</ul>")
    parts.append("</body></html>")
    return "".join(parts)


def metrics_frame(metrics: list[Metric]) -> pd.DataFrame:
    """The metrics as a table: value, interval, baseline, its value, p and the verdict."""
    def num(v):
        return "" if v is None else f"{v:.3f}"

    return pd.DataFrame({
        "measure": [m.name for m in metrics], "value": [num(m.value) for m in metrics],
        "95 % interval": [f"{num(m.low)}–{num(m.high)}" if m.low is not None else "" for m in metrics],
        "strongest baseline": [m.baseline or "" for m in metrics],
        "baseline value": [num(m.baseline_value) for m in metrics],
        "p": [num(m.p) for m in metrics], "in words": [m.note for m in metrics]})


def _rows(caption: str, rows: dict[str, str]) -> str:
    e = html.escape
    body = "".join(f"<tr><td>{e(str(k))}</td><td>{e(str(v))}</td></tr>" for k, v in rows.items())
    return f"<h2>{e(caption)}</h2><table class='meta'>{body}</table>"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, na_rep="")
