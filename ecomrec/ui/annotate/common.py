"""What the Annotate page's screens share: who is labelling, which label set, one-shot messages, guarded edits."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from ecomrec.ui import state

if TYPE_CHECKING:
    from ecomrec.services.labels import LabelSet

KEYS = 9  # labels 1-9 sit on the number keys; a longer set offers the rest in a list
ANNOTATOR, FLASH = state.ANNOTATOR, state.ANNOTATE_FLASH


@dataclass(frozen=True)
class Choice:
    """What the annotator picked above the tabs: every tab draws from it."""

    annotator: str
    label_set: LabelSet
    order: str  # a key of Labels.ORDERS
    overlap: int  # answers wanted per query

    @property
    def set_name(self) -> str:
        return self.label_set.name


def annotator() -> str:
    """The annotator's name, asked once per browser session (the script stops until it is given)."""
    if not st.session_state.get(ANNOTATOR):
        with st.form("who"):
            name = st.text_input("Your name", max_chars=80,
                                 help="Kept for this browser session; every answer carries it.")
            if st.form_submit_button("Start labelling", type="primary") and name.strip():
                st.session_state[ANNOTATOR] = " ".join(name.split())
                st.rerun()
        st.stop()
    return st.session_state[ANNOTATOR]


def choose(eng, annotator: str) -> Choice:
    """Label set, queue order and overlap above the tabs, with who is labelling and a way to change it."""
    sets = eng.labels.label_sets()
    c1, c2, c3, c4 = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
    set_name = c1.selectbox("Label set", list(sets), key="annotate_set",
                            format_func=lambda n: f"{n} ({sets[n]} labels)")
    orders = eng.labels.ORDERS
    order = c2.selectbox("Queue order", list(orders), format_func=orders.get, key="annotate_order")
    overlap = int(c3.number_input("Answers per query", 1, 5, 1, key="annotate_overlap",
                                  help="How many annotators should answer each query (for agreement)."))
    c4.markdown(f"Labelling as **{state.plain(annotator)}**")
    if c4.button("Change name", type="tertiary"):
        del st.session_state[ANNOTATOR]
        st.rerun()
    return Choice(annotator, eng.labels.label_set(set_name), order, overlap)


def flash(message: str) -> None:
    """Say ``message`` on the next run (from a button callback, whichever tab it is on)."""
    st.session_state[FLASH] = message


def show_flash() -> None:
    """The message the last callback left, once, as a toast."""
    if FLASH in st.session_state:
        st.toast(st.session_state.pop(FLASH))


def guarded(action: Callable, *args, done: str, **kwargs) -> None:
    """Button callback: run ``action`` and flash ``done``, or why nothing changed (its ValueError)."""
    try:
        action(*args, **kwargs)
        flash(done)
    except ValueError as exc:
        flash(f"Not changed: {exc}")


def label_table(label_set: LabelSet, usage: bool = False) -> dict[str, list]:
    """Key, label, what it means and examples per label (and its answers when ``usage``), for st.dataframe."""
    labels = label_set.labels
    meaning = "description" if usage else "means"  # the Label set tab edits a "description"
    table = {"key": [str(k) if k <= KEYS else "" for k in range(1, len(labels) + 1)], "label": label_set.names,
             meaning: [lab.description for lab in labels], "examples": ["; ".join(lab.examples) for lab in labels]}
    if usage:
        table["answers"] = [label_set.usage.get(n, 0) for n in label_set.names]
    return table
