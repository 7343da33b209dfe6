"""What every page shares: the pages and their titles, the shared sidebar, model status and training."""
from __future__ import annotations

import streamlit as st

from ecomrec import first_run
from ecomrec import schema as S
from ecomrec.roles import ROLES
from ecomrec.ui import loaders, state

# (script, label, icon): the pages `app.py` hands to st.navigation, in the sidebar's order; the first is Home,
# served at the root URL. Each page's URL path is its file name ("/search", "/data"), which AppTest's
# switch_page("app_pages/search.py") also finds before the first run.
PAGES = (
    ("app_pages/home.py", "Home", ":material/home:"),
    ("app_pages/search.py", "Search", ":material/search:"),
    ("app_pages/catalog.py", "Catalog", ":material/inventory_2:"),
    ("app_pages/shopper.py", "Shopper", ":material/person:"),
    ("app_pages/train.py", "Train", ":material/model_training:"),
    ("app_pages/annotate.py", "Annotate", ":material/label:"),
    ("app_pages/evaluate.py", "Evaluate", ":material/insights:"),
    ("app_pages/data.py", "Import", ":material/upload_file:"),
)


def dataset_label(name: str | None) -> str:
    """A data set's name for people: "the sample shop" for the shipped one, else its folder name."""
    from ecomrec.config import SAMPLE_DATA_DIR

    if not name:
        return "an unnamed data set"
    return "the sample shop" if name == SAMPLE_DATA_DIR.name else name


def version_text(version: str | None, dataset: str | None = None, verb: str = "trained") -> str:
    """A model version for people: "trained 1 Dec, 18:26" (+ " on the sample shop"), from the registry's
    "v20261201-182624-826035"; a version of another shape is shown as it is."""
    import datetime as dt

    if not version:
        return "none yet"
    try:
        when = dt.datetime.strptime(str(version)[1:16], "%Y%m%d-%H%M%S")
        text = f"{verb} {when.day} {when:%b}, {when:%H:%M}"
    except ValueError:
        text = str(version)
    return text + (f" on {dataset_label(dataset)}" if dataset else "")


def label_text(name: str) -> str:
    """A label's name for people: "deal seeking" for "deal_seeking" (the stored name is unchanged)."""
    return str(name).replace("_", " ")


def suggester_text(model: str) -> str:
    """Which model suggests the labels, for people: "the intent model trained 7 Dec, 12:30", "the category
    model trained …", or "no model yet: the labels' names and examples" (zero-shot), from the name
    :meth:`~ecomrec.services.labels.Labels.suggest` returns."""
    from ecomrec.annotation.suggest import ZERO_SHOT

    if not model or model == ZERO_SHOT:
        return "no trained model yet: read from the labels' names and examples"
    version, _, kind = str(model).partition(" (")
    return f"the {'category' if kind.startswith('category') else 'intent'} model {version_text(version)}"


def sidebar() -> None:
    """The sidebar every page shares, below the navigation (`app.py` draws it before running the page): the data
    set chooser, the active shopper, the models and the device."""
    state.choose_dataset_widget()
    try:
        eng = loaders.engine(state.data_dir())
    except (FileNotFoundError, ValueError) as exc:  # its files are missing, damaged or break their contract
        st.error(f"This data set cannot be opened: {exc}  \nChoose another one under **Data set** in the sidebar.",
                 icon=":material/error:")
        st.stop()
    state.init_shopper(eng.catalog.clock)
    n_events, cart = len(st.session_state[state.SHOPPER_EVENTS]), state.shopper_cart()
    if n_events:
        st.sidebar.caption(f":material/person: Shopper: {n_events} events, {len(cart)} in the cart, clock "
                           f"{st.session_state[state.SHOPPER_CLOCK]:%d %b %Y %H:%M}")
    root = eng.models.registry.root
    background = first_run.read_status(root)
    if background is not None and not background.finished:
        with st.sidebar:
            (_background_progress if first_run.running(root) else _background_stopped)(root)
    status = eng.status()
    with st.sidebar.expander("Models and device"):
        versions = "  \n".join(
            f"**{m['label']}:** " + (version_text(m["version"], m["dataset"] or "")
                                     + (" (the data has changed since)" if m["stale"] else "")
                                     if m["version"] else "none yet")
            for m in eng.models.status())
        st.markdown(f"**Encoder:** `{status['encoder']}`  \n**Device:** `{status['device']}`  \n"
                    f"**Catalog embeddings:** {status['catalog embeddings']}  \n{versions}")


@st.fragment(run_every=2)
def _background_progress(registry_root) -> None:
    """The first run's background training, redrawn every 2 s while it runs; the whole page runs again once it
    ends, so every page then uses (and says it uses) the new models."""
    now = first_run.active(registry_root)
    if now is None:
        st.rerun()
    step = f"{min(len(now.done) + 1, len(now.stages))} of {len(now.stages)}"
    what = f"{now.label(now.current)} · {now.detail}" if now.current else "starting" if not now.done else "finishing"
    st.progress(now.overall, text=f"**Training the default models in the background** ({step}): {what}")
    st.caption("Every page works meanwhile; each model is used from the search after it is ready.")
    with st.expander("What the pages use meanwhile"):
        st.markdown("\n".join(f"- *{ROLES[s].label}*: {ROLES[s].without}" for s in now.stages
                               if s in ROLES and s not in now.done))


