"""Annotate page: label queries with the keyboard, grade relevance, review agreement, edit label sets, export
and import. Each task's screen lives in :mod:`ecomrec.ui.annotate`."""
from __future__ import annotations

import streamlit as st

from ecomrec.ui import annotate, loaders, state

eng = loaders.engine(state.data_dir())
st.title(":material/label: Annotate")
st.markdown("Label this data set's queries with its label sets, several annotators at once. The model's "
            "suggestion is pre-selected; **number keys** pick a label, **Enter** submits, **S** skips, **U** "
            "takes back your last answer. Answers are saved as you go.")
annotator = annotate.annotator()  # asked once per browser session
task = st.segmented_control("Task", annotate.TASKS, default=annotate.LABEL, key="annotate_task",
                            help=annotate.TASK_HELP)
annotate.draw(eng, annotator, task)
