"""Search page: a query in, ranked products out, with the query's intent and every score behind each rank."""
from __future__ import annotations

import html

import streamlit as st

from ecomrec import COMPONENTS, PRESET_LABELS, WEIGHT_RANGE, SearchSettings
from ecomrec import schema as S
from ecomrec.ui import evidence, figures, layout, loaders, state

SLOT_LABELS = {"price_min": "over {sign}{:,.0f}", "price_max": "under {sign}{:,.0f}", "brand": "brand: {}",
               "colour": "colour: {}", "size": "size: {}"}

data_dir = state.data_dir()
state.init_search_from_url()

st.title(":material/search: Search")
st.markdown("Type what a shopper would. The app reads what the query asks for (its **intent**, and details such "
            "as a size, colour or price), finds products by their words and by their meaning, lets a reranker "
            "read each one against the query, and scores every product as a **sum of named parts** whose weights "
            "follow the intent. Move the weights in the sidebar and watch ranks move.",
            help="Words: BM25. Meaning: the MiniLM bi-encoder's cosine similarity. Reranker: a cross-encoder that "
                 "reads query and product together. Each result's 'Why' button shows every part's number.")
layout.measured(("search", "search_hard", "search_easy"))

examples = loaders.example_queries(data_dir)
st.text_input("Search", key=state.SEARCH_QUERY, max_chars=5000,
              placeholder=f"e.g. {examples[0]}" if examples else "type what a shopper would")
example = st.pills("Examples", examples, key="search_example", label_visibility="collapsed")
if example and example != st.session_state.get("_last_example"):
    st.session_state["_last_example"] = example
    st.session_state[state.SEARCH_QUERY] = example
    st.rerun()
c1, c2, c3 = st.columns([2, 3, 3])
mode = c1.segmented_control("Mode", state.MODES, key=state.SEARCH_MODE)
presets = list(PRESET_LABELS)
preset = c2.selectbox("Ranking" if mode != "Side by side" else "Left", presets, key=state.SEARCH_PRESET,
                      format_func=PRESET_LABELS.get)
preset_b = c3.selectbox("Right", presets, key=state.SEARCH_PRESET_B, format_func=PRESET_LABELS.get,
                        disabled=mode != "Side by side")

query = st.session_state[state.SEARCH_QUERY]
overrides = st.session_state[state.SEARCH_WEIGHTS]
if not query.strip():
    state.sync_search_to_url()
    st.info("Type a query above, or click an example.")
    st.stop()

ignored = frozenset(st.session_state[state.SEARCH_IGNORED_SLOTS].get(query, ()))
eng = loaders.engine_with_embeddings(data_dir)  # after the controls: the first visit may encode the catalog
sign = eng.catalog.currency  # prices in the data set's own currency
shopper = state.shopper_history()
user = None
if len(shopper):
    personalise = st.toggle(f"Personalise for the shopper ({len(shopper)} events on the Shopper page)",
                            key=state.SHOPPER_PERSONALISE,
                            help="Adds the 'personal' component: the product's fit with the shopper's profile.")
    user = eng.profile(shopper, st.session_state[state.SHOPPER_CLOCK]) if personalise else None
try:
    with st.spinner("Searching…"):
        res = eng.search(query, k=10, weights=overrides, settings=SearchSettings(preset=preset), ignore_slots=ignored,
                         user=user)
except ValueError as exc:
    st.error(str(exc))
    st.stop()
state.sync_search_to_url()
for note in res.notices:
    st.warning(note)

