"""Session state: every key initialised in one place."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from ecomrec.config import REPO_ROOT, SAMPLE_DATA_DIR

DATA_DIR = "data_dir"
IMPORTED_ROOT = REPO_ROOT / "data"  # `python -m ecomrec import --into data/NAME` lands here


def init() -> None:
    """Initialise session state with defaults (safe to call on every page run)."""
    st.session_state.setdefault(DATA_DIR, str(SAMPLE_DATA_DIR))


def available_datasets() -> dict[str, str]:
    """Label -> folder of every data set the app can open: the sample and imported ones."""
    found = {"Sample shop (shipped)": str(SAMPLE_DATA_DIR)}
    if IMPORTED_ROOT.is_dir():
        for d in sorted(IMPORTED_ROOT.iterdir()):
            if (d / "products.csv").exists():
                found[f"Imported: {d.name}"] = str(d)
    return found


def data_dir() -> str:
    """The data set folder chosen in the sidebar."""
    init()
    return st.session_state[DATA_DIR]


def choose_dataset_widget() -> None:
    """Sidebar selectbox that switches the data set for every page."""
    init()
    options = available_datasets()
    chosen = st.session_state[DATA_DIR]
    if not any(Path(v) == Path(chosen) for v in options.values()):  # opened by path (tests, links)
        options[f"Folder: {Path(chosen).name}"] = chosen
    labels = list(options)
    current = next((k for k, v in options.items() if Path(v) == Path(st.session_state[DATA_DIR])), labels[0])
    label = st.sidebar.selectbox("Data set", labels, index=labels.index(current),
                                 help="Import more with `python -m ecomrec import FILE --into data/NAME`.")
    st.session_state[DATA_DIR] = options[label]
