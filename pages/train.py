"""Train page: fine-tune the intent classifier live, compare it with the active version, activate it."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ecomrec import schema as S
from ecomrec.models.intent import IntentConfig, TrainProgress
from ecomrec.ui import figures, layout, loaders, state

layout.page_setup("Train")
eng = loaders.engine(state.data_dir())
reg = eng.registry
st.session_state.setdefault("trained_version", None)

st.title(":material/model_training: Train")
st.markdown("Fine-tune a transformer, starting from the packaged MiniLM weights, on this data set's "
            "labelled queries; watch the loss fall; compare the new version with the active one on the "
            "held-out test queries, and activate it if it is better. The reranker, bi-encoder and "
            "sequential recommender join this page as they are built.")

train_n = int(eng.data.queries[S.INTENT].notna().sum())
test_n = int(eng.data.queries_test[S.INTENT].notna().sum())
with st.container(border=True):
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    c1.selectbox("Model", ["Intent classifier"], help="Shopping intent of a query (8 classes).")
    method = c2.radio("Fine-tuning", ["Full", "LoRA"], horizontal=True,
                      help="LoRA trains small adapter matrices instead of every weight: faster, lighter.")
    defaults = IntentConfig()
    epochs = c3.number_input("Epochs", 1, 20, defaults.epochs)
    lr = c4.number_input("Learning rate", 1e-6, 1e-2, format="%.0e", key=f"lr_{method}",
                         value=defaults.lora_learning_rate if method == "LoRA" else defaults.learning_rate)
    st.caption(f"Data set **{eng.data.name}**: {train_n:,} labelled training queries (10 % kept for early "
               f"stopping), {test_n:,} held-out test queries. Device: `{eng.status()['device']}`.")
    start = st.button("Train a new version", type="primary", disabled=train_n < 2)
    if train_n < 2:
        st.info("This data set has no intent-labelled queries to train on. Pick the sample shop in the sidebar.")

if start:
    overrides = {"epochs": int(epochs), "lora": method == "LoRA", "seed": eng.config.seed,
                 ("lora_learning_rate" if method == "LoRA" else "learning_rate"): float(lr)}
    bar = st.progress(0.0, text="Loading the base model…")
    chart = st.empty()
    losses: list[float] = []
    val_points: list[tuple[int, float]] = []

    def on_step(p: TrainProgress) -> None:
        losses.append(p.loss)
        if p.val_macro_f1 is not None:
            val_points.append((p.step, p.val_macro_f1))
        bar.progress(p.step / p.total_steps,
                     text=f"Epoch {p.epoch} · step {p.step}/{p.total_steps} · loss {p.loss:.3f}")
        if p.step % 10 == 0 or p.val_macro_f1 is not None or p.step == p.total_steps:
            chart.plotly_chart(figures.loss_curve(losses, val_points), width="stretch")

    try:
        manifest = eng.train_intent(IntentConfig(**overrides), on_step)
    except ValueError as exc:
        st.error(str(exc))
    else:
        bar.progress(1.0, text=f"Done in {manifest.train_s:.0f} s: saved as version {manifest.version}")
        st.session_state["trained_version"] = manifest.version

versions = reg.versions("intent")
active = reg.active("intent")
new = st.session_state["trained_version"]
if new and new in {m.version for m in versions}:
    st.subheader(f"New version {new}")
    new_m = reg.manifest("intent", new)
    act_m = reg.manifest("intent", active) if active and active != new else None
    keys = [k for k in ("test_macro_f1", "test_accuracy", "val_macro_f1") if k in new_m.metrics]
    cols = st.columns(len(keys) + 1)
    for col, k in zip(cols, keys):
        delta = None
        if act_m is not None and k in act_m.metrics:
            delta = f"{new_m.metrics[k] - act_m.metrics[k]:+.3f} vs active"
        col.metric(k.replace("_", " "), f"{new_m.metrics[k]:.3f}", delta)
    cols[-1].metric("training time", f"{new_m.train_s:.0f} s")
    if test_n:
        per = {k[len("test_f1/"):]: v for k, v in new_m.metrics.items() if k.startswith("test_f1/")}
        per_act = None if act_m is None else {k[len("test_f1/"):]: v for k, v in act_m.metrics.items()
                                              if k.startswith("test_f1/")}
        left, right = st.columns(2)
        left.markdown("**F1 per intent** on the held-out test queries")
        left.plotly_chart(figures.per_class_f1(per, per_act), width="stretch")
        preds = eng.intent_test_predictions(new)
        right.markdown("**Confusion matrix** (share of each true intent)")
        right.plotly_chart(figures.confusion_matrix(preds["true"].tolist(), preds["pred"].tolist()), width="stretch")
    if active == new:
        st.success("This version is active.")
    elif st.button(f"Activate version {new}"):
        reg.activate("intent", new)
        st.rerun()

st.subheader("Versions")
if not versions:
    st.info("No intent model trained yet: train one above, or run `python -m ecomrec train intent`.")
else:
    table = pd.DataFrame([{"version": m.version, "active": m.version == active, "created": m.created,
                           "method": "LoRA" if m.hyperparameters.get("lora") else "full",
                           "epochs": m.metrics.get("epochs_run"), "test macro-F1": m.metrics.get("test_macro_f1"),
                           "train s": m.train_s, "device": m.device} for m in reversed(versions)])
    st.dataframe(table, hide_index=True, width="stretch")
    choice = st.selectbox("Switch the active version", table["version"].tolist(),
                          index=0 if active is None else table["version"].tolist().index(active))
    if choice != active and st.button("Make it active"):
        reg.activate("intent", choice)
        st.rerun()
