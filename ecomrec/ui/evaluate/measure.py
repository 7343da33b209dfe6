"""Measure: every search setting on the list's test queries, NDCG@10 / MRR / Recall@30 two ways, with intervals
and paired tests against the strongest; chart first, table below; saved runs reopen from a select box."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from ecomrec.ui import evidence
from ecomrec.ui.evaluate import charts
from ecomrec.ui.evaluate.common import REFUSED, RUN, glossary, metric_label, num, p_words, run_long, started

if TYPE_CHECKING:
    from ecomrec.services.relevance import EvalRun

PART_WORDS = {"test": "Test queries (honest)", "val": "Validation queries", "all": "Every query"}
PART_HELP = ("**Test** queries never chose anything (no tuning, no training, no reranker decision read them), "
             "so their numbers are the honest ones. **Validation** queries chose the tuned settings and whether a "
             "reranker joins: their numbers flatter whatever was chosen on them. **Every query** mixes both with "
             "the training queries the reranker learnt from.")
MODE_WORDS = {"unjudged_irrelevant": "Count them as irrelevant (standard)",
              "judged_only": "Leave them out (judged only)"}
MAX_QUERIES = 50  # default sample: every setting over 50 queries takes well under a minute on 2 cores


def loaded_run(eng, name: str) -> EvalRun | None:
    """The evaluation to show for list ``name``: the one in the session if it is of this list, else the newest
    saved one (None when the list has none)."""
    runs = eng.relevance.saved_runs(name)
    if runs.empty:
        return None
    run_id = st.session_state.get(RUN)
    if run_id not in set(runs["id"]):
        run_id = runs["id"].iloc[0]
    try:
        return eng.relevance.load_run(run_id)
    except (KeyError, ValueError):
        return None


def draw(eng, name: str) -> None:
    st.markdown("Every search setting ranks the list's queries; each number says how well the products people "
                "judged relevant come out near the top, from 0 (never) to 1 (always first, best first).")
    _run_form(eng, name)
    run = _choose_saved(eng, name)
    if run is not None:
        lists = eng.relevance.lists().set_index("name")
        show(eng, run, lists.loc[name, "source"] if name in lists.index else None)


def _run_form(eng, name: str) -> None:
    sizes = eng.relevance.split_sizes(name).set_index("part")["measurable"]
    counts = {"test": int(sizes["test"]), "val": int(sizes["val"]), "all": int(sizes.sum())}
    c1, c2, c3 = st.columns([3, 1, 2], vertical_alignment="bottom")
    part = c1.radio("Measure on", list(PART_WORDS), horizontal=True, key="evaluate_part", help=PART_HELP,
                    format_func=lambda p: f"{PART_WORDS[p]}: {counts[p]:,}")
    n = counts[part]
    limit = int(c2.number_input("At most", 1, max(1, n), min(MAX_QUERIES, max(1, n)), key=f"evaluate_max_{part}",
                                help="A seeded sample when the part has more queries. More queries give narrower "
                                     "intervals and take longer (roughly a second per query for every setting)."))
    systems = eng.relevance.systems()
    go = c3.button(f"Measure {len(systems)} settings on {min(limit, n):,} queries", type="primary", disabled=n == 0,
                   key="evaluate_measure")
    if part != "test":
        st.caption(f":material/warning: {PART_WORDS[part]} are not the honest choice after tuning: they helped choose.")
    if not go:
        return
    slot = started("the evaluation")
    bar = st.progress(0.0, text="Starting…")
    run = run_long(slot, bar, lambda: eng.relevance.evaluate(
        name, part, eng.relevance.EvalConfig(max_queries=limit),
        progress=lambda done, total, what: bar.progress(done / total, text=f"{done:,} / {total:,} · {what[:90]}")))
    if run is REFUSED:
        return
    st.session_state[RUN] = run.id
    st.toast(f"Measured {len(run.systems)} settings on {len(run.queries)} queries in {run.elapsed_s:.0f} s; saved.")


def _choose_saved(eng, name: str) -> EvalRun | None:
    runs = eng.relevance.saved_runs(name)
    if runs.empty:
        st.info("No evaluation of this list yet: press **Measure** above.")
        return None
    labels = {r.id: f"{r.created.replace('T', ' ').rstrip('Z')} UTC · {PART_WORDS[r.part].split(' (')[0].lower()} · "
                    f"{r.queries} queries · best: {r.strongest}" for r in runs.itertuples()}
    ids = list(labels)
    current = st.session_state.get(RUN)
    chosen = st.selectbox("Saved evaluations", ids, index=ids.index(current) if current in ids else 0,
                          format_func=labels.get, help="Every evaluation is saved; reopen any of them here.")
    st.session_state[RUN] = chosen
    return eng.relevance.load_run(chosen)


def headline(run: EvalRun, mode: str) -> str:
    """The run's result in one sentence: the strongest, and the strongest baseline beside it."""
    table = run.table(mode).set_index("system")
    primary = run.metrics[0]
    best = run.strongest[mode]
    b = table.loc[best]
    said = (f"On {len(run.queries)} {run.part if run.part != 'val' else 'validation'} queries, **{b['label']}** "
            f"puts judged-relevant products nearest the top: {metric_label(primary)} **{num(b[primary])}** "
            f"(95 % interval {num(b[primary + ' lo'])}–{num(b[primary + ' hi'])}).")
    baselines = [s for s in ("tuned_bm25", "bm25") if s in table.index]
    pipelines = [s for s in ("active_profile", "full") if s in table.index]
    if best in baselines and pipelines:  # word matching wins: how far behind is the whole pipeline?
        other, role = pipelines[0], "the whole pipeline"
    elif [s for s in baselines if s != best]:
        other, role = [s for s in baselines if s != best][0], "the word-matching baseline"
    else:
        return said
    o = table.loc[other]
    return said + f" {o['label']}, {role}, scores {num(o[primary])}: {p_words(o[primary + ' p'])}."


