"""Train page: fine-tune a model live, compare it with the active version, activate it, try it."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ecomrec import schema as S
from ecomrec.models.roles import ROLES
from ecomrec.models.training import TrainProgress
from ecomrec.ui import figures, layout, loaders, state

BY_LABEL = {r.label: r for r in ROLES.values()}

layout.page_setup("Train")
eng = loaders.engine(state.data_dir())
reg = eng.registry
st.session_state.setdefault("trained_version", {})  # role -> version trained in this session

st.title(":material/model_training: Train")
st.markdown("Fine-tune a transformer, starting from the packaged MiniLM weights, on this data set: watch "
            "the loss fall, compare the new version with the active one on the held-out test queries, and "
            "activate it if it is better. Data comes from the data set chosen in the sidebar (sample or "
            "imported).")

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    spec = BY_LABEL[c1.selectbox("Model", list(BY_LABEL))]
    role, config_cls, about = spec.name, spec.config_class(), spec.about
    method = c2.radio("Fine-tuning", ["Full", "LoRA"], horizontal=True, disabled=not spec.lora,
                      help="LoRA trains small adapter matrices instead of every weight: faster, lighter.")
    lora = method == "LoRA" and spec.lora
    defaults = config_cls()
    epochs = c3.number_input("Epochs", 1, 60, defaults.epochs)
    lr = c4.number_input("Learning rate", 1e-6, 1e-2, format="%.0e", key=f"lr_{role}_{lora}",
                         value=defaults.lora_learning_rate if lora else defaults.learning_rate)
    st.caption(about)
    train_n = int(eng.data.queries[S.INTENT].notna().sum())
    test_n = int(eng.data.queries_test[S.INTENT].notna().sum())
    searches = int(eng.data.events[S.QUERY].notna().sum())
    shoppers = int(eng.data.events[S.USER_ID].nunique())
    st.caption(f"Data set **{eng.data.name}**: {train_n:,} labelled training queries, {test_n:,} held-out test "
               f"queries, {searches:,} search clicks, {shoppers:,} shoppers' histories. "
               f"Device: `{eng.status()['device']}`.")
    missing = spec.cannot_train(eng.data)
    start = st.button("Train a new version", type="primary", disabled=missing is not None)
    if missing:
        st.info(f"Cannot train the {spec.label.lower()}: {missing}. Until one is trained: {spec.without}")
    else:
        st.caption("A run can be cancelled while it trains; nothing half-trained is saved.")
layout.report_cancelled()

if start:
    overrides = {"epochs": int(epochs), "seed": eng.config.seed,
                 ("lora_learning_rate" if lora else "learning_rate"): float(lr)}
    if spec.lora:
        overrides["lora"] = lora
    bar = st.progress(0.0, text="Preparing training data and loading the base model…")
    chart = st.empty()
    losses: list[float] = []
    val_points: list[tuple[int, float]] = []

    def on_step(p: TrainProgress) -> None:
        losses.append(p.loss)
        if p.val_metric is not None:
            val_points.append((p.step, p.val_metric))
        bar.progress(min(1.0, p.step / max(1, p.total_steps)),
                     text=f"Epoch {p.epoch} · step {p.step}/{p.total_steps} · loss {p.loss:.3f}")
        if p.step % 10 == 0 or p.val_metric is not None or p.step == p.total_steps:
            chart.plotly_chart(figures.loss_curve(losses, val_points, p.metric_name), width="stretch")

    layout.training_started(spec.label)
    try:
        with st.spinner("Training, then measuring on the held-out test queries…"):
            manifest = eng.train(role, config_cls(**overrides), on_step)
    except ValueError as exc:
        layout.training_finished()
        st.error(str(exc))
    else:
        layout.training_finished()
        bar.progress(1.0, text=f"Done: trained in {manifest.train_s:.0f} s, saved as version {manifest.version}")
        st.session_state["trained_version"][role] = manifest.version

versions = reg.versions(role)
active = reg.active(role)
new = st.session_state["trained_version"].get(role)
if new and new in {m.version for m in versions}:
    st.subheader(f"New version {new}")
    new_m = reg.manifest(role, new)
    act_m = reg.manifest(role, active) if active and active != new else None
    keys = [k for k in ("test_macro_f1", "test_accuracy", "test_category_accuracy", "test_ndcg@10", "test_mrr",
                        "test_recall@50", "sequential_hr@10", "blend_hr@10", "blend_ndcg@10") if k in new_m.metrics]
    cols = st.columns(len(keys) + 1)
    for col, k in zip(cols, keys):
        delta = None
        if act_m is not None and k in act_m.metrics:
            delta = f"{new_m.metrics[k] - act_m.metrics[k]:+.3f} vs active"
        col.metric(k.replace("test_", "").replace("_", " "), f"{new_m.metrics[k]:.3f}", delta)
    cols[-1].metric("training time", f"{new_m.train_s:.0f} s")
    headline, base_key, base_name = spec.headline, spec.baseline, spec.baseline_name
    if role == "intent" and test_n and "test_macro_f1" in new_m.metrics:
        per = {k[len("test_f1/"):]: v for k, v in new_m.metrics.items() if k.startswith("test_f1/")}
        per_act = None if act_m is None else {k[len("test_f1/"):]: v for k, v in act_m.metrics.items()
                                              if k.startswith("test_f1/")}
        left, right = st.columns(2)
        left.markdown("**F1 per intent** on the held-out test queries (phrasings never seen in training)")
        left.plotly_chart(figures.per_class_f1(per, per_act), width="stretch")
        preds = eng.intent_test_predictions(new)
        right.markdown("**Confusion matrix** (share of each true intent)")
        right.plotly_chart(figures.confusion_matrix(preds["true"].tolist(), preds["pred"].tolist()), width="stretch")
    elif role == "sequential":
        bars = {name: new_m.metrics[f"{key}_hr@10"] for name, key in (
            ("popularity", "popularity"), ("popular in the last item's category", "category_popularity"),
            ("item-kNN", "item_knn"), ("sequential", "sequential"), ("blend", "blend"))
            if f"{key}_hr@10" in new_m.metrics}
        if act_m is not None and headline in act_m.metrics:
            bars["active blend"] = act_m.metrics[headline]
        st.markdown(f"**HR@10** on {new_m.metrics['shoppers']:,} shoppers' held-out last product (full ranking over "
                    "the whole catalog)")
        st.plotly_chart(figures.metric_bars(bars, "HR@10"), width="stretch")
        rule = bars.get("popular in the last item's category")
        if rule is not None and bars["blend"] <= rule:
            st.warning(f"The blend ({bars['blend']:.3f}) does not beat the plain rule \"most popular in the last "
                       f"item's category\" ({rule:.3f}) on this data set: the transformer adds nothing here yet.")
    elif headline in new_m.metrics:
        bars = {base_name: new_m.metrics[base_key]} if base_key in new_m.metrics else {}
        if act_m is not None and headline in act_m.metrics:
            bars["active version"] = act_m.metrics[headline]
        bars["new version"] = new_m.metrics[headline]
        st.markdown(f"**NDCG@10** on {new_m.metrics.get('test_queries', 0)} held-out test queries (relevance: "
                    "the query's category, plus clicks and purchases shoppers made from it)")
        st.plotly_chart(figures.metric_bars(bars, "NDCG@10"), width="stretch")
    if role == "biencoder" and not new_m.metrics.get("beats_base"):
        st.warning("This version does not beat the packaged model on the validation queries, so retrieval keeps "
                   "using the packaged model. It stays in the registry for inspection.")
    elif active == new:
        st.success("This version is active.")
    elif st.button(f"Activate version {new}"):
        eng.activate(role, new)
        st.rerun()

if role == "intent" and active:
    st.subheader("Try the active intent model")
    text = st.text_input("Query", "cheap waterproof tent for my dad", max_chars=500,
                         help="Type any shopping query: the model's intent, category and which words drove it.")
    if text.strip():
        u = eng.understand(text)
        pred = u.intent
        explained, attributions = eng.explain_intent(text)
        left, right = st.columns(2)
        category = f" · category **{u.category}** ({u.category_confidence:.0%})" if u.category else ""
        left.markdown(f"Intent **{pred.label.replace('_', ' ')}** ({pred.confidence:.0%}){category}")
        left.plotly_chart(figures.intent_probabilities(pred.probabilities), width="stretch")
        right.markdown(f"**Which words drove *{explained.replace('_', ' ')}*** (occlusion: the drop in its "
                       "log-odds when the word is left out)")
        right.plotly_chart(figures.token_attributions(explained, [a.token for a in attributions],
                                                      [a.weight for a in attributions]), width="stretch")
    else:
        st.info("Type a query to see what the model makes of it.")

st.subheader("Versions")
if not versions:
    st.info(f"No {role} model trained yet: train one above, or run `python -m ecomrec train {role}`.")
else:
    headline = spec.headline
    table = pd.DataFrame([{"version": m.version, "active": m.version == active, "created": m.created,
                           "method": "LoRA" if m.hyperparameters.get("lora") else "full",
                           "epochs": m.metrics.get("epochs_run", m.hyperparameters.get("epochs")),
                           headline.replace("test_", "test "): m.metrics.get(headline),
                           "train s": m.train_s, "device": m.device} for m in reversed(versions)])
    st.dataframe(table, hide_index=True, width="stretch")
    choice = st.selectbox("Switch the active version", table["version"].tolist(),
                          index=0 if active is None else table["version"].tolist().index(active))
    if choice != active and st.button("Make it active"):
        eng.activate(role, choice)
        st.rerun()
