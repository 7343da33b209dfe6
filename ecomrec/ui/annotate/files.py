"""The Files tab: resolved labels out (CSV, JSON Lines, a Hugging Face datasets folder), queries and labels in."""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from ecomrec.ui import loaders
from ecomrec.ui.annotate.common import Choice

if TYPE_CHECKING:
    from ecomrec.services.labels import Labels

FORMAT_NAMES = {"csv": "CSV", "jsonl": "JSON Lines", "hf": "Hugging Face datasets folder"}
FILE_TYPES = ["csv", "tsv", "jsonl", "json", "parquet"]


def draw(eng, c: Choice) -> None:
    x1, x2 = st.columns(2)
    with x1.container(border=True):
        _export(eng.labels, c.set_name)
    with x2.container(border=True):
        _import(eng.labels, c.set_name)


def _export(labels: Labels, set_name: str) -> None:
    """A download of the resolved labels (written on every run, so it is current), or a datasets folder."""
    st.markdown("**Export resolved labels** (unanimous, majority or resolved; ties stay out)")
    n = len(labels.resolved_labels(set_name))
    st.caption(f"{n:,} labelled queries.")
    fmt = st.radio("Format", list(labels.FORMATS), horizontal=True, format_func=FORMAT_NAMES.get)
    if fmt == "hf":
        if st.button("Write the folder", disabled=not n):
            st.success(f"Written: {labels.export(set_name, 'hf')} (datasets.load_from_disk reads it).")
    else:
        path = labels.export(set_name, fmt)
        st.download_button(f"Download {path.name}", path.read_bytes(), file_name=path.name, disabled=not n)


def _import(labels: Labels, set_name: str) -> None:
    """Read an uploaded file, show what it holds and what was refused, import on request."""
    st.markdown("**Import queries or labels made elsewhere** (a `text`/`query` column, optionally `label`)")
    upload = st.file_uploader("Labels file", type=FILE_TYPES, key="labels_upload")
    if upload is None:
        return
    try:
        file = labels.read_file(set_name, loaders.saved_upload(upload))
    except (ValueError, FileNotFoundError) as exc:
        st.error(str(exc))
        return
    st.caption(f"{len(file.rows):,} queries, {file.rows['label'].notna().sum():,} with a label.")
    for problem in file.problems[:20]:
        st.warning(f"Skipped: {problem}")
    create = False
    if file.unknown_labels:
        create = st.checkbox(f"Create the {len(file.unknown_labels)} label(s) this set lacks: "
                             + ", ".join(file.unknown_labels[:20]), value=False)
    if st.button("Import", type="primary", disabled=bool(file.unknown_labels) and not create):
        done = labels.import_file(set_name, file, upload.name, create)
        st.success(f"Added {done['records_added']:,} queries and {done['answers']:,} answers; created "
                   f"{done['labels_created']} label(s).")
