"""Tune the ranking: a ranking profile chosen on the list's validation queries (trial history, default vs active vs
tuned), activated on request with test measured for the report; every profile version, with rollback."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ecomrec.search.tuning import TuneConfig
from ecomrec.ui import state
from ecomrec.ui.evaluate import charts
from ecomrec.ui.evaluate.common import REFUSED, TUNED, TUNED_SAVED, flash, num, run_long, started

BUDGETS = (5, 15, 30, 60, 120, 300, 600)  # seconds; trial 0 (the active profile) always completes first
FIRST_TRIAL_S = 0.3  # per validation query: trial 0 encodes, reads and reranks each once (tuning.py measured ~15 s
# for 50 queries on 2 cores); later trials reuse that and take well under a second each
FEW_QUERIES = 30  # below this, a tuned gain on validation is said to be fragile (on CrowdFlower's ~50 validation
# queries per fold, tuning gained 0.01-0.03 there and 0.007 on test)


def draw(eng, name: str) -> None:
    parts = eng.relevance.parts(name)
    train, val, test = parts["train"], parts["val"], parts["test"]
    st.markdown(f"Tuning tries many ranking settings (which product fields BM25 reads, how word and meaning "
                f"matches are blended, how many candidates the reranker sees, each signal's weight) on this list's "
                f"**{len(train):,} training queries**, then keeps whichever of the ten best does best on its "
                f"**{len(val):,} validation queries** (tuned on few queries, settings learn those queries' quirks; "
                f"the second set checks). The **{len(test):,} test queries** are not looked at until you activate "
                "the result, so its test number stays honest.")
    if not val:
        st.info("This list has no validation queries with a relevant product: judge more queries to tune on.")
    else:
        _tune(eng, name, train, val)
        tuned = st.session_state.get(TUNED)
        if tuned is not None and tuned[0] == name:
            _result(eng, name, tuned[1], test)
    _versions(eng)


def _tune(eng, name: str, train: dict, val: dict) -> None:
    first = FIRST_TRIAL_S * len(train or val)
    suggested = next((b for b in BUDGETS if b >= first + 60), BUDGETS[-1])  # the first trial and ~100 more
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    budget = c1.select_slider("Time to spend", BUDGETS, value=suggested, format_func=lambda s: f"{s} s",
                              key="evaluate_tune_budget",
                              help="Tuning stops starting new trials after this long; the best so far is kept. "
                                   f"The first trial reads every query once (about {first:.0f} s "
                                   "here); each later trial takes well under a second.")
    if not c2.button(f"Tune on {len(train):,} + {len(val):,} queries" if train else
                     f"Tune on {len(val):,} validation queries", type="primary", key="evaluate_tune"):
        return
    slot = started("tuning")
    bar = st.progress(0.0, text="Trial 0: the active profile (the first trial encodes and reads every query)…")

    def progress(p) -> None:
        done = max(p.trial / max(1, p.n_trials), p.elapsed_s / max(1e-9, p.budget_s))
        bar.progress(min(1.0, done), text=f"trial {p.trial} · this one {p.ndcg:.3f} · best so far {p.best:.3f} · "
                                          f"{p.elapsed_s:.0f} / {p.budget_s:.0f} s")

    result = run_long(slot, bar, lambda: eng.searches.tune(val, TuneConfig(budget_s=float(budget)), progress=progress,
                                                           judgments_train=train))
    if result is REFUSED:
        return
    st.session_state[TUNED] = (name, result)
    st.session_state.pop(TUNED_SAVED, None)


def _result(eng, name: str, result, test: dict) -> None:
    st.markdown(f"**Validation NDCG@10** over {result.queries} queries, {len(result.trials)} trials "
                f"({result.elapsed_s:.0f} s, stopped by {result.stopped})")
    c = st.columns(3)
    c[0].metric("Default settings", num(result.val_ndcg_default))
    c[1].metric("Active profile", num(result.val_ndcg_active))
    c[2].metric("Tuned", num(result.val_ndcg_best), delta=f"{result.val_ndcg_best - result.val_ndcg_active:+.3f}"
                if result.improved else None, help="Against the active profile, on the same validation queries.")
    sampled = sum(1 for t in result.trials if not t.label)  # trials beyond the active profile and the defaults
    if sampled:
        on_train = result.train_queries > 0  # trials scored on the training queries; the lines are theirs too
        st.plotly_chart(charts.trial_history(
            result.history(), result.trials[0].ndcg if on_train else result.val_ndcg_active,
            result.trials[1].ndcg if on_train else result.val_ndcg_default,
            f"training ({result.train_queries} queries)" if on_train else "validation"),
            width="stretch", key="evaluate_tune_chart")
    saved = st.session_state.get(TUNED_SAVED)
    if not sampled and result.stopped != "trials" and not result.improved:
        st.warning("**Time ran out before tuning could try anything new**: only the active profile and the "
                   "defaults were measured (the first trial reads every query once, the slow part). "
                   "Give it more time and tune again.")
        return
    if not result.improved:
        st.info("**Tuning did not beat the active profile** on the validation queries: the active profile stays, "
                "and there is nothing new to activate. " + state.plain(result.why))
        return
    st.markdown(state.plain(result.why))
    if result.queries < FEW_QUERIES:
        st.caption(f":material/warning: Only {result.queries} validation queries: the best of many trials on so "
                   "few queries partly fits their noise, and the gain often shrinks or vanishes on new queries. "
                   "Judge more queries before trusting it; after activating, the test number below says whether "
                   "it held.")
    if saved is None:
        if st.button("Activate this profile", type="primary", key="evaluate_activate",
                     help="Saves it as a new ranking profile version and makes it active: the Search page and "
                          f"every search use it from now on. Then measures the {len(test):,} test queries once, "
                          "for the report."):
            with st.spinner("Saving, then measuring the test queries once…"):
                version = eng.searches.save_tuned(result, test or None)
            st.session_state[TUNED_SAVED] = version
            flash(f"Ranking profile {version} is active.")
            st.rerun()
        return
    metrics = next((p["metrics"] for p in eng.searches.profiles() if p["version"] == saved), {})
    if "test_ndcg@10_after" in metrics:
        before, after = metrics["test_ndcg@10_before"], metrics["test_ndcg@10_after"]
        said = (f"Version **{saved}** is active. On the {int(metrics['test_queries'])} test queries, which tuning "
                f"never saw, NDCG@10 went from {num(before)} to **{num(after)}** ({after - before:+.3f}).")
        (st.success if after >= before else st.warning)(
            said + ("" if after >= before else " Better on validation but not on test: the gain may not hold; "
                    "consider rolling back below."))
    else:
        st.success(f"Version **{saved}** is active (the list has no test queries to confirm it on).")


def _versions(eng) -> None:
    profiles = eng.searches.profiles()
    st.markdown("**Ranking profile versions**")
    if not profiles:
        st.caption("None saved yet: searches use the default settings.")
        return
    rows = []
    for p in reversed(profiles):
        m = p["metrics"]
        rows.append({"version": p["version"], "active": "✓" if p["active"] else "", "created": p["created"],
                     "validation NDCG@10": _arrow(m, "val_ndcg@10_before", "val_ndcg@10_after"),
                     "test NDCG@10": _arrow(m, "test_ndcg@10_before", "test_ndcg@10_after"), "why": p["why"]})
    st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
        "why": st.column_config.TextColumn("why", width="large"),
        "validation NDCG@10": st.column_config.TextColumn(help="Before → after, on the validation queries tuned on."),
        "test NDCG@10": st.column_config.TextColumn(help="Before → after, measured once after choosing.")})
    others = [p["version"] for p in reversed(profiles) if not p["active"]]
    if not others:
        return
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    version = c1.selectbox("Version", others, key="evaluate_rollback_version")
    c2.button("Roll back to this version", key="evaluate_rollback", on_click=_roll_back, args=(eng, version))


def _arrow(metrics: dict, before: str, after: str) -> str:
    return f"{num(metrics.get(before))} → {num(metrics.get(after))}" if before in metrics else ""


def _roll_back(eng, version: str) -> None:
    eng.searches.activate_profile(version)
    st.session_state.pop(TUNED_SAVED, None)
    flash(f"Ranking profile {version} is active again.")
