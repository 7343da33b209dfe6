"""Annotate page: label queries with the keyboard, review agreement, edit label sets, export and import."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from ecomrec import schema as S
from ecomrec.annotation import agreement as A
from ecomrec.annotation.active import labels_to_match, learning_curves
from ecomrec.annotation.exchange import export_labels, import_labels, read_label_file, resolved_labels
from ecomrec.annotation.labelsets import INTENT_SET, category_labels
from ecomrec.annotation.queue import ORDERS, ordered_queue, progress
from ecomrec.annotation.store import GRADES, Label
from ecomrec.search.searcher import PRESET_LABELS
from ecomrec.ui import figures, layout, loaders, state

KEYS = 9  # labels 1-9 sit on the number keys; a longer set offers the rest in a list
ANNOTATOR, FLASH = state.ANNOTATOR, state.ANNOTATE_FLASH


def relevance_screen(eng, annotator: str) -> None:
    """Grade pooled (query, product) pairs E / S / C / I on keys 1-4; the search metrics on people's grades."""
    store = eng.annotations
    st.markdown("Pool a query's top 10 from BM25, dense retrieval and the full ranking, then grade each product: "
                "**1** Exact, **2** Substitute, **3** Complement, **4** Irrelevant (**U** takes back the last grade). "
                "Graded queries measure every search setting below, beside the click-derived judgments; grades of "
                "queries outside the validation and test sets also train the next reranker (Train page).")
    p1, p2 = st.columns([4, 2], vertical_alignment="bottom")
    typed = p1.text_input("Query to pool", max_chars=300, placeholder="e.g. warm sleeping bag")
    if p2.button("Pool its top 10s", disabled=not typed.strip()):
        with st.spinner("Searching three ways…"):
            n = eng.pool_for_judging(typed)
        st.toast(f"{n} new pair(s) to grade.")
    held_out = eng.data.queries_test[S.TEXT].drop_duplicates()
    if len(held_out) and st.button(f"Pool 5 more of the {len(held_out):,} held-out test queries", type="tertiary",
                                   help="Judged test queries measure search; they are never trained on."):
        pooled = store.pooled_queries()
        with st.spinner("Searching three ways…"):
            for q in [q for q in held_out if q not in pooled][:5]:
                eng.pool_for_judging(q)
    counts = store.pair_counts()
    st.progress(counts["graded"] / max(1, counts["pairs"]),
                text=f"{counts['graded']:,} of {counts['pairs']:,} pairs graded ({counts['queries']} "
                     f"quer{'y' if counts['queries'] == 1 else 'ies'} pooled)")
    pair = store.next_pair(annotator)
    if pair is None:
        st.info("Nothing to grade: pool a query above.")
    else:
        item = eng.product(pair["product_id"])
        with st.container(border=True):
            st.caption(f"Query (pooled from {pair['pooled_from']})")
            st.markdown(f"### {state.plain(pair['query'])}")
            st.markdown(f"**{state.plain(item[S.TITLE])}**  \n{state.plain(item[S.CATEGORY])} · "
                        f"{state.plain(item[S.BRAND] or 'no brand')} · {layout.price_md(item[S.PRICE])}")
            st.caption(state.plain(str(item[S.DESCRIPTION] or "")[:400]))
            row = st.container(horizontal=True)
            for k, (grade, label) in enumerate(GRADES.items(), 1):
                row.button(label, key=f"grade_{grade}", shortcut=str(k), on_click=store.judge,
                           args=(pair["id"], annotator, grade))
            row.button("Undo", key="grade_undo", shortcut="U", on_click=store.undo_judgment, args=(annotator,))
    metrics = eng.people_search_metrics()
    if not metrics and counts["graded"]:
        st.caption("Search is measured here once every pooled product of a query is graded.")
    if metrics:
        n = next(iter(metrics.values()))["queries"]
        st.markdown(f"**Search measured on people's grades** ({n} fully graded quer{'y' if n == 1 else 'ies'})")
        st.dataframe([{"setting": PRESET_LABELS[p], "NDCG@10": round(m["ndcg@10"], 3), "MRR": round(m["mrr"], 3)}
                      for p, m in metrics.items()], hide_index=True)


layout.page_setup("Annotate")
eng = loaders.engine(state.data_dir())
store = eng.annotations
st.title(":material/label: Annotate")
st.markdown("Label this data set's queries with its label sets, several annotators at once. The model's "
            "suggestion is pre-selected; **number keys** pick a label, **Enter** submits, **S** skips, **U** "
            "takes back your last answer. Answers are saved as you go.")

