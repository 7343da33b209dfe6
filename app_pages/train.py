"""Train page: fine-tune a model live, compare it with the active version, activate it, try it.

Every role, and what its report shows, comes from the role table (:data:`ecomrec.roles.ROLES`); every
model operation goes through ``eng.models``.
"""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from ecomrec.roles import ROLES, Role
from ecomrec.ui import figures, layout, loaders, method_choice, state

if TYPE_CHECKING:
    from ecomrec.models.registry import Manifest
    from ecomrec.models.training import TrainProgress

BY_LABEL = {r.label: r for r in ROLES.values()}


def show_numbers(spec: Role, new_m: Manifest, act_m: Manifest | None) -> None:
    """The report's numbers, each with its change against the active version, and the training time."""
    shown = [(k, label) for k, label in spec.report.numbers if k in new_m.metrics]
    cols = st.columns(len(shown) + 1)
    for col, (k, label) in zip(cols, shown):
        delta = None
        if act_m is not None and k in act_m.metrics:
            delta = f"{new_m.metrics[k] - act_m.metrics[k]:+.3f} vs active"
        col.metric(label, f"{new_m.metrics[k]:.3f}", delta)
    cols[-1].metric("training time", f"{new_m.train_s:.0f} s")


def show_chart(spec: Role, new_m: Manifest, act_m: Manifest | None, models) -> None:
    """The report's chart of the new version (beside the active one), and its warning when it applies;
    ``models`` is the engine's model service (held-out predictions for the confusion matrix)."""
    report, metrics = spec.report, new_m.metrics
    fill = defaultdict(int, metrics)  # caption fields: 0 when the manifest lacks them
    if report.chart == "classes":
        def per_class(m: Manifest) -> dict[str, float]:
            return {k[len(report.per_class):]: v for k, v in m.metrics.items() if k.startswith(report.per_class)}

        left, right = st.columns(2)
        left.markdown(report.captions[0].format_map(fill))
        left.plotly_chart(figures.per_class_f1(per_class(new_m), None if act_m is None else per_class(act_m)),
                          width="stretch")
        preds = models.intent_test_predictions(new_m.version)
        right.markdown(report.captions[1].format_map(fill))
        right.plotly_chart(figures.confusion_matrix(preds["true"].tolist(), preds["pred"].tolist()), width="stretch")
    else:
        bars = {b.label: source.metrics[b.metric] for b in report.bars
                if (source := act_m if b.active else new_m) is not None and b.metric in source.metrics}
        st.markdown(report.captions[0].format_map(fill))
        st.plotly_chart(figures.metric_bars(bars, report.axis), width="stretch")
    if report.beats and all(k in metrics for k in report.beats):
        value, rule = (metrics[k] for k in report.beats)
        if value <= rule:
            st.warning(report.beats_warning.format(value=value, rule=rule))


eng = loaders.engine(state.data_dir())
models = eng.models
st.session_state.setdefault("trained_version", {})  # role -> version trained in this session

st.title(":material/model_training: Train")
st.markdown("Fine-tune a transformer, starting from the packaged MiniLM weights, on this data set: watch "
            "the loss fall, compare the new version with the active one on the held-out test queries, and "
            "activate it if it is better. Data comes from the data set chosen in the sidebar (sample or "
            "imported).")

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    spec = BY_LABEL[c1.selectbox("Model", list(BY_LABEL))]
    role, config_cls = spec.name, spec.config
    method = c2.radio("Fine-tuning", ["Full", "LoRA"], horizontal=True, disabled=not spec.lora,
                      help="LoRA trains small adapter matrices instead of every weight: faster, lighter.")
    lora = method == "LoRA" and spec.lora
    defaults = config_cls()
    epochs = c3.number_input("Epochs", 1, 60, defaults.epochs)
    lr = c4.number_input("Learning rate", 1e-6, 1e-2, format="%.0e", key=f"lr_{role}_{lora}",
                         value=defaults.lora_learning_rate if lora else defaults.learning_rate)
    student = None
    if hasattr(defaults, "student_layers"):
        student = st.number_input(
            "Smaller, faster copy (layers; 0 = none)", 0, 5, defaults.student_layers,
            help="After training, a copy with this many of MiniLM's 6 layers learns to give the same scores "
                 "(distillation). Search uses it only if it ranks the validation queries within 0.01 NDCG@10 "
                 "of the full model; fewer layers answer faster.")
    st.caption(spec.about)
    counts = eng.catalog.counts()
    st.caption(f"Data set **{eng.catalog.name}**: {counts['labelled_queries']:,} labelled training queries, "
               f"{counts['labelled_test_queries']:,} held-out test queries, {counts['search_events']:,} search "
               f"clicks, {counts['shoppers']:,} shoppers' histories. Device: `{eng.status()['device']}`.")
    missing = models.cannot_train(role)
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
    if student is not None:
        overrides["student_layers"] = int(student)
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
            manifest = models.train(role, config_cls(**overrides), on_step)
    except ValueError as exc:
        layout.training_finished()
        st.error(str(exc))
    else:
        layout.training_finished()
        bar.progress(1.0, text=f"Done: trained in {manifest.train_s:.0f} s, saved as the version "
                                      f"{layout.version_text(manifest.version)}")
        st.session_state["trained_version"][role] = manifest.version

