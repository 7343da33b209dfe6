"""The Label set tab: the set's labels and their answers; edit, rename, merge, delete and add labels, write
guidelines, start a new set. Every edit keeps (or says what becomes of) the answers that use a label."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from ecomrec.ui.annotate.common import Choice, guarded, label_table

if TYPE_CHECKING:
    from ecomrec.services.labels import Labels, LabelSet


def draw(eng, c: Choice) -> None:
    labels, label_set = eng.labels, c.label_set
    st.dataframe(label_table(label_set, usage=True), hide_index=True, width="stretch")
    e1, e2 = st.columns(2)
    with e1.container(border=True):
        st.markdown("**Edit a label**")
        pick = st.selectbox("Label", label_set.names, key="edit_label") if label_set.names else None
        if pick:
            _edit(labels, label_set, pick)
    with e2.container(border=True):
        _add_and_guidelines(labels, label_set)
    with st.container(border=True):
        _new_set(labels)


def _edit(labels: Labels, label_set: LabelSet, pick: str) -> None:
    """Meaning and examples, rename, merge into another label, delete (asking what becomes of its answers)."""
    name, names = label_set.name, label_set.names
    lab = label_set.labels[names.index(pick)]
    desc = st.text_area("What it means", lab.description, key=f"desc_{name}_{pick}")
    examples = st.text_area("Examples (one per line)", "\n".join(lab.examples), key=f"ex_{name}_{pick}")
    st.button("Save label", on_click=guarded, args=(labels.edit_label, name, pick),
              kwargs=dict(description=desc, examples=examples.splitlines(), done=f"Saved {pick}."))
    new = st.text_input("Rename to", key="rename_to")
    st.button("Rename", disabled=not new.strip(), on_click=guarded, args=(labels.rename_label, name, pick, new),
              kwargs=dict(done=f"Renamed {pick} to {new}; its answers follow."))
    others = [n for n in names if n != pick]
    into = st.selectbox("Merge into", others, key="merge_into") if others else None
    st.button("Merge", disabled=into is None, on_click=guarded, args=(labels.merge_labels, name, pick, into),
              kwargs=dict(done=f"Merged {pick} into {into}; its answers are now {into}."))
    used = label_set.usage.get(pick, 0)
    fate = "refuse"
    if used:
        fates = {"move": "move them to the label picked under Merge into",
                 "discard": "discard them (their queries return to the queue)"}
        fate = st.radio(f"{used} answer(s) use {pick}. On delete:", list(fates), horizontal=True,
                        format_func=fates.get)
    st.button(f"Delete {pick}", on_click=guarded, args=(labels.delete_label, name, pick),
              kwargs=dict(answers=fate, move_to=into, done=f"Deleted {pick}."))


def _add_and_guidelines(labels: Labels, label_set: LabelSet) -> None:
    name = label_set.name
    st.markdown("**Add a label**")
    add_name = st.text_input("Name", key="add_label_name")
    add_desc = st.text_input("What it means", key="add_label_desc")
    st.button("Add label", disabled=not add_name.strip(), on_click=guarded,
              args=(labels.add_label, name, add_name, add_desc),
              kwargs=dict(done=f"Added {add_name}: key {len(label_set.labels) + 1}."))
    guide = st.text_area("Guidelines for annotators", label_set.guidelines, key=f"guide_{name}")
    st.button("Save guidelines", on_click=guarded, args=(labels.set_guidelines, name, guide),
              kwargs=dict(done="Guidelines saved."))


def _new_set(labels: Labels) -> None:
    """A new set from typed labels, or from the categories the data set's queries carry."""
    st.markdown("**New label set**")
    categories = labels.query_categories()
    n1, n2 = st.columns(2)
    new_set = n1.text_input("Name of the set", key="new_set_name")
    from_categories = n2.checkbox(f"Labels: the {len(categories)} categories this data set's queries are labelled "
                                  "with", key="new_set_categories")
    typed = st.text_area("Labels, one per line", key="new_set_labels", disabled=from_categories)
    new_labels = categories if from_categories else [x.strip() for x in typed.splitlines() if x.strip()]
    st.button("Create label set", disabled=not (new_set.strip() and new_labels), on_click=guarded,
              args=(labels.create_label_set, new_set, new_labels, from_categories),
              kwargs=dict(done=f"Created {new_set} with {len(new_labels)} labels."))
