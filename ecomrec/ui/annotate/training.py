"""The Train from labels tab: a new intent version from the data set's labels plus the resolved annotations,
compared with the active one, activated on request; and a simulation of the uncertainty queue."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from ecomrec.ui import figures, loaders, method_choice
from ecomrec.ui.annotate.common import Choice

if TYPE_CHECKING:
    from ecomrec.services.labels import TrainingRows

TRAINED = "annotate_trained"  # the intent version trained here, reported until another is trained
CURVES = "annotate_curves"  # the last queue simulation
PER_LABEL = "annotate_per_label"  # the last learning curve (labels per label)


def draw(eng, c: Choice) -> None:
    """Training from annotations (only the shopping-intent set trains a model) and the queue simulation."""
    rows = eng.labels.training_rows()
    intent_set = eng.labels.INTENT_SET
    if c.set_name != intent_set:
        st.info(f"Training from annotations reads the **{intent_set}** set; pick it above. Other label sets are "
                "exported (Files tab) or reviewed here.")
    else:
        st.markdown(f"A new intent version learns from the data set's {rows.labelled_queries:,} labelled training "
                    f"queries plus **{rows.annotations:,} resolved annotations** (an annotation replaces the file's "
                    "label of the same query; annotated validation or test queries are left out). It is measured on "
                    "the held-out test queries beside the active version and is not active until you say so.")
        _own_labels_note()
        if st.button("Train from annotations", type="primary", disabled=rows.annotations == 0):
            _train(eng)
        if st.session_state.get(TRAINED):
            _report(eng, st.session_state[TRAINED], rows)
        _per_label_curve(eng)
    _simulation(eng, rows)


def _per_label_curve(eng) -> None:
    """Validation macro-F1 with 2, 4, 8 ... labelled queries per label: where more labels stop paying."""
    with st.expander("Where do more labels stop paying? (macro-F1 by labelled queries per label)"):
        st.caption("Trains the fast methods on at most 2, 4, 8 … labelled queries of each label and scores them on "
                   "the same validation queries (never the test queries). Where the line flattens, more labels of "
                   "the same kind add little; a label whose queries are few holds the curve back.")
        if st.button("Draw the curve"):
            with st.spinner("Training on growing shares of the labels…"):
                st.session_state[PER_LABEL] = eng.models.label_learning_curve()
        rows = st.session_state.get(PER_LABEL)
        if rows:
            st.plotly_chart(figures.labels_per_label_curve(rows), width="stretch", key="per_label_curve")
        elif rows is not None:
            st.caption("Needs labelled queries of at least two labels.")


def _own_labels_note() -> None:
    """What the bench measured on a shop's own labels: on its test split and with every query judged once
    (cross-fitting); a warning when the model did not beat the baseline."""
    own = (loaders.bench_results("annotation") or {}).get("own_labels", {})
    if "model_macro_f1" not in own:
        return
    worse = own["model_macro_f1"] < own["baseline_macro_f1"]
    cross = own.get("crossfit", {})
    also = (f" Judged on all {cross['queries']} of its queries, each predicted once by a model that never saw it: "
            f"{cross['model_macro_f1']:.2f} against {cross['baseline_macro_f1']:.2f} (p = {cross['p']:.2f}"
            + (", more than luck" if cross["p"] < 0.05 else ", no more than luck could give") + ")."
            if "model_macro_f1" in cross else "")
    if cross.get("repeats"):
        also += (f" Drawing those folds {len(cross['repeats'])} times, it led in {cross['model_ahead']} of them.")
    (st.warning if worse else st.caption)(
        f"Measured on a shop's own labels (bench `own_labels`: WANDS, {own['classes']} query classes, "
        f"{own['train_queries']} training queries): the method chosen on validation reaches macro-F1 "
        f"{own['model_macro_f1']:.2f} against TF-IDF + LR's {own['baseline_macro_f1']:.2f} on "
        f"{own['test_queries']} test queries (p = {own['p']:.2f})"
        + (". With a handful of labelled queries per label it does not beat the word-based baseline there: label "
           "more before trusting it." if worse else ".") + also)


def _train(eng) -> None:
    """Train an intent version (not activated), with a progress bar; remember it for the report."""
    bar = st.progress(0.0, text="Training…")
    try:
        manifest = eng.models.train("intent", progress=lambda p: bar.progress(
            min(1.0, p.step / max(1, p.total_steps)),
            text=f"epoch {p.epoch} · step {p.step}/{p.total_steps} · loss {p.loss:.3f}"), activate=False)
        st.session_state[TRAINED] = manifest.version
    except ValueError as exc:
        st.error(str(exc))
    bar.empty()


def _report(eng, version: str, rows: TrainingRows) -> None:
    """The new version against the active one: test macro-F1, annotations used, labels, changed predictions."""
    models = eng.models
    active = models.active("intent")
    new = models.manifest("intent", version).metrics
    old = models.manifest("intent", active).metrics if active and active != version else {}
    k1, k2, k3 = st.columns(3)
    comparable = "test_macro_f1" in new and "test_macro_f1" in old
    shown = f"{new['test_macro_f1']:.3f}" if "test_macro_f1" in new else "no test set"
    k1.metric("Test macro-F1, new", shown,
              delta=f"{new['test_macro_f1'] - old['test_macro_f1']:+.3f} vs active" if comparable else None)
    k2.metric("Annotations used", f"{new.get('annotations_used', 0):,}",
              help=f"{new.get('annotations_held_out', 0)} annotated held-out queries were left out.")
    k3.metric("Labels", len(models.intent(version).labels))
    method_choice.draw(models, version, key="annotate")
    if old and rows.labelled_test:
        _changed_predictions(eng, active, version)
    if active == version:
        st.success(f"Version {version} is active: Search reads intents with it now.")
    elif st.button(f"Activate {version}", type="primary"):
        models.activate("intent", version)
        st.rerun()


def _changed_predictions(eng, active: str, version: str) -> None:
    """The held-out queries whose predicted intent differs between the active and the new version."""
    before = eng.models.intent_test_predictions(active)
    after = eng.models.intent_test_predictions(version)
    changed = before.assign(new=after["pred"])[before["pred"] != after["pred"]]
    st.markdown(f"**{len(changed)} held-out queries changed prediction** "
                f"({int((changed['new'] == changed['true']).sum())} now right, "
                f"{int((changed['pred'] == changed['true']).sum())} were right before)")
    st.dataframe(changed.rename(columns={"pred": "active", "new": "new version"}), hide_index=True)


def _simulation(eng, rows: TrainingRows) -> None:
    with st.expander("Does the uncertainty queue need fewer labels? (a simulation on this data set)"):
        st.caption(f"Labels the {rows.distinct_labelled:,} training queries in batches of 100 with their known "
                   "intents as the annotator, least-sure first or at random, and scores a logistic regression on "
                   f"MiniLM embeddings after each batch on the {rows.labelled_test:,} held-out queries.")
        if st.button("Run the simulation", disabled=not rows.can_simulate):
            with st.spinner("Simulating annotation…"):
                st.session_state[CURVES] = eng.labels.simulate_queue_orders()
        sim = st.session_state.get(CURVES)
        if sim:
            st.plotly_chart(figures.learning_curves(sim.curves, sim.target), width="stretch")
            st.markdown(f"The uncertainty order reaches the F1 of all {sim.total:,} labels after **{sim.needed:,}** "
                        f"({sim.needed / sim.total:.0%} of them); random order needs all of them by definition.")