# ---- who is labelling ----
if not st.session_state.get(ANNOTATOR):
    with st.form("who"):
        name = st.text_input("Your name", max_chars=80, help="Kept for this browser session; every answer carries it.")
        if st.form_submit_button("Start labelling", type="primary") and name.strip():
            st.session_state[ANNOTATOR] = " ".join(name.split())
            st.rerun()
    st.stop()
annotator = st.session_state[ANNOTATOR]

task = st.segmented_control("Task", ["Label queries", "Grade relevance"], default="Label queries",
                            key="annotate_task", help="Query labels (intents, categories, your own sets), or "
                            "how well a product answers a query (Exact / Substitute / Complement / Irrelevant).")
if task == "Grade relevance":
    relevance_screen(eng, annotator)
    st.stop()

sets = store.label_sets()
c1, c2, c3, c4 = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
set_name = c1.selectbox("Label set", sets["name"], key="annotate_set",
                        format_func=lambda n: f"{n} ({int(sets.set_index('name').loc[n, 'labels'])} labels)")
order = c2.selectbox("Queue order", list(ORDERS), format_func=ORDERS.get, key="annotate_order")
overlap = int(c3.number_input("Answers per query", 1, 5, 1, key="annotate_overlap",
                              help="How many annotators should answer each query (for agreement)."))
c4.markdown(f"Labelling as **{state.plain(annotator)}**")
if c4.button("Change name", type="tertiary"):
    del st.session_state[ANNOTATOR]
    st.rerun()
labels = store.labels(set_name)
names = [lab.name for lab in labels]


def add_training_queries() -> None:
    """The data set's training queries (never validation or test: labels made here train models)."""
    n = store.add_records(eng.data.queries[S.TEXT], source="queries")
    st.session_state[FLASH] = f"Added {n:,} training queries to the queue."


def suggest() -> None:
    model = eng.refresh_suggestions(set_name)
    st.session_state[FLASH] = f"Suggestions refreshed ({model})."


if FLASH in st.session_state:  # what the last button did, on whichever tab it was
    st.toast(st.session_state.pop(FLASH))
# only the open tab is drawn: a submit then recomputes the labelling screen, not agreement or exports
tab_label, tab_review, tab_train, tab_set, tab_files = st.tabs(
    ["Label", "Review", "Train from labels", "Label set", "Files"], key="annotate_tab", on_change="rerun")