# ---- what the query means ----
intent = res.intent
with st.container(border=True):
    left, right = st.columns([2, 3])
    if intent is None:
        left.markdown("**Intent:** not read (no intent model yet: see the note above)")
        if res.category:
            left.markdown(f"**Category** (read from the catalog's category names): {S.leaf(res.category)} · "
                          f"{res.category_confidence:.0%}")
    else:
        alts = sorted(intent.probabilities.items(), key=lambda kv: -kv[1])[1:4]
        left.markdown(f"**Intent:** {layout.label_text(intent.label)} · {intent.confidence:.0%}  \n"
                      + " · ".join(f"{layout.label_text(k)} {v:.0%}" for k, v in alts))
        if res.category and intent.label != "support":
            unsure = " (unsure)" if res.category_confidence < 0.2 else ""
            left.markdown(f"**Category:** {S.leaf(res.category)} · {res.category_confidence:.0%}{unsure}")
        _, attributions = eng.models.explain_intent(res.query)
        right.markdown(f"**Which words made it *{layout.label_text(intent.label)}***")
        right.plotly_chart(figures.token_attributions(layout.label_text(intent.label), [a.token for a in attributions],
                                                      [a.weight for a in attributions]), width="stretch")
    chips = {SLOT_LABELS[k].format(v, sign=eng.catalog.currency): k for k, v in res.parsed_slots.items()}
    if chips:  # read from the words alone: shown with or without an intent model
        kept = left.pills("Understood from your words (click to remove)", list(chips), selection_mode="multi",
                          default=[c for c, k in chips.items() if k not in ignored], key=f"chips_{query}")
        removed = sorted(chips[c] for c in chips if c not in kept)
        if set(removed) != set(ignored):
            st.session_state[state.SEARCH_IGNORED_SLOTS][query] = removed
            st.rerun()
    if left.button("Label this query", icon=":material/label:", type="tertiary",
                   help="Add it to the Annotate page's queue, so annotators label it (a wrong intent, say)."):
        added = eng.labels.add_to_queue([res.query], source="search page")
        st.toast("Added to the labelling queue (Annotate page)." if added else "Already in the labelling queue.")
card_slot = st.empty()  # the evidence card's button, once every list on the page is known (end of the page)


def show_items(result, baseline=None, compact: bool = False) -> None:
    """The ranked list; ``baseline`` (same query, default weights) gives each item's rank movement."""
    if result.help:
        st.markdown("**This reads as a support question**, so here is help first:")
        for a in result.help:
            with st.container(border=True):
                st.markdown(f"**{html.escape(a.title)}**  \n{html.escape(a.body)}")
        if not result.items:
            return
        st.markdown("**Products matching your words**, in case you were shopping:")
    if not result.items:
        st.warning(f"No product matches “{html.escape(result.query)}”.")
        if result.suggestions:
            st.markdown("Try: " + " · ".join(f"**{s}**" for s in result.suggestions))
        return
    moves = result.moves_from(baseline) if baseline else {}
    for it in result.items:
        m = moves.get(it.product_id, 0)
        move = (" · :blue-badge[new]" if m == "new" else f" · :green[▲{m}]" if m > 0
                else f" · :red[▼{-m}]" if m < 0 else "")
        with st.container(border=True):
            rating = f"★ {it.rating:.1f} ({it.rating_count:,})" if it.rating is not None else "no ratings"
            promo = f" · :orange-badge[{html.escape(it.promotion)}]" if it.promotion else ""
            promo += f" · :gray-badge[{len(it.variants) + 1} variants]" if it.variants else ""
            image = eng.catalog.product(it.product_id).get(S.IMAGE_URL)
            text = _with_thumbnail(image) if isinstance(image, str) and image.startswith("http") else st.container()
            text.markdown(f"**{it.rank}. {html.escape(it.title)}**{move}  \n{html.escape(it.brand)} · "
                          f"{layout.price_md(it.price, sign)} · {rating}{promo}")
            if compact:
                text.caption(f"score {it.score:.3f}")
                continue
            text.caption(" · ".join(html.escape(r) for r in it.reasons[:3]))
            row = text.container(horizontal=True)
            with row.popover(f"Why: score {it.score:.3f}", icon=":material/bar_chart:"):
                st.markdown("\n".join(f"- {html.escape(r)}" for r in it.reasons))
                st.plotly_chart(figures.score_waterfall(it.components, it.score), width="stretch",
                                key=f"wf_{result.settings.preset}_{it.product_id}")
            if it.variants:
                with row.popover(f"{len(it.variants) + 1} products share this title"):
                    for pid in (it.product_id, *it.variants):
                        v = eng.catalog.product(pid)
                        desc = v.get(S.DESCRIPTION) if isinstance(v.get(S.DESCRIPTION), str) else ""
                        tells = ", ".join(f"{k}: {x}" for k, x in list(v[S.ATTRIBUTES].items())[:4]) or desc[:120]
                        st.markdown(f"- {state.plain(pid)} · {layout.price_md(v[S.PRICE], sign)} · "
                                    f"{state.plain(tells)}")
            with row:
                layout.shopper_actions(it.product_id, f"search_{it.product_id}", result.query, it.rank - 1)


