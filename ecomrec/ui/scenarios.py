"""Demo scenarios in the app: a ``?scenario=ID`` URL puts its page in the story's state, a banner tells the
presenter what to point at, and Home lists every story of the open data set (:mod:`ecomrec.scenarios`)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ecomrec import scenarios as sc
from ecomrec import schema as S
from ecomrec.ui import layout, loaders, state

OPEN = "scenario_open"  # the Scenario whose banner shows, until closed
APPLIED = "_scenario_applied"  # the id applied from the URL, so a rerun of the same link keeps what was done since
PAGE_SCRIPTS = {script.removeprefix("app_pages/").removesuffix(".py"): script for script, _, _ in layout.PAGES}


def available(data_dir: str) -> tuple[list[sc.Scenario], str | None]:
    """The data set's scenarios, and a message when its file cannot be read (then none)."""
    try:
        return sc.load(data_dir), None
    except sc.ScenarioError as exc:
        return [], str(exc)


def open_from_url() -> None:
    """Apply the scenario the URL names, once per link: the Search page's query and settings, the shopper's events
    (the earlier timeline goes on the undo stack) and its banner. An unknown id or missing products: a warning."""
    wanted = st.query_params.get("scenario")
    if not wanted:
        st.session_state.pop(APPLIED, None)
        return
    if st.session_state.get(APPLIED) == wanted:
        return
    st.session_state[APPLIED] = wanted
    eng = loaders.engine(state.data_dir())
    state.init_shopper(eng.catalog.clock)
    found, problem = available(state.data_dir())
    scenario = sc.find(found, wanted)
    if scenario is None:
        st.warning(problem or f"This link opens the demo scenario {wanted!r}, which "
                   f"{layout.dataset_label(eng.catalog.name)} does not have; Home lists the ones it has.")
        return
    missing = scenario.missing_products(eng.catalog.products[S.PRODUCT_ID])
    if missing:
        st.warning(f"The scenario {scenario.title!r} names products this data set does not have "
                   f"({', '.join(missing[:5])}): it was written for another shop. Nothing was changed.")
        return
    if scenario.search:
        q = scenario.search
        state.open_search(q["q"], q.get("mode") == "compare", q.get("preset", "full"), q.get("preset_b", "bm25"),
                          q["weights"])
    if scenario.shopper:
        clock = pd.Timestamp(eng.catalog.clock).floor("min")
        state.set_shopper_history(scenario.shopper_events(clock))
        st.session_state[state.SHOPPER_CLOCK] = clock
        st.session_state[state.SHOPPER_QUERY_CATEGORY] = None
    st.session_state[OPEN] = scenario


def banner(page_path: str) -> None:
    """The open scenario's story and what to point at, on its own page, with a button that closes it."""
    scenario = st.session_state.get(OPEN)
    if scenario is None or scenario.page != page_path:
        return
    with st.container(border=True):
        text, close = st.columns([12, 1])
        text.markdown(f":material/slideshow: **Demo: {state.plain(scenario.title)}.** {state.plain(scenario.narrative)}"
                      f"  \n**Point at:** {state.plain(scenario.point_at)}")
        if close.button("Close", key="scenario_close", help="Hide this story; what it set stays as it is"):
            st.session_state.pop(OPEN, None)
            st.rerun()


def home_list(data_dir: str) -> None:
    """Home's list of ready stories: each one link that opens its page in its state, with its one-line story."""
    found, problem = available(data_dir)
    if problem:
        st.warning(problem)
    if not found:
        return
    st.subheader("Ready-made demos")
    st.caption("Each opens its page in the story's state, with a note on what to point at. Links can be shared: "
               "the address of each is shown on hover.")
    for row in range(0, len(found), 2):  # two a row, each row's cards side by side
        for col, scenario in zip(st.columns(2), found[row:row + 2]):
            with col.container(border=True, height="stretch"):
                st.page_link(PAGE_SCRIPTS[scenario.page], label=scenario.title, icon=":material/slideshow:",
                             query_params={"scenario": scenario.id})
                st.caption(state.plain(scenario.narrative))