# ---- labelling screen ----
def label_screen() -> None:
    """The query, its suggestion, label keys, submit / skip / undo, progress (returns early when idle)."""
    if store.records().empty:
        st.info("The queue is empty. Add this data set's training queries, a file of queries (Files tab) or "
                "queries from the Search page (Label this query).")
        st.button(f"Add the {len(eng.data.queries):,} training queries", on_click=add_training_queries,
                  disabled=eng.data.queries.empty, type="primary")
        return
    if not names:
        st.warning("This label set has no labels yet: add some in the Label set tab.")
        return
    suggestions = store.suggestions(set_name)
    if suggestions.empty:
        with st.spinner("Asking the model for a suggestion per query…"):
            eng.refresh_suggestions(set_name)
        suggestions = store.suggestions(set_name)
    queue = ordered_queue(store, set_name, annotator, order, overlap)
    p = progress(store, set_name, annotator, len(queue), overlap)
    st.progress(p.complete / max(1, p.records),
                text=f"{p.complete:,} of {p.records:,} queries have {overlap} answer{'s' * (overlap > 1)}")
    rate = ", ".join(f"{state.plain(a)} {n}" for a, n in sorted(p.per_hour.items())) or "none yet"
    st.caption(f"You: {p.mine:,} answered, {p.skipped:,} skipped, {p.left_for_me:,} left · answers in the last "
               f"hour: {rate}")

    def answer(record_id: int, label: str | None, status: str, note_key: str) -> None:
        store.respond(record_id, set_name, annotator, label, status, st.session_state.get(note_key, ""))

    def undo() -> None:
        record_id = store.undo(set_name, annotator)
        if record_id is not None:
            st.session_state[FLASH] = f"Took back your answer to “{state.plain(store.record(record_id)['text'])}”."

    if queue.empty:
        st.success("Nothing left for you in this label set. Thank you! Review agreement in the next tab.")
        st.button("Undo my last answer", shortcut="U", on_click=undo, disabled=p.mine + p.skipped == 0)
        return
    rec = queue.iloc[0]
    rid = int(rec["id"])
    selected_key, note_key = f"annotate_pick_{set_name}_{rid}", f"annotate_note_{set_name}_{rid}"
    suggested = rec["suggestion"] if rec["suggestion"] in names else None
    st.session_state.setdefault(selected_key, suggested or names[0])
    with st.container(border=True):
        st.caption(f"Query #{rid}")
        st.markdown(f"### {state.plain(rec['text'])}")
        if suggested:
            st.caption(f"Model suggests **{state.plain(suggested)}** ({rec['suggestion_score']:.0%} sure; "
                       f"{suggestions['model'].iloc[0]}) — pre-selected.")
        row = st.container(horizontal=True)
        for k, lab in enumerate(labels[:KEYS], 1):
            row.button(lab.name, key=f"annotate_label_{k}", shortcut=str(k),
                       type="primary" if st.session_state[selected_key] == lab.name else "secondary",
                       on_click=st.session_state.__setitem__, args=(selected_key, lab.name),
                       help=state.plain(lab.description) if lab.description else None)
        if len(labels) > KEYS:
            st.selectbox("More labels", names, key=selected_key)
        st.text_input("Note (optional)", key=note_key, max_chars=500)
        actions = st.container(horizontal=True)
        actions.button(f"Submit: {st.session_state[selected_key]}", shortcut="Enter", type="primary",
                       on_click=answer, args=(rid, st.session_state[selected_key], "submitted", note_key))
        actions.button("Skip", shortcut="S", on_click=answer, args=(rid, None, "discarded", note_key))
        actions.button("Undo", shortcut="U", on_click=undo, disabled=p.mine + p.skipped == 0,
                       help="Take back your last answer (press again to go further back).")
        with actions.popover("Guidelines"):
            st.text(store.guidelines(set_name) or "No guidelines written yet (Label set tab).")
            st.dataframe({"key": [str(k) if k <= KEYS else "" for k in range(1, len(labels) + 1)],
                          "label": names, "means": [lab.description for lab in labels],
                          "examples": ["; ".join(lab.examples) for lab in labels]}, hide_index=True)
    st.button("Refresh suggestions", on_click=suggest, type="tertiary",
              help="Ask the current model again (after training a new version or editing labels).")

if tab_label.open:
    with tab_label:
        label_screen()

# ---- agreement and review ----
if tab_review.open:
    with tab_review:
        answers = store.responses(set_name)
        if answers.empty:
            st.info("No answers yet in this label set.")
        else:
            resolutions = store.resolutions(set_name)
            alpha = A.krippendorff_alpha(answers, names)
            fleiss, n_fleiss = A.fleiss_kappa(answers, names)
            final = A.final_labels(answers, resolutions)
            sugg = store.suggestions(set_name).set_index("record_id")["label"]
            agree_model = final["record_id"].map(sugg).eq(final["label"])
            m = st.columns(4)
            m[0].metric("Answers", f"{len(answers):,}", help=f"by {answers['annotator'].nunique()} annotator(s)")
            m[1].metric("Krippendorff's alpha", "—" if np.isnan(alpha) else f"{alpha:.2f}",
                        help="Over every query answered at least twice; 1 = perfect, 0 = chance.")
            m[2].metric("Fleiss' kappa", "—" if np.isnan(fleiss) else f"{fleiss:.2f}",
                        help=f"Over the {n_fleiss} queries answered by the most common number of annotators.")
            m[3].metric("Model agrees with people", f"{agree_model.mean():.0%}" if len(final) else "—",
                        help="Share of final labels equal to the model's suggestion.")
            kappas = A.pairwise_kappa(answers)
            if len(kappas):
                st.markdown("**Cohen's kappa per annotator pair**")
                st.dataframe(kappas, hide_index=True, column_config={
                    "kappa": st.column_config.NumberColumn(format="%.2f"),
                    "agreement": st.column_config.NumberColumn("raw agreement", format="%.2f")})
                left, right = st.columns(2)
                left.markdown("**Agreement per label** (alpha, this label against the rest)")
                per_label = {k: v for k, v in A.per_label_alpha(answers, names).items() if not np.isnan(v)}
                left.plotly_chart(figures.metric_bars(per_label, "alpha"), width="stretch")
                right.markdown("**Where annotators split** (pairs of answers to the same query)")
                right.plotly_chart(figures.label_pairs(A.annotator_confusion(answers, names), "one annotator",
                                                       "another"), width="stretch")
            if len(final):
                st.markdown("**People against the model** (final label vs the model's suggestion)")
                pairs = final.assign(model=final["record_id"].map(sugg)).dropna(subset=["model"])
                st.plotly_chart(figures.confusion_matrix(pairs["label"].tolist(), pairs["model"].tolist()),
                                width="stretch")
            disputes = A.disputed(answers, resolutions)
            st.markdown(f"**Disputed queries** ({len(disputes)}): pick the final label")
            for r in disputes.head(20).itertuples():
                d1, d2, d3 = st.columns([4, 2, 1], vertical_alignment="bottom")
                d1.markdown(f"{state.plain(r.text)}  \n:gray[{state.plain(r.answer)}]")
                pick = d2.selectbox("Final label", names, key=f"resolve_{r.record_id}", label_visibility="collapsed")
                d3.button("Resolve", key=f"resolve_btn_{r.record_id}", on_click=store.resolve,
                          args=(r.record_id, set_name, pick, annotator))
            if st.button("Find likely label errors",
                         help="Answers a 5-fold cross-validated model on the queries' embeddings strongly disagrees "
                              "with (cleanlab)."):
                with st.spinner("Cross-validating…"):
                    emb = eng.base_encoder.encode(final["text"].tolist())
                    st.session_state["label_errors"] = A.likely_label_errors(
                        final["text"].tolist(), final["label"].tolist(), emb, eng.config.seed)
            if "label_errors" in st.session_state:
                found = st.session_state["label_errors"]
                st.caption(f"{len(found)} answer(s) the model doubts; change them by answering the query again.")
                st.dataframe(found, hide_index=True)

