"""Query by query: where two settings of an evaluation differ most, and one query's two top 10s side by side
with each product's grade (unjudged products marked)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from ecomrec.ui.evaluate import charts
from ecomrec.ui.evaluate.common import metric_label, num

if TYPE_CHECKING:
    from ecomrec.services.relevance import EvalRun

UNJUDGED = "⚪ unjudged"


def draw(eng, run: EvalRun | None) -> None:
    if run is None:
        st.info("Measure the list first (the **Measure** tab): this view opens one of its evaluations.")
        return
    systems = list(run.systems)
    ranked = run.table().sort_values(run.metrics[0], ascending=False)["system"].tolist()
    default_b = next((s for s in ("tuned_bm25", "bm25") if s in systems and s != ranked[0]), ranked[-1])
    c1, c2, c3 = st.columns([2, 2, 1])
    a = c1.selectbox("Setting A", systems, index=systems.index(ranked[0]), format_func=run.systems.get,
                     key="evaluate_drill_a")
    b = c2.selectbox("Setting B", systems, index=systems.index(default_b), format_func=run.systems.get,
                     key="evaluate_drill_b")
    metric = c3.selectbox("Number", run.metrics, format_func=metric_label, key="evaluate_drill_metric")
    if a == b:
        st.info("Pick two different settings.")
        return
    diff = run.differences(a, b, metric)
    a_wins, b_wins = int((diff["difference"] > 1e-9).sum()), int((diff["difference"] < -1e-9).sum())
    st.markdown(f"Over {len(diff)} queries, **{run.systems[a]}** does better on **{a_wins}**, "
                f"**{run.systems[b]}** on **{b_wins}**, and {len(diff) - a_wins - b_wins} are tied "
                f"({metric_label(metric)}).")
    st.plotly_chart(charts.query_differences(diff, a, b, _short(run.systems[a]), _short(run.systems[b])),
                    width="stretch", key="evaluate_diff_chart")
    changed = diff[diff["difference"].abs() > 1e-9]
    queries = changed["query"].tolist() or diff["query"].tolist()
    query = st.selectbox("Open a query (the biggest differences first)", queries, key="evaluate_drill_query",
                         format_func=lambda q: f"{q}  ({float(diff.set_index('query').loc[q, 'difference']):+.2f})")
    made = eng.relevance.lists().set_index("name")["created"].to_dict()
    if made.get(run.list_name) != run.list_created:
        st.caption(f":material/info: The list '{run.list_name}' was "
                   + ("deleted" if run.list_name not in made else "made again") + " since this evaluation: the "
                   "grades below are " + ("missing." if run.list_name not in made else "today's list's."))
    lists = eng.relevance.side_by_side(run, query, a, b)
    scores = run.per_query(metric).loc[query]
    left, right = st.columns(2)
    for col, system in ((left, a), (right, b)):
        with col:
            st.markdown(f"**{run.systems[system]}** · {metric_label(metric)} {num(float(scores[system]))}")
            _ranked_list(lists[system])
    st.caption("Grades come from the list (for clicks: the click-based gain). ⚪ marks products nobody judged for "
               "this query: the standard count treats them as misses.")
    with st.expander("Every query's scores"):
        st.dataframe(diff.rename(columns={a: run.systems[a], b: run.systems[b]}), hide_index=True)


def _ranked_list(table: pd.DataFrame) -> None:
    if table.empty:
        st.caption("No results for this query.")
        return
    shown = table.assign(grade=[UNJUDGED if g == "not judged" else g for g in table["grade"]])
    st.dataframe(shown[["rank", "grade", "title"]], hide_index=True, height=38 + 35 * len(shown),
                 column_config={"rank": st.column_config.NumberColumn("#", width="small"),
                                "grade": st.column_config.TextColumn("grade",
                                                                     help="The list's judgment of this product "
                                                                          "for the query."),
                                "title": st.column_config.TextColumn("product")})


def _short(label: str) -> str:
    return label.split(":")[0].split(" (")[0]