def _with_thumbnail(url: str):
    """A small product picture on the left; returns the column the card's text goes in."""
    pic, text = st.columns([1, 9], vertical_alignment="center")
    pic.image(url, width=64)
    return text


res_b = None
if mode == "Side by side":
    res_b = eng.search(query, k=10, weights=overrides, settings=SearchSettings(preset=preset_b), ignore_slots=ignored,
                       user=user)
    a_ids, b_ids = {i.product_id for i in res.items}, {i.product_id for i in res_b.items}
    if a_ids or b_ids:
        st.metric("Top-10 overlap", f"{len(a_ids & b_ids)} of {max(len(a_ids), len(b_ids))}",
                  help="Products in both lists' top 10.")
    left, right = st.columns(2)
    with left:
        st.subheader(PRESET_LABELS[preset])
        show_items(res, compact=True)
    with right:
        st.subheader(PRESET_LABELS[preset_b])
        show_items(res_b, compact=True)
else:
    if intent is not None and intent.label == "compare" and res.items:
        picks = res.best_per_brand(3)
        st.markdown("**Compared side by side** (best result of each brand)")
        cols = st.columns(len(picks))
        for col, it in zip(cols, picks):
            with col.container(border=True):
                rating = f"★ {it.rating:.1f} ({it.rating_count:,} ratings)" if it.rating is not None else "no ratings"
                st.markdown(f"**{html.escape(it.title)}**  \n{html.escape(it.brand)} · "
                            f"{layout.price_md(it.price, sign)}  \n"
                            f"{rating}  \n{S.leaf(it.category)} · score {it.score:.3f}")
    baseline = None
    if overrides:
        baseline = eng.search(query, k=10, settings=SearchSettings(preset=preset), ignore_slots=ignored, user=user)
    t = res.timings_ms
    if res.items:
        st.caption(f"{len(res.items)} results in {t.get('total', 0):.0f} ms (understand "
                   f"{t.get('understand', 0):.0f}, retrieve {t.get('retrieve', 0):.0f}, rerank "
                   f"{t.get('rerank', 0):.0f}, rank {t.get('rank', 0):.0f} ms)")
    show_items(res, baseline)

with card_slot:
    evidence.download(lambda: evidence.search_card(eng, data_dir, res, res_b, len(shopper) if user else 0), "Search",
                      res.query, key="evidence_search")

# ---- weights: sidebar sliders, defaults from the intent ----
with st.sidebar:
    st.markdown("**Ranking weights**")
    label = intent.label if intent else None
    st.caption(f"Defaults for intent *{layout.label_text(label) if label else 'unknown'}*. "
               "Moved weights stay in the URL.")
    active = next((p for p in eng.searches.profiles() if p["active"]), None)
    st.caption(f":material/tune: Ranking profile {layout.version_text(active['version'], verb='tuned')}: "
               f"{state.plain(active['why'])}" if active
               else ":material/tune: Ranking profile: the default settings (tune one on the Evaluate page).")
    defaults = eng.searches.weights(label, shopper=user is not None and not user.is_empty).as_dict()
    for c in COMPONENTS:
        st.slider(c, *WEIGHT_RANGE, float(overrides.get(c, defaults[c])), 0.05, key=f"w_{c}_{label}",
                  on_change=state.set_weight, args=(c, f"w_{c}_{label}", defaults[c]))
    if overrides and st.button("Reset to the intent's defaults"):
        state.reset_weights()
        st.rerun()
    if overrides and label and st.button(f"Save as the defaults of *{layout.label_text(label)}*",
                                         help="Every search read as this intent starts from these weights "
                                              "(saved in the data set's ranking profile)."):
        eng.searches.save_weights(label, {k: v for k, v in {**defaults, **overrides}.items() if k != "personal"})
        state.reset_weights()
        st.rerun()
