"""Session state: every key initialised in one place."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

from ecomrec import schema as S
from ecomrec.config import SAMPLE_DATA_DIR, default_data_root
from ecomrec.data.loaders import recover

DATA_DIR = "data_dir"


def init() -> None:
    """Initialise session state with defaults (safe to call on every page run)."""
    st.session_state.setdefault(DATA_DIR, str(SAMPLE_DATA_DIR))


def available_datasets() -> dict[str, str]:
    """Label -> folder of every data set the app can open: the sample and imported ones."""
    found = {"Sample shop (shipped)": str(SAMPLE_DATA_DIR)}
    root = default_data_root()  # the Import page and `python -m ecomrec import --into data/NAME` write here
    if root.is_dir():
        for d in sorted(root.iterdir()):
            if d.is_dir():
                recover(d)  # a data set whose import was killed while moving its files is finished first
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
                                 help="Import your own on the Import page.")
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
    weights = {}
    for c in COMPONENTS:
        try:
            if f"w_{c}" in qp:
                weights[c] = min(2.0, max(0.0, float(qp[f"w_{c}"])))
        except ValueError:  # a hand-edited link: ignore the bad number, keep the rest
            pass
    open_search(qp.get("q", ""), qp.get("mode") == "compare",
                qp.get("preset") if qp.get("preset") in PRESETS else "full",
                qp.get("preset_b") if qp.get("preset_b") in PRESETS else "bm25", weights)


def open_search(query: str, compare: bool, preset: str, preset_b: str, weights: dict[str, float]) -> None:
    """Put the search page in this state (a link's or a demo scenario's): moved weights and removed slots
    forgotten, the URL read no more this session."""
    reset_weights()
    st.session_state.update({SEARCH_QUERY: query, SEARCH_MODE: MODES[1] if compare else MODES[0],
                             SEARCH_PRESET: preset, SEARCH_PRESET_B: preset_b, SEARCH_WEIGHTS: dict(weights),
                             SEARCH_IGNORED_SLOTS: {}, "_search_from_url": True})


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


# ---- the active shopper: one per browser session, shared by every page ----
SHOPPER_EVENTS = "shopper_events"  # list of event dicts (schema "events" columns), any order
SHOPPER_UNDO = "shopper_undo"  # earlier timelines, newest last
SHOPPER_CLOCK = "shopper_clock"  # the simulated "now"
SHOPPER_QUERY_CATEGORY = "shopper_query_category"  # category of the shopper's last search (cold start)
SHOPPER_PERSONALISE = "shopper_personalise"  # whether the Search page personalises for the shopper
SHOPPER_USER = "you"
UNDO_DEPTH = 30


def init_shopper(clock: pd.Timestamp) -> None:
    """The shopper's state with defaults; ``clock`` is the data set's "now"."""
    st.session_state.setdefault(SHOPPER_EVENTS, [])
    st.session_state.setdefault(SHOPPER_UNDO, [])
    st.session_state.setdefault(SHOPPER_CLOCK, pd.Timestamp(clock).floor("min"))
    st.session_state.setdefault(SHOPPER_QUERY_CATEGORY, None)
    st.session_state.setdefault(SHOPPER_PERSONALISE, True)


def shopper_history() -> pd.DataFrame:
    """The shopper's events as a schema "events" frame, oldest first."""
    from ecomrec.data.loaders import empty

    rows = st.session_state.get(SHOPPER_EVENTS, [])
    if not rows:
        return empty("events")
    df = pd.DataFrame(rows, columns=list(empty("events").columns))
    df[S.TIMESTAMP] = pd.to_datetime(df[S.TIMESTAMP])
    df[S.POSITION] = df[S.POSITION].astype("Int64")
    return df.sort_values(S.TIMESTAMP, kind="stable").reset_index(drop=True)


def set_shopper_history(history: pd.DataFrame) -> None:
    """Replace the timeline (the old one goes on the undo stack)."""
    undo = st.session_state[SHOPPER_UNDO]
    undo.append(list(st.session_state[SHOPPER_EVENTS]))
    del undo[:-UNDO_DEPTH]
    st.session_state[SHOPPER_EVENTS] = history.astype(object).where(history.notna(), None).to_dict("records")


def undo_shopper() -> bool:
    """Back to the timeline before the last change; False when there is nothing to undo."""
    if not st.session_state[SHOPPER_UNDO]:
        return False
    st.session_state[SHOPPER_EVENTS] = st.session_state[SHOPPER_UNDO].pop()
    return True


def record(product_id: str, event_type: str, query: str | None = None, position: int | None = None) -> None:
    """Add one event at the shopper's clock, and move the clock on a minute (so order is kept)."""
    now = st.session_state[SHOPPER_CLOCK]
    history = shopper_history()
    row = {S.USER_ID: SHOPPER_USER, S.SESSION_ID: f"{SHOPPER_USER}-{now:%Y%m%d}", S.TIMESTAMP: now,
           S.PRODUCT_ID: product_id, S.EVENT_TYPE: event_type, S.QUERY: query, S.POSITION: position}
    set_shopper_history(pd.concat([history, pd.DataFrame([row])], ignore_index=True) if len(history)
                        else pd.DataFrame([row]))
    st.session_state[SHOPPER_CLOCK] = now + pd.Timedelta(minutes=1)


def shopper_cart() -> list[str]:
    """Product ids in the shopper's cart, as the timeline up to the clock leaves it."""
    from ecomrec.recommend.history import cart_of

    h = shopper_history()
    return cart_of(h[h[S.TIMESTAMP] <= st.session_state[SHOPPER_CLOCK]])


def plain(text: str) -> str:
    """User text (a query, a note, a label name) for st.markdown, shown as typed: every Markdown character is
    escaped, so nothing in it becomes a link, an image, emphasis or HTML."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))


# ---- the Annotate page ----
ANNOTATOR = "annotator"  # the name the annotator gave, kept for the browser session
ANNOTATE_FLASH = "annotate_flash"  # a message for the next run (set by callbacks, shown once as a toast)


def turn(name: str) -> int:
    """This browser session's turn number for ``name`` (a labelling screen): what the answer buttons drawn now carry.

    One key press must give one answer. On a busy server, another annotator can answer the query on screen while
    this page runs again; during that run the browser holds the old card's Submit and the new card's at once, and
    one Enter presses both (seen in the load bench: 10 presses, 11 answers; reproduced with 4 annotators: 8
    presses, 9 answers, the extra one to a query on screen for 0.1 s).
    Both carry the same turn; :func:`take_turn` lets the first through and ends the turn.
    """
    return int(st.session_state.get(f"turn_{name}", 0))


def take_turn(name: str, drawn: int) -> bool:
    """True (and the turn moves on) when a button drawn in turn ``drawn`` of ``name`` acts now; False when another
    button of that turn has acted already."""
    if drawn != turn(name):
        return False
    st.session_state[f"turn_{name}"] = drawn + 1
    return True


# ---- training runs started from a page ----
TRAINING = "training_in_progress"  # label of the model being trained; still set on the next run = cancelled
