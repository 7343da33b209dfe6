"""The Review tab: agreement between annotators and with the model, disputed queries, likely label errors."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from ecomrec.ui import figures, state
from ecomrec.ui.annotate.common import Choice

if TYPE_CHECKING:
    from ecomrec.services.labels import Agreement, Labels

LABEL_ERRORS = "label_errors"  # the last "Find likely label errors" result, kept while reviewing


def draw(eng, c: Choice) -> None:
    """The agreement report of the chosen set, its disputes to resolve and the label-error search."""
    labels = eng.labels
    report = labels.agreement(c.set_name)
    if report is None:
        st.info("No answers yet in this label set.")
        return
    _metrics(report)
    if why_missing(report):
        st.caption(why_missing(report))
    if len(report.pairwise):
        _between_annotators(report)
    if len(report.versus_model):
        st.markdown("**People against the model** (final label vs the model's suggestion)")
        st.plotly_chart(figures.confusion_matrix(report.versus_model["label"].tolist(),
                                                 report.versus_model["model"].tolist()), width="stretch")
    _disputes(labels, c, report)
    _label_errors(labels, c.set_name)


def why_missing(r: Agreement) -> str | None:
    """Why agreement between people cannot be measured yet, in words; None when it can."""
    if r.annotators < 2:
        return (f"Agreement needs a second annotator: so far {'nobody has' if not r.annotators else 'one person has'}"
                " answered. Set \"Answers per query\" above to 2 and ask a colleague to label the same queries.")
    if np.isnan(r.alpha):
        return "Agreement needs queries answered by two people; none is yet."
    return None


def _metrics(r: Agreement) -> None:
    m = st.columns(4)
    m[0].metric("Answers", f"{r.answers:,}", help=f"by {r.annotators} annotator(s)")
    missing = why_missing(r)
    m[1].metric("Agreement (Krippendorff's alpha)", "not yet" if np.isnan(r.alpha) else f"{r.alpha:.2f}",
                help=missing or "Over every query answered at least twice; 1 = perfect, 0 = chance.")
    m[2].metric("Fleiss' kappa", "not yet" if np.isnan(r.fleiss) else f"{r.fleiss:.2f}",
                help=missing or f"Over the {r.fleiss_records} queries answered by the most common number of "
                                "annotators.")
    m[3].metric("Model agrees with people", "—" if r.model_agreement is None else f"{r.model_agreement:.0%}",
                help="Share of final labels equal to the model's suggestion.")


def _between_annotators(r: Agreement) -> None:
    """Cohen's kappa per pair, agreement per label and where annotators split."""
    st.markdown("**Cohen's kappa per annotator pair**")
    st.dataframe(r.pairwise, hide_index=True, column_config={
        "kappa": st.column_config.NumberColumn(format="%.2f"),
        "agreement": st.column_config.NumberColumn("raw agreement", format="%.2f")})
    left, right = st.columns(2)
    left.markdown("**Agreement per label** (alpha, this label against the rest)")
    left.plotly_chart(figures.metric_bars(r.per_label, "alpha"), width="stretch")
    right.markdown("**Where annotators split** (pairs of answers to the same query)")
    right.plotly_chart(figures.label_pairs(r.confusion, "one annotator", "another"), width="stretch")


def _disputes(labels: Labels, c: Choice, r: Agreement) -> None:
    """The first 20 disputed queries, each with a final label to pick and a Resolve button."""
    st.markdown(f"**Disputed queries** ({len(r.disputes)}): pick the final label")
    for d in r.disputes.head(20).itertuples():
        d1, d2, d3 = st.columns([4, 2, 1], vertical_alignment="bottom")
        d1.markdown(f"{state.plain(d.text)}  \n:gray[{state.plain(d.answer)}]")
        pick = d2.selectbox("Final label", c.label_set.names, key=f"resolve_{d.record_id}",
                            label_visibility="collapsed")
        d3.button("Resolve", key=f"resolve_btn_{d.record_id}", on_click=labels.resolve,
                  args=(c.set_name, d.record_id, pick, c.annotator))


def _label_errors(labels: Labels, set_name: str) -> None:
    if st.button("Find likely label errors",
                 help="Answers a 5-fold cross-validated model on the queries' embeddings strongly disagrees "
                      "with (cleanlab)."):
        with st.spinner("Cross-validating…"):
            st.session_state[LABEL_ERRORS] = labels.likely_label_errors(set_name)
    if LABEL_ERRORS in st.session_state:
        found = st.session_state[LABEL_ERRORS]
        st.caption(f"{len(found)} answer(s) the model doubts; change them by answering the query again.")
        st.dataframe(found, hide_index=True)
