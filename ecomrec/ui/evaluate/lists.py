"""Judgment lists: choose one (with its split sizes), import a file (the gain table shown and editable, bad rows
listed and downloadable), make one from people's grades or from clicks, delete one."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from ecomrec.ui import loaders, state
from ecomrec.ui.evaluate.common import LIST, flash

NEXT_LIST = "evaluate_list_next"  # a list just made: chosen on the next run (the picker is drawn already)

FILE_TYPES = ["csv", "tsv", "jsonl", "json", "parquet", "qrels", "trec", "txt"]
PARSED = "evaluate_parsed"  # (upload id, columns) -> the file read, so a rerun does not read it again
SOURCE_NAMES = {"imported": "imported file", "people": "people's grades", "clicks": "clicks"}
PART_NAMES = {"train": "training", "val": "validation", "test": "test"}


def choose(eng) -> str | None:
    """The list picker and its split sizes; None (and what to do) when there is no list yet."""
    lists = eng.relevance.lists()
    if lists.empty:
        st.info("**No judgment lists yet.** A judgment list says which products are relevant for which queries; "
                "every number on this page is measured against one. Make one below: from "
                "this shop's search clicks (one click), from the grades people gave on the Annotate page, or "
                "import a file of judged (query, product, grade) rows.")
        return None
    names = lists["name"].tolist()
    info = lists.set_index("name")
    if st.session_state.get(NEXT_LIST) in names:
        st.session_state[LIST] = st.session_state.pop(NEXT_LIST)
    if st.session_state.get(LIST) not in names:
        st.session_state[LIST] = names[0]
    c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    name = c1.selectbox("Judgment list", names, key=LIST,
                        format_func=lambda n: f"{n} ({SOURCE_NAMES.get(info.loc[n, 'source'], info.loc[n, 'source'])}"
                                              f", {info.loc[n, 'queries']:,} queries)",
                        help="Which products people (or clicks) say are relevant for which queries.")
    sizes = eng.relevance.split_sizes(name).set_index("part")
    c2.markdown(" · ".join(f"**{sizes.loc[p, 'measurable']:,}** {PART_NAMES[p]}" for p in PART_NAMES)
                + " queries with a relevant product",
                help="Each query sits in one part for good (a seeded hash of its text): training teaches the "
                     "reranker, validation chooses settings, test is kept back to measure honestly. Queries "
                     "where nothing was judged relevant cannot be measured and are not counted here.")
    with st.expander("How this list was made"):
        st.caption(state.plain(str(info.loc[name, "notes"])))
    return name


def manage(eng, name: str | None) -> None:
    """Make, import and delete lists."""
    c1, c2 = st.columns(2)
    with c1.container(border=True):
        _from_clicks(eng)
    with c2.container(border=True):
        _from_people(eng)
    with st.container(border=True):
        _import(eng)
    if name is not None:
        with st.container(border=True):
            _delete(eng, name)


def _made(name: str, n_queries: int, what: str) -> None:
    st.session_state[NEXT_LIST] = name
    flash(f"List '{name}' made from {what}: {n_queries:,} queries.")


def _from_clicks(eng) -> None:
    st.markdown("**From clicks**")
    st.caption("Each query's clicked products, weighted by how often they are clicked compared with what their "
               "position alone would bring (COEC). Implicit: clicks follow what was shown, so it favours the "
               "search that logged them. The data set's held-out test queries are left out.")
    name = st.text_input("Name", "clicks", key="evaluate_clicks_name", max_chars=80,
                         help="A list of the same name is replaced (rebuilt from every click so far).")
    if st.button("Make a list from clicks", key="evaluate_from_clicks"):
        try:
            with st.spinner("Reading the clicks…"):
                jl = eng.relevance.from_clicks(name)
            _made(jl.name, jl.counts["queries"], "clicks")
            st.rerun()
        except ValueError as exc:
            st.error(str(exc))


def _from_people(eng) -> None:
    st.markdown("**From people's grades**")
    st.caption("The Exact / Substitute / Complement / Irrelevant grades given on the Annotate page (Grade "
               "relevance), averaged when several people graded a pair. The better source: people saw the product.")
    name = st.text_input("Name", "people", key="evaluate_people_name", max_chars=80,
                         help="A list of the same name is replaced (rebuilt from every grade so far).")
    if st.button("Make a list from people's grades", key="evaluate_from_people"):
        try:
            jl = eng.relevance.from_people(name)
            _made(jl.name, jl.counts["queries"], "people's grades")
            st.rerun()
        except ValueError as exc:
            st.error(f"{exc}.")


def _import(eng) -> None:
    """Upload, read (nothing stored), show the gain table to accept or edit and the bad rows, then import."""
    st.markdown("**Import a judgment file** (CSV, TSV, JSON Lines, Parquet, or TREC qrels)")
    st.caption("One row per judged (query, product): a query column, the product's id or its title, and a grade "
               "(1–4, 0–3, Exact/Substitute/…, or your own words). Columns are guessed from their names.")
    upload = st.file_uploader("Judgment file", type=FILE_TYPES, key="evaluate_upload")
    if upload is None:
        return
    with st.expander("Columns (guessed when left empty)"):
        cols = st.columns(4)
        roles = {role: cols[i].text_input(role.replace("_", " "), key=f"evaluate_col_{role}", max_chars=200)
                 for i, role in enumerate(("query", "product_id", "title", "grade"))}
    columns = {r: c.strip() for r, c in roles.items() if c.strip()}
    key = (upload.file_id, tuple(sorted(columns.items())))
    cached = st.session_state.get(PARSED)
    if cached is None or cached[0] != key:
        try:
            with st.spinner("Reading the file and matching its products…"):
                parsed = eng.relevance.read_file(loaders.saved_upload(upload), columns or None)
        except (ValueError, KeyError) as exc:
            st.error(state.plain(str(exc)))  # it may quote the file's cells
            return
        st.session_state[PARSED] = (key, parsed)
    parsed = st.session_state[PARSED][1]
    read = ", ".join(f"{role} ← {state.plain(col)}" for role, col in parsed.columns.items())
    r = parsed.rows
    st.markdown(f"Read **{parsed.rows_read:,}** rows ({read}); **{len(r):,}** usable, "
                f"{r['query'].nunique() if len(r) else 0:,} queries; products matched by {parsed.matched_by}.")
    if len(parsed.rejects):
        unmatched = len(parsed.unmatched)
        st.warning(f"{len(parsed.rejects):,} row(s) cannot be used"
                   + (f", {unmatched:,} of them because no product in this catalog has that title" if unmatched else "")
                   + ". Each is listed by row and column:")
        st.dataframe(parsed.rejects, hide_index=True, height=min(300, 38 + 35 * len(parsed.rejects)))
        st.download_button("Download the rows that cannot be used (CSV)", parsed.rejects.to_csv(index=False),
                           file_name=f"{Path(upload.name).stem}-rejected.csv", mime="text/csv")
    gains = _gain_table(parsed)
    c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    name = c1.text_input("List name", Path(upload.name).stem, key="evaluate_import_name", max_chars=80)
    policy = c2.radio("Rows that cannot be used", list(eng.relevance.POLICIES), horizontal=True,
                      format_func={"all": "import nothing until they are fixed", "skip": "leave them out"}.get,
                      key="evaluate_import_policy")
    if st.button("Import with this gain table", type="primary", disabled=not gains):
        try:
            jl = eng.relevance.import_file(parsed, name, gains, policy=policy)
        except (ValueError, KeyError) as exc:  # ValidationError names file, row and column (and quotes the cell)
            st.error(state.plain(str(exc)))
            return
        st.session_state.pop(PARSED, None)
        _made(jl.name, jl.counts["queries"], upload.name)
        st.rerun()


def _gain_table(parsed) -> dict[str, float]:
    """The proposed grade -> gain table in an editor; the table as edited (never applied without the button)."""
    st.markdown("**Grade → gain**: how much each grade counts (0 = irrelevant, 1 = a perfect match). "
                + (f"Proposed for the **{parsed.scale}** scale; check and edit it before importing."
                   if parsed.proposed else f"No known scale fits these grades ({parsed.scale}): fill in every gain."))
    table = pd.DataFrame({"grade": list(parsed.grades), "rows": list(parsed.grades.values()),
                          "gain": [parsed.proposed.get(g) for g in parsed.grades]})
    edited = st.data_editor(table, hide_index=True, disabled=["grade", "rows"], key="evaluate_gains",
                            column_config={"gain": st.column_config.NumberColumn(
                                "gain", min_value=0.0, max_value=1.0, step=0.01, format="%.2f",
                                help="0 = irrelevant … 1 = exactly what the query asks for")})
    gains = {str(g): float(v) for g, v in zip(edited["grade"], edited["gain"]) if pd.notna(v)}
    missing = [str(g) for g, v in zip(edited["grade"], edited["gain"]) if pd.isna(v)]
    if missing:
        st.caption(f"Rows with grade(s) {', '.join(missing)} have no gain and will be refused.")
    return gains


def _delete(eng, name: str) -> None:
    st.markdown(f"**Delete the list '{state.plain(name)}'**")
    sure = st.checkbox("Yes, delete it (its saved evaluations stay readable)", key="evaluate_delete_sure")
    if st.button("Delete list", disabled=not sure, key="evaluate_delete"):
        eng.relevance.delete(name)
        flash(f"List '{name}' deleted.")
        st.rerun()
