"""Grade relevance: pool a query's top products, grade each E / S / C / I on keys 1-4, and see search
measured on people's grades."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from ecomrec import schema as S
from ecomrec.ui import layout, state

if TYPE_CHECKING:
    from ecomrec.services.labels import Grading, Labels


def draw(eng, annotator: str) -> None:
    """Pooling, the next pair to grade, the progress line and the search metrics on people's grades."""
    labels = eng.labels
    st.markdown("Pool a query's top 10 from BM25, dense retrieval and the full ranking, then grade each product: "
                "**1** Exact, **2** Substitute, **3** Complement, **4** Irrelevant (**U** takes back the last grade). "
                "Graded queries measure every search setting below, beside the click-derived judgments; grades of "
                "queries outside the validation and test sets also train the next reranker (Train page).")
    _pool(labels)
    grading = labels.grading(annotator)
    st.progress(grading.graded / max(1, grading.pairs),
                text=f"{grading.graded:,} of {grading.pairs:,} pairs graded ({grading.queries} "
                     f"quer{'y' if grading.queries == 1 else 'ies'} pooled)")
    _pair(labels, grading, annotator)
    _measured(labels, grading)


def _pool(labels: Labels) -> None:
    """A typed query, or five more held-out test queries, pooled for grading."""
    p1, p2 = st.columns([4, 2], vertical_alignment="bottom")
    typed = p1.text_input("Query to pool", max_chars=300, placeholder="e.g. warm sleeping bag")
    if p2.button("Pool its top 10s", disabled=not typed.strip()):
        with st.spinner("Searching three ways…"):
            n = labels.pool_for_judging(typed)
        st.toast(f"{n} new pair(s) to grade.")
    held_out = labels.held_out_queries
    if held_out and st.button(f"Pool 5 more of the {held_out:,} held-out test queries", type="tertiary",
                              help="Judged test queries measure search; they are never trained on."):
        with st.spinner("Searching three ways…"):
            labels.pool_held_out(5)


def _pair(labels: Labels, grading: Grading, annotator: str) -> None:
    """The next pair: query, product, a button per grade on keys 1-4 and Undo on U."""
    pair = grading.next
    if pair is None:
        st.info("Nothing to grade: pool a query above.")
        return
    item = pair.product
    sign = S.currency_symbol(item.get(S.CURRENCY))
    with st.container(border=True):
        st.caption(f"Query (pooled from {pair.pooled_from})")
        st.markdown(f"### {state.plain(pair.query)}")
        st.markdown(f"**{state.plain(item[S.TITLE])}**  \n{state.plain(item[S.CATEGORY])} · "
                    f"{state.plain(item[S.BRAND] or 'no brand')} · {layout.price_md(item[S.PRICE], sign)}")
        st.caption(state.plain(str(item[S.DESCRIPTION] or "")[:400]))
        row = st.container(horizontal=True)
        turn = state.turn("grade")  # one press, one grade (see state.turn)
        for k, (grade, name) in enumerate(labels.GRADES.items(), 1):
            row.button(name, key=f"grade_{pair.pair_id}_{grade}", shortcut=str(k), on_click=_grade,
                       args=(labels, pair.pair_id, annotator, grade, turn))
        last = labels.last_grade(annotator)
        row.button("Undo", key=f"grade_undo_{last}", shortcut="U", on_click=labels.undo_grade,
                   args=(annotator, last), disabled=last is None)


def _grade(labels: Labels, pair_id: int, annotator: str, grade: str, turn: int) -> None:
    """Store the grade, unless another button drawn in the same ``turn`` has graded already (one key press that
    reached two buttons)."""
    if state.take_turn("grade", turn):
        labels.grade(pair_id, annotator, grade)


def _measured(labels: Labels, grading: Grading) -> None:
    """Every search setting's NDCG@10 and MRR on the fully graded queries."""
    n, table = labels.measured_on_grades()
    if not n:
        if grading.graded:
            st.caption("Search is measured here once every pooled product of a query is graded.")
        return
    st.markdown(f"**Search measured on people's grades** ({n} fully graded quer{'y' if n == 1 else 'ies'})")
    st.dataframe(table, hide_index=True)
