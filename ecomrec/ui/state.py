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


# ---- search page: its state lives in the URL too, so a link reopens the same view ----
SEARCH_QUERY = "search_q"
SEARCH_MODE = "search_mode"
SEARCH_PRESET = "search_preset"
SEARCH_PRESET_B = "search_preset_b"
SEARCH_WEIGHTS = "search_weights"  # component -> weight the user moved away from the intent's default
SEARCH_IGNORED_SLOTS = "search_ignored_slots"  # query -> slot names the user removed
MODES = ("One setting", "Side by side")


def init_search_from_url() -> None:
    """Fill the search page's state from the URL once per session (``?q=tent&preset=full&w_rating=0.5``)."""
    from ecomrec.ranking import COMPONENTS
    from ecomrec.search.searcher import PRESETS

    if st.session_state.get("_search_from_url"):
        return
    qp = st.query_params
    st.session_state[SEARCH_QUERY] = qp.get("q", "")
    st.session_state[SEARCH_MODE] = "Side by side" if qp.get("mode") == "compare" else "One setting"
    st.session_state[SEARCH_PRESET] = qp.get("preset") if qp.get("preset") in PRESETS else "full"
    st.session_state[SEARCH_PRESET_B] = qp.get("preset_b") if qp.get("preset_b") in PRESETS else "bm25"
    weights = {}
    for c in COMPONENTS:
        try:
            if f"w_{c}" in qp:
                weights[c] = min(2.0, max(0.0, float(qp[f"w_{c}"])))
        except ValueError:  # a hand-edited link: ignore the bad number, keep the rest
            pass
    st.session_state[SEARCH_WEIGHTS] = weights
    st.session_state[SEARCH_IGNORED_SLOTS] = {}
    st.session_state["_search_from_url"] = True


def sync_search_to_url() -> None:
    """Write the search page's state into the URL."""
    params = {"q": st.session_state[SEARCH_QUERY], "preset": st.session_state[SEARCH_PRESET]}
    if st.session_state[SEARCH_MODE] == "Side by side":
        params.update(mode="compare", preset_b=st.session_state[SEARCH_PRESET_B])
    params.update({f"w_{c}": f"{w:g}" for c, w in sorted(st.session_state[SEARCH_WEIGHTS].items())})
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def set_weight(component: str, widget_key: str, default: float) -> None:
    """Slider callback: remember a moved weight (or forget it when moved back to the default)."""
    value = float(st.session_state[widget_key])
    weights = dict(st.session_state[SEARCH_WEIGHTS])
    if abs(value - default) < 1e-9:
        weights.pop(component, None)
    else:
        weights[component] = value
    st.session_state[SEARCH_WEIGHTS] = weights


def reset_weights() -> None:
    """Back to the intent's default weights (sliders are re-created with their defaults)."""
    for key in [k for k in st.session_state if str(k).startswith("w_")]:
        del st.session_state[key]
    st.session_state[SEARCH_WEIGHTS] = {}
