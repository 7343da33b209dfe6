"""Evidence cards of the Search, Shopper and Evaluate pages: what the page shows, as one HTML file to download
(:mod:`ecomrec.evidence` renders it). Each builder reads only what its page already computed, plus the data set's
measured numbers (the honest bench on the sample; the newest saved evaluation of the shop's own judgments)."""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from ecomrec import PRESET_LABELS
from ecomrec import schema as S
from ecomrec.evidence import EvidenceCard, Metric, file_name, render
from ecomrec.ui import figures, loaders
from ecomrec.ui.evaluate import charts
from ecomrec.ui.evaluate.common import metric_label, p_words

MODE = "unjudged_irrelevant"  # the standard view of unjudged products, as the Evaluate page opens
WATERFALLS = 3  # score waterfalls of the top results on a search card: enough to compare, short to read


def download(build: Callable[[], EvidenceCard], page: str, title: str, key: str) -> None:
    """A button that downloads the card ``build()`` makes as one self-contained HTML file (opens offline, from
    disk). The card is built and rendered only when the button is pressed (plotly.js inlined is ~5 MB)."""
    st.download_button("Evidence card", lambda: render(build()), file_name=file_name(page, title), mime="text/html",
                       key=key, icon=":material/download:", on_click="ignore",
                       help="What is on screen as one HTML file to hand out: the data set and its fingerprint, "
                            "model versions, seed, weights, metrics with intervals and the time. Opens in any "
                            "browser, offline.")


def search_card(eng, data_dir: str, res, res_b=None, personal_events: int = 0) -> EvidenceCard:
    """The Search page: the query, what it was read as, the weights, the results with every score part (and the
    second list of a side-by-side), their waterfalls, and how search measured on this shop."""
    intent = res.intent
    subject = {"Query": res.query,
               "Intent": f"{intent.label} ({intent.confidence:.0%})" if intent else "not read (no intent model)",
               "Category": f"{S.leaf(res.category)} ({res.category_confidence:.0%})" if res.category else "none",
               "Understood from the words": ", ".join(f"{k} {v}" for k, v in res.slots.items()) or "nothing",
               "Personalised": f"for a shopper of {personal_events} events" if personal_events else "no"}
    settings = {"Ranking": PRESET_LABELS[res.settings.preset],
                "Weights": ", ".join(f"{k} {v:.2f}" for k, v in res.weights.as_dict().items())}
    if res_b is not None:
        settings["Compared with"] = PRESET_LABELS[res_b.settings.preset]
    tables = [(f"Results: {PRESET_LABELS[res.settings.preset]}", _search_items(res))]
    if res_b is not None:
        tables.append((f"Results: {PRESET_LABELS[res_b.settings.preset]}", _search_items(res_b)))
    figs = [(f"Why #{it.rank} ranks there: {it.title}", figures.score_waterfall(it.components, it.score))
            for it in res.items[:WATERFALLS]]
    intent_v, reranker_v, profile_v = eng.models.search_models().versions
    metrics, source = _search_metrics(eng, data_dir)
    return EvidenceCard(title=f"Search: {res.query}", page="Search", dataset=eng.catalog.name,
                        fingerprint=eng.catalog.fingerprint, seed=eng.config.seed,
                        models={"intent": intent_v, "reranker": reranker_v, "ranking profile": profile_v,
                                "encoder": eng.config.encoder.model},
                        subject=subject, settings=settings, metrics=metrics, metrics_source=source, tables=tables,
                        figures=figs, notes=list(res.notices))


def shopper_card(eng, data_dir: str, history: pd.DataFrame, cart: list[str], now: pd.Timestamp,
                 recs: dict[str, object]) -> EvidenceCard:
    """The Shopper page: the timeline and cart, the profile's interests, each list of recommendations with its
    reasons, and how recommendations measured on this shop."""
    title_of = dict(zip(eng.catalog.products[S.PRODUCT_ID], eng.catalog.products[S.TITLE]))
    profile = eng.profile(history, now)
    timeline = pd.DataFrame({"time": history[S.TIMESTAMP].astype(str), "event": history[S.EVENT_TYPE],
                             "product": history[S.PRODUCT_ID].map(title_of), "id": history[S.PRODUCT_ID]})
    tables = [("Timeline", timeline)] if len(timeline) else []
    names = {"browse": "Browse", "cart": "Goes with the cart", "promo": "Promotions"}
    for kind, r in recs.items():
        rows = pd.DataFrame({"rank": [it.rank for it in r.items], "product": [it.title for it in r.items],
                             "id": [it.product_id for it in r.items], "score": [f"{it.score:.3f}" for it in r.items],
                             "why": ["; ".join(it.reasons[:2]) for it in r.items]})
        tables.append((names.get(kind, kind), rows))
    figs = [] if profile.is_empty else [("Interests: categories", figures.interest_bars(profile.categories, top=6)),
                                        ("Interests: brands", figures.interest_bars(profile.brands, top=6))]
    metrics = _honest(("next_item", "cart"), data_dir)
    return EvidenceCard(
        title=f"Shopper: {len(history)} events, {len(cart)} in the cart", page="Shopper", dataset=eng.catalog.name,
        fingerprint=eng.catalog.fingerprint, seed=eng.config.seed,
        models={"sequential": eng.models.active("sequential"), "encoder": eng.config.encoder.model},
        subject={"Events": str(len(history)), "Cart": ", ".join(title_of.get(p, p) for p in cart) or "empty",
                 "Clock": f"{now:%Y-%m-%d %H:%M}", "Profile": "cold start (no history)" if profile.is_empty
                 else f"from {profile.n_events} events, price level {profile.price_level:.2f}"},
        settings={"Cart rule": eng.recs.cart_choice().rule, "Browse mix": eng.recs.browse_mix()},
        metrics=metrics, metrics_source=_HONEST_SOURCE if metrics else "", tables=tables, figures=figs,
        notes=[n for r in recs.values() for n in (*([r.fallback] if r.fallback else []), *r.notices)])


