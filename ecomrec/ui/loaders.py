"""Cached access to the engine. Models via st.cache_resource, derived data via st.cache_data."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ecomrec.engine import Engine


@st.cache_resource(show_spinner="Loading the data set…")
def engine(data_dir: str) -> Engine:
    """One engine per data set folder, shared by all sessions."""
    return Engine.load(data_dir)


def engine_with_embeddings(data_dir: str) -> Engine:
    """The engine with catalog embeddings in memory; shows a progress bar when it must encode."""
    eng = engine(data_dir)
    if not eng.has_embeddings:
        bar = st.progress(0.0, text="Loading catalog embeddings (encoding only what is not cached)…")
        eng.catalog_embeddings(lambda done, total: bar.progress(
            done / total, text=f"Encoding the catalog: {done:,} / {total:,} products"))
        bar.empty()
    return eng


@st.cache_data(show_spinner="Laying out the catalog map (t-SNE)…")
def embedding_map(data_dir: str) -> pd.DataFrame:
    """2-D map of the catalog embeddings (cached on disk as well).

    Call :func:`engine_with_embeddings` first, so encoding shows its progress bar.
    """
    return engine(data_dir).embedding_map()