# ---- close the loop: train the intent model on the labels ----
if tab_train.open:
    with tab_train:
        notes = eng.intent_annotations()
        if set_name != INTENT_SET:
            st.info(f"Training from annotations reads the **{INTENT_SET}** set; pick it above. Other label sets are "
                    "exported (Files tab) or reviewed here.")
        else:
            n_file = int(eng.data.queries[S.INTENT].notna().sum())
            st.markdown(f"A new intent version learns from the data set's {n_file:,} labelled training queries plus "
                        f"**{len(notes):,} resolved annotations** (an annotation replaces the file's label of the "
                        "same query; annotated validation or test queries are left out). It is measured on the "
                        "held-out test queries beside the active version and is not active until you say so.")
            own = (loaders.bench_results("annotation") or {}).get("own_labels", {})
            if "model_macro_f1" in own:
                worse = own["model_macro_f1"] < own["baseline_macro_f1"]
                (st.warning if worse else st.caption)(
                    f"Measured on a shop's own labels (bench `own_labels`: WANDS, {own['classes']} query classes, "
                    f"{own['train_queries']} training queries): the fine-tuned classifier reaches macro-F1 "
                    f"{own['model_macro_f1']:.2f} against TF-IDF + LR's {own['baseline_macro_f1']:.2f} "
                    f"(p = {own['p']:.3f})"
                    + (". With a handful of labelled queries per label it does not beat the word-based baseline: label "
                       "more before trusting it." if worse else "."))
            if st.button("Train from annotations", type="primary", disabled=notes.empty):
                bar = st.progress(0.0, text="Training…")
                try:
                    manifest = eng.train("intent", progress=lambda p: bar.progress(
                        min(1.0, p.step / max(1, p.total_steps)),
                        text=f"epoch {p.epoch} · step {p.step}/{p.total_steps}"
                        f" · loss {p.loss:.3f}"), activate=False)
                    st.session_state["annotate_trained"] = manifest.version
                except ValueError as exc:
                    st.error(str(exc))
                bar.empty()
            version = st.session_state.get("annotate_trained")
            if version:
                active = eng.registry.active("intent")
                new = eng.registry.manifest("intent", version).metrics
                old = eng.registry.manifest("intent", active).metrics if active and active != version else {}
                k1, k2, k3 = st.columns(3)
                comparable = "test_macro_f1" in new and "test_macro_f1" in old
                shown = f"{new['test_macro_f1']:.3f}" if "test_macro_f1" in new else "no test set"
                k1.metric("Test macro-F1, new", shown,
                          delta=f"{new['test_macro_f1'] - old['test_macro_f1']:+.3f} vs active" if comparable else None)
                k2.metric("Annotations used", f"{new.get('annotations_used', 0):,}",
                          help=f"{new.get('annotations_held_out', 0)} annotated held-out queries were left out.")
                k3.metric("Labels", len(eng.intent_classifier(version).labels))
                if old and not eng.data.queries_test[S.INTENT].dropna().empty:
                    before = eng.intent_test_predictions(active)
                    after = eng.intent_test_predictions(version)
                    changed = before.assign(new=after["pred"])[before["pred"] != after["pred"]]
                    st.markdown(f"**{len(changed)} held-out queries changed prediction** "
                                f"({int((changed['new'] == changed['true']).sum())} now right, "
                                f"{int((changed['pred'] == changed['true']).sum())} were right before)")
                    st.dataframe(changed.rename(columns={"pred": "active", "new": "new version"}), hide_index=True)
                if active == version:
                    st.success(f"Version {version} is active: Search reads intents with it now.")
                elif st.button(f"Activate {version}", type="primary"):
                    eng.activate("intent", version)
                    st.rerun()

        labelled = eng.data.queries.dropna(subset=[S.INTENT]).drop_duplicates(S.TEXT)
        test_labelled = eng.data.queries_test.dropna(subset=[S.INTENT])
        with st.expander("Does the uncertainty queue need fewer labels? (a simulation on this data set)"):
            st.caption(f"Labels the {len(labelled):,} training queries in batches of 100 with their known intents as "
                       "the annotator, least-sure first or at random, and scores a logistic regression on MiniLM "
                       f"embeddings after each batch on the {len(test_labelled):,} held-out queries.")
            if st.button("Run the simulation", disabled=len(labelled) < 200 or test_labelled.empty):
                with st.spinner("Simulating annotation…"):
                    enc = eng.base_encoder
                    st.session_state["annotate_curves"] = learning_curves(
                        enc.encode(labelled[S.TEXT].tolist()), labelled[S.INTENT].to_numpy(),
                        enc.encode(test_labelled[S.TEXT].tolist()), test_labelled[S.INTENT].to_numpy(),
                        seed=eng.config.seed)
            curves = st.session_state.get("annotate_curves")
            if curves:
                needed, total = labels_to_match(curves)
                st.plotly_chart(figures.learning_curves(curves, curves["random"][-1][1]), width="stretch")
                st.markdown(f"The uncertainty order reaches the F1 of all {total:,} labels after **{needed:,}** "
                            f"({needed / total:.0%} of them); random order needs all of them by definition.")

