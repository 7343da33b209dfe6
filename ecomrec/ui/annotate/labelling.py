"""The Label tab: one query at a time, the model's suggestion pre-selected, number keys, Enter, S and U."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from ecomrec.ui import state
from ecomrec.ui.annotate.common import KEYS, Choice, flash, label_table
from ecomrec.ui.layout import label_text, suggester_text

if TYPE_CHECKING:
    from ecomrec.services.labels import Labels, LabelSet, Queue


def draw(eng, c: Choice) -> None:
    """The query, its suggestion, label keys, submit / skip / undo and progress (or why there is nothing to label)."""
    labels = eng.labels
    with st.spinner("Asking the model for a suggestion per query…"):  # only the first time a set is labelled
        queue = labels.queue(c.set_name, c.annotator, c.order, c.overlap, keep=st.session_state.get(_card(c)))
    if queue.progress.records == 0:
        st.info("The queue is empty. Add this data set's training queries, a file of queries (Files tab) or "
                "queries from the Search page (Label this query).")
        n = len(eng.catalog.queries)
        if st.button(f"Add the {n:,} training queries", disabled=eng.catalog.queries.empty, type="primary"):
            with st.status(f"Adding the {n:,} training queries to the queue…", expanded=True) as box:
                added = labels.add_training_queries()
                if c.label_set.names:  # a set without labels has nothing to suggest yet
                    box.update(label=f"Added {added:,}. Suggesting a label for each…")
                    box.write("The model reads every query once: a few seconds for 2,000 queries on 2 CPU cores.")
                    bar = box.progress(0.0, text="Suggesting labels…")
                    labels.refresh_suggestions(c.set_name, progress=lambda done, total: bar.progress(
                        done / total, text=f"Suggested a label for {done:,} of {total:,} queries"))
                box.update(label=f"Added {added:,} training queries, each with the model's suggestion",
                           state="complete")
            flash(f"Added {added:,} training queries to the queue.")
            st.rerun()
        return
    if not c.label_set.names:
        st.warning("This label set has no labels yet: add some in the Label set tab.")
        return
    _progress(queue, c.overlap)
    if queue.next is None:
        st.success("Nothing left for you in this label set. Thank you! Review agreement in the next tab.")
        _undo_button(labels, c, queue, "Undo my last answer")
        return
    _record(labels, c, queue)
    st.button("Refresh suggestions", on_click=_refresh, args=(labels, c.set_name), type="tertiary",
              help="Ask the current model again (after training a new version or editing labels).")


def _progress(queue: Queue, overlap: int) -> None:
    p = queue.progress
    st.progress(p.complete / max(1, p.records),
                text=f"{p.complete:,} of {p.records:,} queries have {overlap} answer{'s' * (overlap > 1)}")
    rate = ", ".join(f"{state.plain(a)} {n}" for a, n in sorted(p.per_hour.items())) or "none yet"
    st.caption(f"You: {p.mine:,} answered, {p.skipped:,} skipped, {p.left_for_me:,} left · answers in the last "
               f"hour: {rate}")


def _card(c: Choice) -> str:
    """The session key of the record on this annotator's screen in the set (kept there until answered)."""
    return f"annotate_card_{c.set_name}_{c.annotator}"


def _record(labels: Labels, c: Choice, queue: Queue) -> None:
    """The card of the next query: text, suggestion, label keys, note and actions."""
    item = queue.next
    st.session_state[_card(c)] = item.record_id
    picked_key = f"annotate_pick_{c.set_name}_{item.record_id}"
    note_key = f"annotate_note_{c.set_name}_{item.record_id}"
    st.session_state.setdefault(picked_key, item.suggestion or c.label_set.names[0])
    with st.container(border=True):
        st.caption(f"Query #{item.record_id}")
        st.markdown(f"### {state.plain(item.text)}")
        if item.suggestion:
            st.caption(f"Suggested: **{state.plain(label_text(item.suggestion))}** ({item.suggestion_score:.0%} "
                       f"sure; by {suggester_text(queue.model)}) — pre-selected.")
        _label_keys(c.label_set, picked_key)
        st.text_input("Note (optional)", key=note_key, max_chars=500)
        actions = st.container(horizontal=True)
        picked = st.session_state[picked_key]
        turn = state.turn(f"annotate_{c.set_name}")  # one press, one answer (see state.turn)
        actions.button(f"Submit: {label_text(picked)}", key=f"annotate_submit_{item.record_id}", shortcut="Enter",
                       type="primary", on_click=_answer,
                       args=(labels, c, item.record_id, picked_key, note_key, turn))
        actions.button("Skip", key=f"annotate_skip_{item.record_id}", shortcut="S", on_click=_answer,
                       args=(labels, c, item.record_id, None, note_key, turn))
        with actions:
            _undo_button(labels, c, queue, "Undo")
        with actions.popover("Guidelines"):
            st.text(c.label_set.guidelines or "No guidelines written yet (Label set tab).")
            st.dataframe(label_table(c.label_set), hide_index=True)


