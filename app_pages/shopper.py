"""Shopper page: build a shopper's history and watch browse, cart and promotion recommendations follow it."""
from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from ecomrec import schema as S
from ecomrec.ui import evidence, figures, layout, loaders, state

EVENT_LABELS = {"view": "viewed", "click": "clicked", "add_to_cart": "added to cart",
                "remove_from_cart": "removed from cart", "purchase": "bought"}
PERSONAS = 8  # personas offered, drawn once per data set with the engine's seed

data_dir = state.data_dir()
eng = loaders.engine_with_embeddings(data_dir)
sign = eng.catalog.currency  # prices in the data set's own currency
loaders.prepare_cart(eng)  # chosen on its validation baskets, then kept with the data set's models
st.title(":material/person: Shopper")
st.markdown("Build a shopper — from a persona or by hand — and watch the recommendations change with every "
            "view, add-to-cart or purchase. Each recommendation says which history events caused it (leave-one-out), "
            "and the what-if box removes one event to show what would move.")
layout.measured(("next_item", "cart"))
card_slot = st.empty()  # the evidence card's button, once the recommendations are made (end of the page)


@st.cache_resource(show_spinner=False)
def personas(data_dir: str) -> list:
    """A fixed set of personas for this data set."""
    return loaders.engine(data_dir).simulator().make_personas(PERSONAS)


# ---- clock and persona ----
catalog = eng.catalog
clock_min = pd.Timestamp(catalog.events[S.TIMESTAMP].min() if len(catalog.events) else catalog.clock).floor("D")
promo_end = catalog.promotions[S.END].max() if len(catalog.promotions) else catalog.clock
clock_max = (max(pd.Timestamp(promo_end), catalog.clock) + pd.Timedelta(days=30)).ceil("D")  # room to act past the log
st.session_state[state.SHOPPER_CLOCK] = min(max(st.session_state[state.SHOPPER_CLOCK], clock_min), clock_max)
st.session_state["clock_slider"] = st.session_state[state.SHOPPER_CLOCK].to_pydatetime()


def _clock_moved() -> None:
    st.session_state[state.SHOPPER_CLOCK] = pd.Timestamp(st.session_state["clock_slider"])


with st.container(border=True):
    c1, c2, c3, c4 = st.columns([4, 3, 1, 2], vertical_alignment="bottom")
    c1.slider("Simulated clock", clock_min.to_pydatetime(), clock_max.to_pydatetime(), key="clock_slider",
              step=pd.Timedelta(hours=1).to_pytimedelta(), format="D MMM YYYY, HH:mm", on_change=_clock_moved,
              help="Interest fades with time (half-life 14 days); promotions are live between their start and "
                   "end; events after the clock are ignored. Acting moves it on a minute per event.")
    people = personas(state.data_dir())
    persona = c2.selectbox("Persona", people, format_func=lambda p: p.label)
    n = c3.number_input("Sessions", 1, 5, 2)
    if c4.button("Generate", type="primary", help="Run the persona's sessions through the real search engine "
                 "with a position-biased click model, starting at the clock"):
        with st.spinner(f"Simulating {n} session(s): searching, clicking, carting…"):
            seed = len(st.session_state[state.SHOPPER_EVENTS]) + len(st.session_state[state.SHOPPER_UNDO])
            sim = eng.simulator(seed)
            new = sim.run_sessions(persona, int(n), st.session_state[state.SHOPPER_CLOCK]).assign(
                **{S.USER_ID: state.SHOPPER_USER})
        if len(new):
            state.set_shopper_history(pd.concat([state.shopper_history(), new], ignore_index=True))
            st.session_state[state.SHOPPER_CLOCK] = new[S.TIMESTAMP].max().ceil("min") + pd.Timedelta(minutes=1)
            st.rerun()
        st.info("The persona left without doing anything this time: generate again.")