# ---- label set editing ----
if tab_set.open:
    with tab_set:
        usage = store.label_usage(set_name)
        st.dataframe({"key": [str(k) if k <= KEYS else "" for k in range(1, len(labels) + 1)], "label": names,
                      "description": [lab.description for lab in labels],
                      "examples": ["; ".join(lab.examples) for lab in labels],
                      "answers": [usage.get(n, 0) for n in names]}, hide_index=True, width="stretch")

        def guarded(action, *args, done: str, **kwargs) -> None:
            try:
                action(*args, **kwargs)
                st.session_state[FLASH] = done
            except ValueError as exc:
                st.session_state[FLASH] = f"Not changed: {exc}"

        e1, e2 = st.columns(2)
        with e1.container(border=True):
            st.markdown("**Edit a label**")
            pick = st.selectbox("Label", names, key="edit_label") if names else None
            if pick:
                lab = labels[names.index(pick)]
                desc = st.text_area("What it means", lab.description, key=f"desc_{set_name}_{pick}")
                examples = st.text_area("Examples (one per line)", "\n".join(lab.examples), key=f"ex_{set_name}_{pick}")
                st.button("Save label", on_click=guarded, args=(store.update_label, set_name, pick),
                          kwargs=dict(description=desc,
                                      examples=[x.strip() for x in examples.splitlines() if x.strip()],
                                      done=f"Saved {pick}."))
                new = st.text_input("Rename to", key="rename_to")
                st.button("Rename", disabled=not new.strip(), on_click=guarded,
                          args=(store.rename_label, set_name, pick, new),
                          kwargs=dict(done=f"Renamed {pick} to {new}; its answers follow."))
                others = [n for n in names if n != pick]
                into = st.selectbox("Merge into", others, key="merge_into") if others else None
                st.button("Merge", disabled=into is None, on_click=guarded,
                          args=(store.merge_labels, set_name, pick, into),
                          kwargs=dict(done=f"Merged {pick} into {into}; its answers are now {into}."))
                used = usage.get(pick, 0)
                if used:
                    fates = {"move": "move them to the label picked under Merge into",
                             "discard": "discard them (their queries return to the queue)"}
                    fate = st.radio(f"{used} answer(s) use {pick}. On delete:", list(fates), horizontal=True,
                                    format_func=fates.get)
                else:
                    fate = "refuse"
                st.button(f"Delete {pick}", on_click=guarded, args=(store.delete_label, set_name, pick),
                          kwargs=dict(answers=fate, move_to=into, done=f"Deleted {pick}."))
        with e2.container(border=True):
            st.markdown("**Add a label**")
            add_name = st.text_input("Name", key="add_label_name")
            add_desc = st.text_input("What it means", key="add_label_desc")
            st.button("Add label", disabled=not add_name.strip(), on_click=guarded,
                      args=(store.add_label, set_name, Label(add_name, add_desc)),
                      kwargs=dict(done=f"Added {add_name}: key {len(names) + 1}."))
            guide = st.text_area("Guidelines for annotators", store.guidelines(set_name), key=f"guide_{set_name}")
            st.button("Save guidelines", on_click=guarded, args=(store.set_guidelines, set_name, guide),
                      kwargs=dict(done="Guidelines saved."))
        with st.container(border=True):
            st.markdown("**New label set**")
            n1, n2 = st.columns(2)
            new_set = n1.text_input("Name of the set", key="new_set_name")
            from_categories = n2.checkbox(f"Labels: the {eng.data.queries[S.CATEGORY].nunique()} categories this data "
                                          "set's queries are labelled with", key="new_set_categories")
            typed = st.text_area("Labels, one per line", key="new_set_labels", disabled=from_categories)
            new_labels = category_labels(eng.data.queries) if from_categories else \
                [Label(x.strip()) for x in typed.splitlines() if x.strip()]
            st.button("Create label set", disabled=not (new_set.strip() and new_labels), on_click=guarded,
                      args=(store.create_label_set, new_set, "category" if from_categories else "custom", new_labels),
                      kwargs=dict(done=f"Created {new_set} with {len(new_labels)} labels."))

