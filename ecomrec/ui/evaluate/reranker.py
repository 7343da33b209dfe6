"""Train the reranker from judgments: a cross-encoder learns from the list's training queries alone; it joins the
search pipeline only when the full search with it beats the full search without it on the validation queries."""
from __future__ import annotations

import streamlit as st

from ecomrec.models.reranker import RerankerConfig
from ecomrec.ui.evaluate.common import REFUSED, RERANKER, num, run_long, started


def draw(eng, name: str) -> None:
    parts = eng.relevance.parts(name)
    train, val = parts["train"], parts["val"]
    st.markdown(f"The reranker reads each query with each candidate product and scores how well they match. Here it "
                f"learns from this list's **{len(train):,} training queries** (their judged products, plus unjudged "
                f"top results as likely misses). It **joins search only if** the full search with it beats the "
                f"full search without it on the **{len(val):,} validation queries**. Test queries are never read.")
    active = eng.models.active("reranker")
    st.caption(f"Active reranker now: {active or 'none'}.")
    c1, c2 = st.columns([2, 3], vertical_alignment="bottom")
    epochs = int(c1.number_input("Passes over the training pairs (epochs)", 1, 5, 1, key="evaluate_rr_epochs",
                                 help="The best pass on validation is kept; more passes take longer."))
    ready = bool(train) and bool(val)
    if c2.button("Train the reranker from judgments", type="primary", disabled=not ready, key="evaluate_rr_train"):
        _train(eng, name, train, val, epochs)
    if not ready:
        st.info("The list needs training and validation queries with relevant products to train a reranker.")
    done = st.session_state.get(RERANKER)
    if done is not None and done[0] == name:
        _report(eng, done[1])


def _train(eng, name: str, train: dict, val: dict, epochs: int) -> None:
    slot = started("the reranker training")
    bar = st.progress(0.0, text="Preparing the training pairs…")

    def progress(p) -> None:
        bar.progress(min(1.0, p.step / max(1, p.total_steps)),
                     text=f"epoch {p.epoch} · step {p.step}/{p.total_steps} · loss {p.loss:.3f}")

    def pipeline_val(reranker) -> float:
        bar.progress(1.0, text="Comparing the search with and without it on validation…")
        return eng.relevance.pipeline_ndcg(val, reranker)

    manifest = run_long(slot, bar, lambda: eng.models.train_reranker_on_judgments(
        train, val, RerankerConfig(epochs=epochs), progress, pipeline_val=pipeline_val))
    if manifest is REFUSED:
        return
    st.session_state[RERANKER] = (name, manifest.version)


def _report(eng, version: str) -> None:
    m = eng.models.manifest("reranker", version).metrics
    with_it, without = m.get("val_pipeline_ndcg@10"), m.get("val_pipeline_without_ndcg@10")
    c = st.columns(3)
    c[0].metric("Validation NDCG@10 with it", num(with_it))
    c[1].metric("Without a reranker", num(without))
    c[2].metric("Training pairs", f"{m.get('pairs', 0):,}", help=f"{m.get('judged_pairs', 0):,} judged by the list; "
                "the rest are unjudged top results taken as misses.")
    if m.get("beats_without"):
        st.success(f"Version {version} **joined the search pipeline**: it is the active reranker now "
                   f"({num(with_it)} against {num(without)} without it on validation).")
    else:
        active = eng.models.active("reranker")
        st.info(f"Version {version} **did not join**: on validation the search scored {num(with_it)} with it and "
                f"{num(without)} without it. It is saved but not active"
                + (f"; the active reranker stays {active}." if active else "."))
