"""The Evaluate page's screens, one module per job; ``app_pages/evaluate.py`` picks the judgment list and calls
:func:`draw`.

    lists      Judgment lists: choose one, import a file, make one from people's grades or clicks, delete
    measure    Measure: every setting on the list's test queries, each metric two ways, intervals, paired tests
    drilldown  Query by query: where two settings differ most, one query's top 10s side by side with grades
    compare    Compare two settings without judgments: overlap@10, rank-biased overlap, Kendall's τ
    tune       Tune the ranking on validation; activate; every profile version, rollback
    reranker   Train the reranker from the list's training queries; it joins only if validation says so

Every screen is a ``draw(eng, ...)`` over ``eng.relevance`` (lists, parts, evaluations, comparisons),
``eng.searches`` (tuning, profiles) and ``eng.models`` (the reranker). Only the open tab is drawn.
"""
from __future__ import annotations

import streamlit as st

from ecomrec.ui.evaluate import compare, drilldown, lists, measure, reranker, tune
from ecomrec.ui.evaluate.common import glossary, report_cancelled, show_flash

__all__ = ["TABS", "choose_list", "draw", "glossary", "report_cancelled"]

MEASURE, DRILL, COMPARE, TUNE, RERANK, LISTS = ("Measure", "Query by query", "Compare two settings",
                                                "Tune the ranking", "Train the reranker", "Judgment lists")
TABS = (MEASURE, DRILL, COMPARE, TUNE, RERANK, LISTS)
choose_list = lists.choose


def draw(eng, name: str | None) -> None:
    """The open tab's screen for list ``name`` (None: no list yet, so only the list maker and the comparison of
    two settings, which needs no judgments)."""
    show_flash()
    if name is None:
        lists.manage(eng, None)
        return
    tabs = st.tabs(list(TABS), key="evaluate_tab", on_change="rerun")
    for tab, label in zip(tabs, TABS):
        if not tab.open:
            continue
        with tab:
            if label == MEASURE:
                measure.draw(eng, name)
            elif label == DRILL:
                drilldown.draw(eng, measure.loaded_run(eng, name))
            elif label == COMPARE:
                compare.draw(eng, name)
            elif label == TUNE:
                tune.draw(eng, name)
            elif label == RERANK:
                reranker.draw(eng, name)
            else:
                lists.manage(eng, name)