def _key_button(picked_key: str, k: int) -> str:
    """The widget key of the label button on number key ``k`` of the card whose pick is kept at ``picked_key``."""
    return f"{picked_key}#key{k}"


def _label_keys(label_set: LabelSet, picked_key: str) -> None:
    """A button per label on keys 1-9 (the picked one primary), the rest in a list."""
    row = st.container(horizontal=True)
    for k, lab in enumerate(label_set.labels[:KEYS], 1):
        row.button(label_text(lab.name), key=_key_button(picked_key, k), shortcut=str(k),
                   type="primary" if st.session_state[picked_key] == lab.name else "secondary",
                   on_click=st.session_state.__setitem__, args=(picked_key, lab.name),
                   help=state.plain(lab.description) if lab.description else None)
    if len(label_set.labels) > KEYS:
        st.selectbox("More labels", label_set.names, key=picked_key, format_func=label_text)


# ---- callbacks (they run before the next script run) ----
def _answer(labels: Labels, c: Choice, record_id: int, picked_key: str | None, note_key: str, turn: int) -> None:
    """Submit the label picked now (read when the press arrives: a number key pressed just before Enter, while the
    page still showed the previous pick, counts), or skip when ``picked_key`` is None, with the note typed; nothing
    when another button drawn in the same ``turn`` has answered already (one key press that reached two buttons)."""
    if not state.take_turn(f"annotate_{c.set_name}", turn):
        return
    note = st.session_state.get(note_key, "")
    if picked_key is not None:  # a number key that reached the server in this same run as Enter counts, whichever
        for k, name in enumerate(c.label_set.names[:KEYS], 1):  # callback Streamlit calls first (the later press)
            if st.session_state.get(_key_button(picked_key, k)):
                st.session_state[picked_key] = name
    label = None if picked_key is None else st.session_state[picked_key]
    if label is None:
        labels.skip(c.set_name, record_id, c.annotator, note)
    else:
        labels.answer(c.set_name, record_id, c.annotator, label, note)


def _undo_button(labels: Labels, c: Choice, queue: Queue, text: str) -> None:
    """The undo button (key U), bound to the answer it takes back: one press takes back one answer, even when it
    reaches the server twice."""
    last = labels.last_answer(c.set_name, c.annotator) if queue.can_undo else None
    st.button(text, key=f"annotate_undo_{c.set_name}_{last and last[0]}", shortcut="U", on_click=_undo,
              args=(labels, c, last, state.turn(f"annotate_{c.set_name}")), disabled=last is None,
              help="Take back your last answer (press again to go further back).")


def _undo(labels: Labels, c: Choice, expected: tuple[int, str | None] | None, turn: int) -> None:
    """Take back the annotator's last answer if it is still ``expected`` (record id, label: the one it was when Undo
    was drawn) and no other button of this ``turn`` has acted (Enter and U in one run: the first one acts); the
    query comes back with that answer picked, not the suggestion."""
    if expected is None or not state.take_turn(f"annotate_{c.set_name}", turn):
        return
    text = labels.undo(c.set_name, c.annotator, only=expected[0])
    if text is None:  # already taken back (the same press twice, or another tab)
        return
    st.session_state[_card(c)] = expected[0]  # the query taken back is the one to answer again
    if expected[1] is not None:
        st.session_state[f"annotate_pick_{c.set_name}_{expected[0]}"] = expected[1]
    flash(f"Took back your answer to “{state.plain(text)}”.")


def _refresh(labels: Labels, set_name: str) -> None:
    flash(f"Suggestions refreshed, by {suggester_text(labels.refresh_suggestions(set_name))}.")