# ---- export and import ----
if tab_files.open:
    with tab_files:
        x1, x2 = st.columns(2)
        with x1.container(border=True):
            st.markdown("**Export resolved labels** (unanimous, majority or resolved; ties stay out)")
            table = resolved_labels(store, set_name)
            st.caption(f"{len(table):,} labelled queries.")
            fmt = st.radio("Format", ["csv", "jsonl", "hf"], horizontal=True, format_func={
                "csv": "CSV", "jsonl": "JSON Lines", "hf": "Hugging Face datasets folder"}.get)
            folder = Path(eng.config.annotation_dir) / "exports" / eng.data.name  # one place, rewritten
            if fmt == "hf":
                if st.button("Write the folder", disabled=table.empty):
                    path = export_labels(store, set_name, folder, set_name, "hf")
                    st.success(f"Written: {path} (datasets.load_from_disk reads it).")
            else:
                path = export_labels(store, set_name, folder, set_name, fmt)
                st.download_button(f"Download {path.name}", path.read_bytes(), file_name=path.name,
                                   disabled=table.empty)
        with x2.container(border=True):
            st.markdown("**Import queries or labels made elsewhere** (a `text`/`query` column, optionally `label`)")
            upload = st.file_uploader("Labels file", type=["csv", "tsv", "jsonl", "json", "parquet"],
                                      key="labels_upload")
            if upload is not None:
                try:
                    file = read_label_file(loaders.saved_upload(upload), names)
                except (ValueError, FileNotFoundError) as exc:
                    st.error(str(exc))
                    file = None
                if file is not None:
                    st.caption(f"{len(file.rows):,} queries, {file.rows['label'].notna().sum():,} with a label.")
                    for problem in file.problems[:20]:
                        st.warning(f"Skipped: {problem}")
                    create = False
                    if file.unknown_labels:
                        create = st.checkbox(f"Create the {len(file.unknown_labels)} label(s) this set lacks: "
                                             + ", ".join(file.unknown_labels[:20]), value=False)
                    if st.button("Import", type="primary", disabled=bool(file.unknown_labels) and not create):
                        done = import_labels(store, set_name, file, f"import: {upload.name}"[:80], upload.name, create)
                        st.success(f"Added {done['records_added']:,} queries and {done['answers']:,} answers; created "
                                   f"{done['labels_created']} label(s).")
