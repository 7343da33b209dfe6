"""Cached access to the engine. Models via st.cache_resource, derived data via st.cache_data."""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from ecomrec import first_run
from ecomrec.engine import Engine
from ecomrec.models.registry import Registry


def engine(data_dir: str) -> Engine:
    """The engine of ``data_dir`` whose retrieval encoder is the active bi-encoder version.

    Activating another bi-encoder version gives a new engine (catalog embeddings differ per
    encoder); cached engines are never mutated.
    """
    return _engine(data_dir, Registry.for_dataset(Path(data_dir).name).active("biencoder"))


WARM = os.environ.get("ECOMREC_WARM", "1") != "0"  # the tests switch it off: their searches are their own


@st.cache_resource(show_spinner="Loading the data set…")
def _engine(data_dir: str, biencoder_version: str | None) -> Engine:
    """One engine per data set folder and bi-encoder version, shared by all sessions; warmed in the background
    (:meth:`~ecomrec.engine.Engine.warm`) while the first person reads the page, so that their first search pays
    no one-time cost (models loading, indexes building)."""
    eng = Engine.load(data_dir)
    if WARM:
        threading.Thread(target=_warm, args=(eng,), name="warm", daemon=True).start()
    return eng


def _warm(eng: Engine) -> None:
    try:
        eng.warm()
    except Exception:  # noqa: BLE001 - the page's own search then meets the same problem and shows it
        pass


def engine_with_embeddings(data_dir: str) -> Engine:
    """The engine with catalog embeddings in memory; shows a progress bar when it must encode."""
    eng = engine(data_dir)
    if not eng.embeddings.ready:
        bar = st.progress(0.0, text="Loading catalog embeddings (encoding only what is not cached)…")
        eng.embeddings.catalog_embeddings(lambda done, total: bar.progress(
            done / total, text=f"Encoding the catalog: {done:,} / {total:,} products"))
        bar.empty()
    return eng


def prepare_cart(eng: Engine) -> None:
    """Wait, with a progress bar, until the cart list's setting is chosen on the shop's own held-back baskets
    (once per data set: seconds on a small shop, a few minutes on a large one); it starts in the background at
    import, else here."""
    if eng.recs.cart_ready():
        return
    text = "Learning what goes together from this shop's baskets (once per data set)"
    bar = st.progress(0.0, text=f"{text}…")
    while (now := first_run.active(eng.models.registry.root)) is not None and first_run.CART in now.stages \
            and first_run.CART not in now.done:
        # the first run's background process chooses it (first of its stages): wait for that one
        bar.progress(now.fraction, text=f"{text}: {now.detail or 'starting'}")
        time.sleep(0.5)
    eng.recs.start_cart_choice()
    while (now := eng.recs.cart_progress()) is not None:
        bar.progress(now[1], text=f"{text}: {now[0]}")
        time.sleep(0.5)
    eng.recs.cart_choice(lambda stage, frac: bar.progress(frac, text=f"{text}: {stage}"))  # chosen by now, or
    bar.empty()  # (when the background choice failed) chosen here


@st.cache_data(show_spinner="Laying out the catalog map (t-SNE)…")
def embedding_map(data_dir: str, biencoder_version: str | None = None) -> pd.DataFrame:
    """2-D map of the catalog embeddings (cached on disk as well), per retrieval encoder.

    Call :func:`engine_with_embeddings` first, so encoding shows its progress bar.
    """
    return _engine(data_dir, biencoder_version).embeddings.embedding_map()


@st.cache_data(show_spinner=False)
def example_queries(data_dir: str) -> list[str]:
    """Example queries drawn from the data set (:meth:`ecomrec.services.catalog.Catalog.example_queries`)."""
    return engine(data_dir).catalog.example_queries()


@st.cache_data
def honest_results() -> dict[str, dict] | None:
    """The committed honest bench's model-vs-baseline records (``benchmarks/honest.json``; its other records, such
    as ``intent_ece``, left out), or None when there are none."""
    from ecomrec.config import REPO_ROOT
    from ecomrec.honest import LABELS, RESULTS_FILE

    path = REPO_ROOT / RESULTS_FILE
    return {k: v for k, v in json.loads(path.read_text()).items() if k in LABELS} if path.exists() else None


@st.cache_data
def bench_results(name: str) -> dict | None:
    """A committed bench result file (``benchmarks/<name>.json``), or None when there is none."""
    from ecomrec.config import REPO_ROOT

    path = REPO_ROOT / "benchmarks" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def forget() -> None:
    """Drop cached engines and maps after an import (re)wrote a data set, so every page reads the new files."""
    _engine.clear()
    embedding_map.clear()
    example_queries.clear()


def saved_upload(upload) -> Path:
    """The uploaded file on disk, written once per upload (not on every rerun) under its base name in a temp
    folder of its own, so an upload's name can never point outside it."""
    path = Path(tempfile.gettempdir()) / f"ecomrec-upload-{upload.file_id}" / Path(upload.name).name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(upload.getvalue())
    return path


@st.cache_data(max_entries=4, show_spinner="Reading the file…")
def read_upload(path: str, encoding: str) -> pd.DataFrame:
    """The saved upload as a table of text cells, read once per (file, encoding); raises as ``read_any``."""
    from ecomrec.data.importer import read_any

    return read_any(path, encoding=encoding)[0]
