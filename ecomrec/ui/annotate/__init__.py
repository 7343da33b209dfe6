"""The Annotate page's screens, one module per task; ``app_pages/annotate.py`` asks who is labelling and calls
:func:`draw`.

    labelling   Label: one query at a time with the keyboard
    relevance   Grade relevance: (query, product) pairs graded E / S / C / I
    review      Review: agreement, disputes, likely label errors
    training    Train from labels: a new intent version from the annotations
    label_sets  Label set: edit labels and guidelines, new sets
    files       Files: export and import labels

Every screen is a ``draw(eng, ...)`` that reads and writes through ``eng.labels`` (and ``eng.models`` to
train). Only the open tab is drawn: a submit recomputes the labelling screen, not agreement or exports.
"""
from __future__ import annotations

import streamlit as st

from ecomrec.services.labels import StoreUnavailable
from ecomrec.ui.annotate import files, label_sets, labelling, relevance, review, training
from ecomrec.ui.annotate.common import annotator, choose, show_flash

__all__ = ["GRADE", "LABEL", "TABS", "TASKS", "TASK_HELP", "annotator", "draw"]

LABEL, GRADE = "Label queries", "Grade relevance"
TASKS = (LABEL, GRADE)
TASK_HELP = ("Query labels (intents, categories, your own sets), or how well a product answers a query (Exact / "
             "Substitute / Complement / Irrelevant).")
TABS = {"Label": labelling.draw, "Review": review.draw, "Train from labels": training.draw,
        "Label set": label_sets.draw, "Files": files.draw}


def draw(eng, annotator: str, task: str | None) -> None:
    """The task's screen: relevance grading, or the label-set choice and the open tab of query labelling. A
    locked or read-only annotation file is said in words (which file, what to do), not as a traceback."""
    try:
        _draw(eng, annotator, task)
    except StoreUnavailable as exc:
        st.error(str(exc), icon=":material/lock:")


def _draw(eng, annotator: str, task: str | None) -> None:
    if task == GRADE:
        relevance.draw(eng, annotator)
        return
    choice = choose(eng, annotator)
    show_flash()  # what the last button did, on whichever tab it was
    tabs = st.tabs(list(TABS), key="annotate_tab", on_change="rerun")
    for tab, draw_tab in zip(tabs, TABS.values()):
        if tab.open:
            with tab:
                draw_tab(eng, choice)