now = st.session_state[state.SHOPPER_CLOCK]
history = state.shopper_history()
title_of = dict(zip(catalog.products[S.PRODUCT_ID], catalog.products[S.TITLE]))
foreign = ~history[S.PRODUCT_ID].isin(list(title_of))
if foreign.any():
    st.warning(f"{int(foreign.sum())} timeline event(s) name products this data set does not have (recorded on "
               "another data set?): the profile and recommendations leave them out. Clear the history to start afresh.")
known = history[~foreign]  # what the profile and recommendations read
cart = [p for p in state.shopper_cart() if p in title_of]

left, right = st.columns([2, 3], gap="large")

# ---- acting by hand ----
with left:
    st.subheader("Act as the shopper")
    query = st.text_input("Search as the shopper", max_chars=300, placeholder="e.g. tent for 2 people",
                          key="shopper_query")
    if query.strip():
        try:
            res = eng.search(query, k=5, user=eng.profile(known, now) if len(known) else None)
        except ValueError as exc:
            st.error(str(exc))
        else:
            st.session_state[state.SHOPPER_QUERY_CATEGORY] = res.category
            for it in res.items:
                with st.container(border=True):
                    st.markdown(f"**{html.escape(it.title)}**  \n{layout.price_md(it.price, sign)}"
                                + (" · fits this shopper" if it.components.get("personal", 0) > 0 else ""))
                    layout.shopper_actions(it.product_id, f"s_{it.product_id}", query, it.rank - 1)
            if not res.items:
                st.warning("No product matches; try other words.")

    st.subheader(f"Cart ({len(cart)})")
    if not cart:
        st.caption("Empty. Add products from the search above, the Search page or the Catalog page.")
    for pid in cart:
        with st.container(border=True):
            st.markdown(html.escape(title_of.get(pid, pid)))
            row = st.container(horizontal=True)
            row.button("Remove", key=f"rm_{pid}", icon=":material/remove_shopping_cart:", on_click=state.record,
                       args=(pid, "remove_from_cart"))
            row.button("Buy", key=f"buy_{pid}", icon=":material/shopping_bag:", on_click=state.record,
                       args=(pid, "purchase"))

    st.subheader("Timeline")
    c1, c2 = st.columns(2)
    if c1.button("Undo last change", disabled=not st.session_state[state.SHOPPER_UNDO], icon=":material/undo:"):
        state.undo_shopper()
        st.rerun()
    if c2.button("Clear history", disabled=history.empty, icon=":material/delete:"):
        state.set_shopper_history(history.iloc[0:0])
        st.rerun()
    if history.empty:
        st.caption("No events yet: generate a persona's sessions or act by hand.")
    else:
        table = pd.DataFrame({"time": history[S.TIMESTAMP], "event": history[S.EVENT_TYPE],
                              "product": history[S.PRODUCT_ID].map(title_of), S.PRODUCT_ID: history[S.PRODUCT_ID]})
        editor = f"timeline_{len(st.session_state[state.SHOPPER_UNDO])}"  # a new editor per timeline change
        edited = st.data_editor(
            table, key=editor, num_rows="dynamic", hide_index=True, width="stretch",
            column_config={"time": st.column_config.DatetimeColumn("time", format="D MMM HH:mm", required=True),
                           "event": st.column_config.SelectboxColumn("event", options=list(EVENT_LABELS),
                                                                     required=True),
                           "product": st.column_config.TextColumn("product", disabled=True),
                           S.PRODUCT_ID: st.column_config.TextColumn("id", required=True)})
        st.caption("Delete rows (select, then the bin), change an event, or change a time to reorder; "
                   "Undo brings back the timeline before the last change.")
        edits = st.session_state.get(editor) or {}
        if any(edits.get(k) for k in ("edited_rows", "added_rows", "deleted_rows")):
            try:
                new = eng.recs.timeline_events(edited, state.SHOPPER_USER, f"{state.SHOPPER_USER}-edited")
            except S.ValidationError as exc:
                st.error("Not applied — " + "; ".join(f"row {e.row}, {e.column}: {e.message}" for e in exc.errors)
                         + ". The timeline is unchanged.")
            else:
                state.set_shopper_history(new)
                st.rerun()
        later = int((history[S.TIMESTAMP] > now).sum())
        if later:
            st.info(f"{later} event(s) lie after the clock and are ignored until you move it on.")