versions = models.versions(role)
active = models.active(role)
new = st.session_state["trained_version"].get(role)
if new and new in {m.version for m in versions}:
    st.subheader(f"New version: {layout.version_text(new)}")
    new_m = models.manifest(role, new)
    act_m = models.manifest(role, active) if active and active != new else None
    show_numbers(spec, new_m, act_m)
    if "distilled_why" in new_m.metrics:  # the reranker's smaller copy: used or not, and why
        m = new_m.metrics
        words = (f"The {m['student_layers']}-layer copy is this version: it ranks the validation queries almost "
                 f"as well as the full {m['teacher_layers']}-layer model and answers faster" if m["distilled"] else
                 f"The {m['student_layers']}-layer copy is not used: it ranked the validation queries clearly worse "
                 f"than the full {m['teacher_layers']}-layer model, which is this version")
        test = (f"; on the held-out test queries the full model had {m['teacher_test_ndcg@10']:.3f}"
                if "teacher_test_ndcg@10" in m else "")
        st.info(f"{words}. NDCG@10 on validation: copy {m['student_val_ndcg@10']:.3f}, full model "
                f"{m['teacher_val_ndcg@10']:.3f}{test}.", icon=":material/compress:")
    if spec.headline in new_m.metrics:
        show_chart(spec, new_m, act_m, models)
    if spec.report.methods:
        method_choice.draw(models, new, key="train")
    flag = spec.report.activated_if
    if flag and not new_m.metrics.get(flag):
        st.warning(spec.report.not_activated)
    elif active == new:
        st.success("This version is active.")
    elif st.button(f"Activate the version {layout.version_text(new)}"):
        models.activate(role, new)
        st.rerun()
elif spec.report.methods and active:  # trained earlier (another session, the CLI): how its method was chosen
    st.subheader(f"The active version, {layout.version_text(active)}: how its method was chosen")
    method_choice.draw(models, active, key="train_active")

if spec.report.try_it and active:
    st.subheader(f"Try the active {role} model")
    text = st.text_input("Query", "cheap waterproof tent for my dad", max_chars=500,
                         help="Type any shopping query: the model's intent, category and which words drove it.")
    if text.strip():
        u = eng.searches.understand(text)
        pred = u.intent
        explained, attributions = models.explain_intent(text)
        left, right = st.columns(2)
        category = f" · category **{u.category}** ({u.category_confidence:.0%})" if u.category else ""
        left.markdown(f"Intent **{pred.label}** ({pred.confidence:.0%}){category}")
        left.plotly_chart(figures.intent_probabilities(pred.probabilities), width="stretch")
        right.markdown(f"**Which words drove *{explained}*** (occlusion: the drop in its "
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
    table = pd.DataFrame([{"version": layout.version_text(m.version), "active": m.version == active,
                           "id": m.version,
                           "method": m.metrics.get("method") or ("LoRA" if m.hyperparameters.get("lora") else "full")
                           + (f", {m.metrics['student_layers']}-layer copy" if m.metrics.get("distilled") else ""),
                           "epochs": m.metrics.get("epochs_run", m.hyperparameters.get("epochs")),
                           headline.replace("test_", "test "): m.metrics.get(headline),
                           "train s": m.train_s, "device": m.device} for m in reversed(versions)])
    st.dataframe(table, hide_index=True, width="stretch")
    copy = next((m.metrics for m in reversed(versions) if m.metrics.get("distilled")), None)
    if copy is not None and "teacher_test_ndcg@10" in copy:  # why a copy's number is lower, and why it serves
        st.caption(f"A **{copy['student_layers']}-layer copy** learned the scores of a full "
                   f"{copy['teacher_layers']}-layer reranker trained in the same run. Alone, it reranks the test "
                   f"queries a little worse ({copy['test_ndcg@10']:.4f} against the full model's "
                   f"{copy['teacher_test_ndcg@10']:.4f}), which is why its number above is lower; it was kept "
                   "because it ranked the validation queries within 0.01 of the full model, and it reranks about "
                   "twice as fast. To use a full model, train with a smaller, faster copy of 0 layers.")
    ids = table["id"].tolist()
    choice = st.selectbox("Switch the active version", ids, format_func=layout.version_text,
                          index=0 if active is None else ids.index(active))
    if choice != active and st.button("Make it active"):
        models.activate(role, choice)
        st.rerun()