def show(eng, run: EvalRun, source: str | None = None) -> None:
    """The chart, the sentence and the table of one evaluation, in either mode; ``source`` is the list's
    ("clicks" adds what click-based judgments cannot see)."""
    c1, c2 = st.columns([3, 2])
    mode = c1.radio("Products nobody judged", list(MODE_WORDS), format_func=MODE_WORDS.get, horizontal=True,
                    key="evaluate_mode",
                    help="Most products were never judged for a query. Counting them as irrelevant is the standard; "
                         "it punishes a setting that finds good products nobody judged yet. Leaving them out "
                         "scores only the judged ones. If the two views disagree, judge more products.")
    metric = c2.segmented_control("Number", run.metrics, default=run.metrics[0], format_func=metric_label,
                                  key="evaluate_metric", help="NDCG@10: the first 10 results, more weight at the "
                                  "top. MRR: how high the first relevant product is. Recall@30: found at all.")
    metric = metric or run.metrics[0]
    top = st.columns([4, 1], vertical_alignment="center")
    top[0].markdown(headline(run, mode))
    with top[1]:
        evidence.download(lambda: evidence.evaluation_card(eng, run, metric, mode), "Evaluate", run.list_name,
                          key="evidence_evaluate")
    if source == "clicks":
        st.caption(":material/info: This list comes from clicks, and shoppers click what the search showed them: "
                   "it favours settings that rank like the search that logged the clicks. People's grades (Annotate "
                   "page) or an imported list judge more fairly.")
    table = run.table(mode)
    st.plotly_chart(charts.system_bars(table, metric, f"{metric_label(metric)} with 95 % intervals"),
                    width="stretch", key="evaluate_bars")
    other = "judged_only" if mode == "unjudged_irrelevant" else "unjudged_irrelevant"
    if run.strongest[other] != run.strongest[mode]:
        st.caption(f":material/info: Leaving unjudged products {'out' if mode == 'unjudged_irrelevant' else 'in'}, "
                   f"the strongest would be **{run.systems[run.strongest[other]]}**: judging more of what "
                   "the settings show would settle it.")
    st.dataframe(_table(run, table), hide_index=True, column_config=_column_config(run))
    for note in run.notes:
        st.caption(note)
    versions = ", ".join(f"{k} {v or 'none'}" for k, v in run.versions.items())
    batched = next((v for k, v in run.seconds.items() if k not in run.systems), None)
    st.caption(f"Run {run.id} · {run.elapsed_s:.0f} s in all"
               + (f" ({batched:.0f} s of it reading the queries and scoring reranker pairs in batches, for every "
                  "setting at once)" if batched is not None else "") + f" · models: {versions}.")
    glossary()


def _table(run: EvalRun, table: pd.DataFrame) -> pd.DataFrame:
    """The table under the chart: each metric with its interval, the primary's test against the strongest
    right after it (what matters first stays in view), and the time each setting took."""
    out = pd.DataFrame({"setting": table["label"]})
    primary = run.metrics[0]
    for m in run.metrics:
        out[metric_label(m)] = table[m]
        out[f"{metric_label(m)} 95 %"] = [f"{num(lo)}–{num(hi)}" for lo, hi in zip(table[f"{m} lo"], table[f"{m} hi"])]
        if m == primary:
            out["vs the strongest"] = [p_words(p) for p in table[f"{primary} p"]]
    out["seconds"] = [run.seconds.get(s) for s in table["system"]]
    return out


def _column_config(run: EvalRun) -> dict:
    cfg = {"setting": st.column_config.TextColumn("setting", help="The search setting measured.")}
    for m in run.metrics:
        cfg[metric_label(m)] = st.column_config.NumberColumn(metric_label(m), format="%.3f")
        cfg[f"{metric_label(m)} 95 %"] = st.column_config.TextColumn(
            "95 % interval", help="Seeded bootstrap over the queries: where the average would likely fall.")
    cfg["vs the strongest"] = st.column_config.TextColumn(
        "vs the strongest", help=f"A paired test of {metric_label(run.metrics[0])} on the same queries against the "
        "strongest setting: below p = 0.05 the strongest is very likely better; above, they cannot be told apart.")
    cfg["seconds"] = st.column_config.NumberColumn("seconds", format="%.1f",
                                                   help="Time its own searches took (the batched reading and "
                                                        "reranking all settings share is in the caption below).")
    return cfg