def _background_stopped(registry_root) -> None:
    """The first run's background training ended before it finished (killed, or failed)."""
    st.warning(f"The background training of the default models stopped before it finished (its log: "
               f"`{registry_root / first_run.LOG_FILE}`). The Home page can train what is missing, or `make run` "
               "starts it again.", icon=":material/warning:")


def shopper_actions(product_id: str, key: str, query: str | None = None, position: int | None = None) -> None:
    """Buttons "View" and "Add to cart" that record the event in the active shopper's timeline.

    Callbacks run before the page re-runs, so everything drawn after them sees the new event.
    """
    row = st.container(horizontal=True)
    row.button("View", key=f"view_{key}", icon=":material/visibility:", on_click=state.record,
               args=(product_id, "view", query, position), help="Record a view in the shopper's timeline")
    row.button("Add to cart", key=f"cart_{key}", icon=":material/add_shopping_cart:", on_click=state.record,
               args=(product_id, "add_to_cart", query, position), help="Put it in the shopper's cart")


def measured(tasks: tuple[str, ...]) -> None:
    """A caption quoting the latest honest bench for ``tasks``, on the sample shop only (the numbers are its)."""
    from pathlib import Path

    from ecomrec.config import SAMPLE_DATA_DIR
    from ecomrec.honest import sentence

    records = loaders.honest_results()
    if records is None or Path(state.data_dir()).resolve() != SAMPLE_DATA_DIR.resolve():
        return
    said = [sentence(t, records[t]) for t in tasks if t in records]
    if said:
        with st.expander("How well does this do on this shop? Measured on its held-out data"):
            st.caption("From the latest `bench --only honest` (every task on Home):  \n" + "  \n".join(said))


def price_md(price: float | None, sign: str = "$") -> str:
    """A price for Markdown in the data set's currency ``sign`` ("\\$1,299.00", a dollar escaped so it is not
    maths; "₹849.00"), or "no price"."""
    return S.price_text(price, sign).replace("$", "\\$")


def training_started(label: str) -> None:
    """Call before a long training run: shows a Cancel button. Clicking it (or any widget) starts a new run of
    the page, and Streamlit stops this one at its next progress update; nothing half-trained is saved (a version
    is written only at the end). The next run then says the training was cancelled."""
    st.session_state[state.TRAINING] = label
    st.button("Cancel training", icon=":material/cancel:", key="cancel_training",
              help="Stops after the current step; nothing is saved.")


def training_finished() -> None:
    """Call when the run ended by itself (done or refused)."""
    st.session_state.pop(state.TRAINING, None)


def report_cancelled() -> None:
    """On the run after a cancelled training: say so, once."""
    label = st.session_state.pop(state.TRAINING, None)
    if label:
        st.warning(f"Training of the {label.lower()} was cancelled; nothing was saved.")


def model_panel(eng) -> None:
    """This data set's missing models: what it cannot train and why (and what the app does instead), and one
    button that trains every model it can support, with progress per step (Cancel stops it; nothing half-trained
    is saved)."""
    missing = [m for m in eng.models.status() if m["version"] is None and ROLES[m["role"]].first_run]
    if not missing:  # an optional model (a fine-tuned bi-encoder) not trained is no news: the packaged one serves
        return
    trainable = [m for m in missing if m["cannot_train"] is None]
    with st.container(border=True):
        st.markdown(f"**Not trained yet for {dataset_label(eng.catalog.name)}:** "
                    f"{', '.join(m['label'].lower() for m in missing)}. Every page works without them, and nothing "
                    "trained on another data set is used here.")
        with st.expander("What each page does meanwhile"):
            for m in missing:
                why = f"cannot train: {m['cannot_train']}. " if m["cannot_train"] else ""
                st.markdown(f"- *{m['label']}*: {why}Meanwhile: {m['without']}")
        report_cancelled()
        background = first_run.active(eng.models.registry.root)
        if background is not None:
            todo = [background.label(s) for s in background.stages if s not in background.done]
            st.info(f"Training in the background now: {', '.join(todo)} (how far: in the sidebar). Nothing to do "
                    "here; each one is used as soon as it is ready.", icon=":material/hourglass_top:")
            return
        if trainable and st.button("Train the models this data set can support: "
                                   + ", ".join(m["label"].lower() for m in trainable), type="primary"):
            training_started(", ".join(m["label"] for m in trainable))
            for m in trainable:
                with st.status(f"Training the {m['label'].lower()}…", expanded=True) as box:
                    bar = st.progress(0.0)
                    manifest = eng.models.train(m["role"], progress=lambda p, bar=bar: bar.progress(
                        min(1.0, p.step / max(1, p.total_steps)), text=f"epoch {p.epoch} · step {p.step}/"
                        f"{p.total_steps} · loss {p.loss:.3f}"))
                    box.update(label=f"{m['label']}: version {manifest.version} ({manifest.train_s:.0f} s)",
                               state="complete", expanded=False)
            training_finished()
            st.rerun()