# ---- profile and recommendations ----
with right:
    profile = eng.profile(known, now)
    st.subheader("Profile")
    if profile.is_empty:
        st.info("Cold start: no history yet, so recommendations fall back to what is popular (labelled below).")
    else:
        c1, c2, c3 = st.columns(3)
        c1.markdown("**Categories**")
        c1.plotly_chart(figures.interest_bars(profile.categories, top=6), width="stretch")
        c2.markdown("**Brands**")
        c2.plotly_chart(figures.interest_bars(profile.brands, top=6), width="stretch")
        c3.markdown(f"**Price band** (level {profile.price_level:.2f})")
        c3.plotly_chart(figures.interest_bars(profile.price_bands), width="stretch")
        st.caption(f"From {profile.n_events} events, each weighted by type (view 1, cart 3, purchase 5, removal "
                   "-2) and halved every 14 days of age.")

    kw = dict(history=known, cart=cart, now=now, query_category=st.session_state[state.SHOPPER_QUERY_CATEGORY])
    browse = eng.recommend(kind="browse", **kw)
    complements = eng.recommend(kind="cart", **kw)
    promos = eng.recommend(kind="promo", **kw)
    tabs = st.tabs([f"Browse ({len(browse.items)})", f"Goes with your cart ({len(complements.items)})",
                    f"Promotions for you ({len(promos.items)})"])

    def cart_rule() -> None:
        """Which rule the cart list follows, in plain words, with the switch."""
        choice = eng.recs.cart_choice()
        share = f"{choice.two_of_a_kind:.0%} of this shop's baskets hold two of a kind"
        hr = choice.hr_by_rule
        if not choice.config.substitutes_excluded:
            why = ("as set by hand here" if choice.set_by == "person" else "because complements alone found none of "
                   "what shoppers went on to buy in baskets held back to check (this shop's kinds of product cannot "
                   "be told apart)")
            st.caption(f":material/rule: **Whatever goes in the basket**, alternatives to a cart item included, {why} "
                       f"({share}; what held-back baskets say of each rule is under *Change the rule*).")
        else:
            st.caption(f":material/rule: **Complements only**: never another of what is in the cart (a second "
                       f"tent for a tent). {share}.")
            if gain := choice.basket_rule_gain:
                only, other = gain
                st.caption(f":material/swap_horiz: Letting alternatives in would find more of what shoppers went on "
                           f"to buy ({other:.0%} of baskets held back to check had their hidden product in the top "
                           f"10, against {only:.0%}): the switch under *Change the rule* does that.")
        st.caption(f":material/balance: {eng.recs.cart_mix()}")
        basket = choice.basket_report
        if basket.get("joined"):
            st.caption(f":material/shopping_basket: The **basket model** (a transformer that reads the whole cart) "
                       f"takes part: with it {basket['val_hr_with']:.1%} of held-back baskets had their hidden product "
                       f"in the top 10, without it {basket['val_hr_without']:.1%}.")
        elif "val_hr_with" in basket:
            st.caption(f":material/shopping_basket: A basket model (a transformer that reads the whole cart) was "
                       f"trained on this shop's baskets but **does not take part**: it found no more of held-back "
                       f"baskets' hidden products ({basket['val_hr_with']:.1%}, the same as without it).")
        with st.popover("Change the rule"):
            if hr:
                st.caption("Share of held-back baskets whose hidden product was in the top 10: "
                           + ", ".join(f"{rule} {v:.1%}" for rule, v in hr.items()) + ".")
            only = st.toggle("Complements only (never another of what is in the cart)",
                             value=choice.config.substitutes_excluded, key="shopper_cart_rule")
            if only != choice.config.substitutes_excluded:
                eng.recs.set_cart_rule(only)
                st.rerun()

    def show(recs, what_if=None, explain: bool = False) -> None:
        if recs.fallback:
            st.info(recs.fallback)
        for note in recs.notices:
            st.caption(note)
        moved = {} if what_if is None else dict(zip(what_if[S.PRODUCT_ID], what_if["change"]))
        for it in recs.items:
            with st.container(border=True):
                badge = ""
                if it.product_id in moved:
                    ch = moved[it.product_id]
                    badge = (" · :blue-badge[new]" if ch == "new" else f" · :green[▲{ch}]" if ch > 0
                             else f" · :red[▼{-ch}]" if ch < 0 else "")
                st.markdown(f"**{it.rank}. {html.escape(it.title)}**{badge}  \n{html.escape(it.brand)} · "
                            f"{S.leaf(it.category)} · {layout.price_md(it.price, sign)}")
                st.caption(" · ".join(html.escape(r) for r in it.reasons[:2]))
                row = st.container(horizontal=True)
                with row.popover(f"Why: score {it.score:.2f}", icon=":material/bar_chart:"):
                    st.markdown("\n".join(f"- {html.escape(r)}" for r in it.reasons))
                    if explain and it.because:
                        st.markdown("**Which history events caused it** (the score it loses without each one)")
                        top = list(it.because.items())[:8]
                        st.plotly_chart(figures.contributions([title_of.get(p, p)[:45] for p, _ in top],
                                                              [v for _, v in top]),
                                        width="stretch", key=f"loo_{recs.kind}_{it.product_id}")
                with row:
                    layout.shopper_actions(it.product_id, f"{recs.kind}_{it.product_id}")
        st.caption(f"Computed in {recs.elapsed_ms:.0f} ms.")

    with tabs[0]:
        if not browse.fallback:  # a cold start shows labelled fallbacks, not the mix
            st.caption(":material/tune: " + eng.recs.browse_mix())
        drop = None
        if len(known):
            labels = {i: f"{r[S.TIMESTAMP]:%d %b %H:%M} · {EVENT_LABELS[r[S.EVENT_TYPE]]} · "
                         f"{title_of[r[S.PRODUCT_ID]][:50]}" for i, r in known.iterrows()}
            drop = st.selectbox("What if this event had not happened?", [None, *labels],
                                format_func=lambda i: "— keep every event —" if i is None else labels[i])
        if drop is None:
            show(browse, explain=True)
        else:
            without = eng.recommend(kind="browse", **{**kw, "history": known.drop(index=drop)})
            changes = browse.changes(without)
            dropped = changes[changes["change"].eq("dropped")]
            st.markdown(f"Without *{labels[drop]}*: **{int((changes['change'] != 0).sum())}** of the top "
                        f"{len(browse.items)} change place; {len(dropped)} drop out.")
            pid = known.at[drop, S.PRODUCT_ID]
            if pid in set(known.drop(index=drop)[S.PRODUCT_ID]):
                st.caption("That product stays in the history through its other events; remove those too "
                           "(in the timeline) to take it out entirely.")
            show(without, what_if=changes, explain=True)
            if len(dropped):
                st.caption("Dropped out: " + "; ".join(title_of[p] for p in dropped[S.PRODUCT_ID]))
    with tabs[1]:
        cart_rule()
        show(complements, explain=True)
    with tabs[2]:
        show(promos, explain=True)

with card_slot:
    evidence.download(lambda: evidence.shopper_card(eng, data_dir, known, cart, now,
                                                    {"browse": browse, "cart": complements, "promo": promos}),
                      "Shopper", f"{len(known)} events", key="evidence_shopper")
