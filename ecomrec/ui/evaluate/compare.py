"""Compare two settings without judgments: how much of the first page they share (overlap@10), a top-weighted
similarity (rank-biased overlap) and whether shared products keep their order (Kendall's τ), per query, with the
queries whose top 10 changed most."""
from __future__ import annotations

import streamlit as st

from ecomrec import PRESET_LABELS
from ecomrec import schema as S
from ecomrec.ui import state
from ecomrec.ui.evaluate import charts
from ecomrec.ui.evaluate.common import COMPARED, finished, num, started

HELP = """
- **Same products in the top 10** (overlap@10): the share of the first 10 results both settings show, in any order.
- **Rank-biased overlap** (RBO, p = 0.9; Webber, Moffat & Zobel 2010): like the overlap, but agreement near the
  top counts most (the first 10 ranks carry about 86 % of the weight) and order matters; 1 = the same list,
  0 = nothing in common. Extrapolated: what is seen at rank 10 is assumed to continue.
- **Kendall's τ**: of the products both show, are they in the same order? 1 = same order, −1 = reversed, n/a when
  fewer than two are shared (products only one setting shows are left out of τ).
"""


def draw(eng, name: str | None) -> None:
    st.markdown("What changes for shoppers if we switch settings? No judgments needed: both settings search the same "
                "queries and their first 10 results are compared.")
    profiles = eng.searches.profiles()
    options = ["active", "default"] + [p["version"] for p in reversed(profiles) if not p["active"]]
    words = {"active": "active ranking profile", "default": "default ranking settings"}
    presets = list(PRESET_LABELS)
    tuned = any(p["active"] for p in profiles)
    # what a PM asks first: what tuning changed (a profile is active), else what the full pipeline changes over BM25
    b_default = ("full", "default") if tuned else ("bm25", "active")
    sides = {}
    for col, side, (preset, profile) in zip(st.columns(2), "AB", (("full", "active"), b_default)):
        with col.container(border=True):
            st.markdown(f"**Setting {side}**")
            p = st.selectbox("Search", presets, index=presets.index(preset), format_func=PRESET_LABELS.get,
                             key=f"evaluate_cmp_preset_{side}")
            prof = st.selectbox("Ranking profile", options, index=options.index(profile),
                                format_func=lambda v: words.get(v, f"saved version {v}"),
                                key=f"evaluate_cmp_profile_{side}",
                                help="The tuned settings and weights searches start from; older versions stay saved.")
            sides[side] = (p, prof)
    c1, c2, c3 = st.columns([3, 1, 2], vertical_alignment="bottom")
    source = c1.radio("Queries", ["list", "dataset"], horizontal=True, key="evaluate_cmp_source",
                      format_func={"list": "this list's queries", "dataset": "the data set's own queries"}.get,
                      disabled=name is None, index=0 if name is not None else 1)
    limit = int(c2.number_input("At most", 5, 2000, 50, key="evaluate_cmp_max", help="A seeded sample."))
    same = sides["A"] == sides["B"] or (not tuned and sides["A"][0] == sides["B"][0]
                                         and {sides["A"][1], sides["B"][1]} == {"active", "default"})
    if same:
        st.info("A and B are the same setting (no tuned ranking profile is active, so the active one is the "
                "defaults): pick another search or profile for one of them.")
    if c3.button("Compare", type="primary", key="evaluate_compare", disabled=same):
        queries = eng.relevance.comparison_queries(name if source == "list" else None, max_queries=limit)
        slot = started("the comparison")
        bar = st.progress(0.0, text="Searching…")
        try:
            st.session_state[COMPARED] = eng.relevance.compare_settings(
                sides["A"], sides["B"], queries,
                progress=lambda done, total, q: bar.progress(done / total, text=f"{done} / {total} · {q[:80]}"))
        except ValueError as exc:
            st.error(str(exc))
        finished(slot)
        bar.empty()
    result = st.session_state.get(COMPARED)
    if result is not None:
        _show(eng, result)


def _show(eng, c) -> None:
    k = c.k
    m = c.means
    st.markdown(f"**A:** {c.a}  \n**B:** {c.b}  \nOver {len(c.queries)} queries, {m['identical']:.0%} show exactly "
                f"the same top {k}.")
    cols = st.columns(3)
    cols[0].metric(f"Same products in the top {k}", f"{m[f'overlap@{k}']:.0%}",
                   help=f"Overlap@{k}: the share of the first {k} results both settings show, in any order.")
    cols[1].metric("Rank-biased overlap", num(m["rbo"], 2),
                   help="RBO (p = 0.9): 1 = the same list, 0 = nothing in common; the top ranks count most.")
    cols[2].metric("Order of shared products (Kendall's τ)", num(m["kendall_tau"], 2),
                   help="1 = same order, −1 = reversed; over products both show.")
    if m["identical"] == 1.0:
        st.success(f"Every query shows the same top {k} under both settings: switching changes nothing shoppers see.")
        return
    st.markdown(f"**The queries whose top {k} changed most**")
    st.plotly_chart(charts.agreement_bars(c.table, k), width="stretch", key="evaluate_cmp_chart")
    shown = c.table.assign(kendall_tau=[num(t, 2) for t in c.table["kendall_tau"]])  # n/a: under 2 shared
    st.dataframe(shown, hide_index=True, column_config={
        f"overlap@{k}": st.column_config.NumberColumn(f"overlap@{k}", format="%.2f"),
        "rbo": st.column_config.NumberColumn("RBO", format="%.3f"),
        "kendall_tau": st.column_config.TextColumn("Kendall's τ", help="n/a: fewer than two shared products."),
        "shared": st.column_config.NumberColumn("shared products")})
    changed = c.table["query"].tolist()
    query = st.selectbox("Open a query", changed, key="evaluate_cmp_query")
    titles = eng.catalog.products.set_index(S.PRODUCT_ID)[S.TITLE]
    ranked = {"A": c.runs_a.get(query, []), "B": c.runs_b.get(query, [])}
    for col, side, other in zip(st.columns(2), "AB", "BA"):
        col.markdown(f"**{side}**")
        col.markdown("\n".join(f"{i}. {state.plain(titles.get(pid, pid))}"
                               + ("" if pid in ranked[other] else f" · *only in {side}*")
                               for i, pid in enumerate(ranked[side], 1)) or "No results.")
    with st.expander("What these numbers mean"):
        st.markdown(HELP)