def evaluation_card(eng, run, metric: str, mode: str = MODE) -> EvidenceCard:
    """The Evaluate page's Measure tab: every setting on the list's queries with intervals and paired tests, in
    the view of unjudged products on screen (``mode``), and the bar chart."""
    table = run.table(mode)
    unjudged = "counted as irrelevant" if mode == MODE else "left out (judged products only)"
    return EvidenceCard(
        title=f"Evaluation of '{run.list_name}' on {len(run.queries)} {run.part} queries", page="Evaluate",
        dataset=eng.catalog.name, fingerprint=eng.catalog.fingerprint, seed=eng.config.seed,
        models=dict(run.versions),
        subject={"Judgment list": run.list_name, "Queries": f"{len(run.queries)} of the {run.part} part",
                 "Run": f"{run.id} ({run.created})", "Products nobody judged": unjudged},
        settings={"Settings measured": ", ".join(run.systems.values())},
        metrics=[_run_metric(run, row, metric, mode) for row in table.to_dict("records")],
        metrics_source=f"{metric_label(metric)}, 95 % intervals by a seeded bootstrap over the queries; p of a "
                       "paired test against the strongest setting.",
        figures=[(f"{metric_label(metric)} with 95 % intervals",
                  charts.system_bars(table, metric, f"{metric_label(metric)} with 95 % intervals"))],
        notes=list(run.notes))


_HONEST_SOURCE = ("The latest honest bench (`python -m ecomrec bench --only honest`) on this data set's held-out "
                  "test split: model against its strongest baseline, 95 % bootstrap intervals, paired test.")


def _search_items(res) -> pd.DataFrame:
    rows = [{"rank": it.rank, "product": it.title, "id": it.product_id, "brand": it.brand,
             "price": S.price_text(it.price), "score": f"{it.score:.3f}",
             **{f"part: {k}": f"{v:.3f}" for k, v in it.components.items()}} for it in res.items]  # brand, price...
    return pd.DataFrame(rows)


def _search_metrics(eng, data_dir: str) -> tuple[list[Metric], str]:
    """The newest saved evaluation of this shop's own judgments, else the honest bench (sample only)."""
    newest = None
    for name in eng.relevance.lists()["name"]:
        runs = eng.relevance.saved_runs(name)
        if len(runs) and (newest is None or runs["created"].iloc[0] > newest[1]):
            newest = (runs["id"].iloc[0], runs["created"].iloc[0])
    if newest is not None:
        run = eng.relevance.load_run(newest[0])
        metric = run.metrics[0]
        rows = [_run_metric(run, row, metric) for row in run.table(MODE).to_dict("records")]
        return rows, (f"The newest evaluation of this shop's judgments: list '{run.list_name}', {len(run.queries)} "
                      f"{run.part} queries, run {run.id}; p against the strongest setting.")
    metrics = _honest(("search", "search_hard", "search_easy"), data_dir)
    return metrics, _HONEST_SOURCE if metrics else ""


def _run_metric(run, d: dict, metric: str, mode: str = MODE) -> Metric:
    """One row of an evaluation's table as a metric, tested against the strongest setting."""
    p = d.get(f"{metric} p")
    p = None if p is None or (isinstance(p, float) and math.isnan(p)) else float(p)
    return Metric(name=f"{d['label']}: {metric_label(metric)}", value=float(d[metric]), low=float(d[f"{metric} lo"]),
                  high=float(d[f"{metric} hi"]), baseline=None if p is None else run.systems[run.strongest[mode]],
                  p=p, note=p_words(p))


def _honest(tasks: tuple[str, ...], data_dir: str) -> list[Metric]:
    """The honest bench's records of ``tasks`` when ``data_dir`` is the sample shop (the numbers are its)."""
    from ecomrec.config import SAMPLE_DATA_DIR
    from ecomrec.honest import LABELS, baseline_label, verdict

    records = loaders.honest_results()
    if records is None or Path(data_dir).resolve() != SAMPLE_DATA_DIR.resolve():
        return []
    out = []
    for task in tasks:
        r = records.get(task)
        if not r or "skipped" in r:
            continue
        lo, hi = r.get("model_ci") or (None, None)
        out.append(Metric(name=f"{LABELS[task]} ({r['metric']})", value=r["model"], low=lo, high=hi,
                          baseline=baseline_label(r["baseline_name"]), baseline_value=r["baseline"], p=r.get("p"),
                          note=verdict(task, r)))
    return out
