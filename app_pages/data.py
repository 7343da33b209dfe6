"""Import page: bring your own shop: upload a file, map its columns, import it as a data set."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from ecomrec import schema as S
from ecomrec.config import MAX_UPLOAD_MB, default_data_root
from ecomrec.data import importer, mapping
from ecomrec.ui import layout, loaders, state

IGNORE = "(leave out)"
LAST_IMPORT = "last_import"  # (data set name, ImportReport) of the import just made
RETRY = "import_retry"  # set by a way-forward button under a refused import: import again with its change
POLICIES = {"All or nothing": "all", "Keep the good rows": "skip"}
PRESET_LABELS = {None: "No: map the columns myself", "flipkart": "Flipkart product export",
                 "online_retail": "UCI Online Retail (orders and the catalog they imply)",
                 "wands": "WANDS queries (Wayfair)"}

st.title(":material/upload_file: Import your shop")
st.markdown("Upload a catalog, queries, shopper events, order lines or promotions (CSV, TSV, Parquet, JSON Lines "
            "or a JSON array of objects), tell ecomrec which column holds what, and import it as a data set. "
            "It then appears in the sidebar's **Data set** list, with models of its own.")

upload = st.file_uploader("File", type=["csv", "tsv", "txt", "parquet", "jsonl", "ndjson", "json"],
                          help=f"Up to {MAX_UPLOAD_MB} MB.")
if upload is None:
    st.info("Choose a file to see its first rows.")
    st.stop()
if upload.size > MAX_UPLOAD_MB * 2**20:
    st.error(f"{upload.name} is {upload.size / 2**20:,.0f} MB; the limit is {MAX_UPLOAD_MB} MB. Nothing was "
             "changed. Split the file, or import it with `python -m ecomrec import` (no limit).")
    st.stop()
encoding = st.selectbox("Text encoding", ["utf-8", "cp1252", "latin-1"],
                        help="UTF-8 unless the file came from an older spreadsheet (then often cp1252).")
source = loaders.saved_upload(upload)
try:
    raw = loaders.read_upload(str(source), encoding)
except (ValueError, FileNotFoundError) as exc:
    st.error(f"{exc}. Nothing was changed.")
    st.stop()
st.caption(f"{upload.name}: {len(raw):,} rows, {len(raw.columns)} columns. First rows:")
st.dataframe(raw.head(8), hide_index=True, width="stretch")

presets = [None] + [p for p in importer.PRESETS if importer.preset_fits(p, raw)]
preset = st.selectbox("Is it a known export?", presets, format_func=PRESET_LABELS.get,
                      index=len(presets) - 1 if len(presets) > 1 else 0,
                      help="Known exports have cleaning rules of their own (see the README). Offered when the "
                           "file has the columns they need.")
columns: dict[str, str] = {}
kind = None
if preset is not None:
    st.markdown(f"**What the {PRESET_LABELS.get(preset, preset)} preset does with each column** (choose "
                "*No: map the columns myself* above to map them yourself):")
    st.dataframe(pd.DataFrame(importer.PRESET_MAPPINGS[preset], columns=["the file's column", "becomes", "rule"]),
                 hide_index=True, width="stretch")
if preset is None:
    guessed = mapping.guess_kind(raw)
    kind = st.radio("The file holds", mapping.KINDS, index=mapping.KINDS.index(guessed),
                    format_func=mapping.KIND_LABELS.get, horizontal=True)
    guess = mapping.guess_mapping(raw, kind)
    st.markdown("**Which column holds what.** Pre-filled with a guess from the column names and values "
                "(shown under each box); check each before importing. Required: "
                f"{', '.join(importer.required_fields(kind))}."
                + (" Map several columns to *category* to join them (Department > Aisle)." if kind == "products"
                   else ""))
    options = [IGNORE, *mapping.fields(kind)]
    cols = st.columns(4)
    for i, col in enumerate(raw.columns):
        g = guess[col]
        chosen = cols[i % 4].selectbox(str(col), options, index=options.index(g) if g else 0, key=f"map_{kind}_{col}",
                                       help=f"Guess: {g or 'leave out'}")
        cols[i % 4].caption(f"guess: {g or 'leave out'}")
        columns[str(col)] = "" if chosen == IGNORE else chosen  # "": left out, even when named like a field
    missing = importer.missing_fields(kind, columns.values())
    if missing:
        st.warning(f"Map a column to: {', '.join(missing)}.")



def ways_forward(errors: list, kind: str | None, columns: dict[str, str]) -> None:
    """Buttons under a refused import: leave out a mapped column whose values are bad (when its field is
    optional), or keep the good rows; each changes the settings above, then Import runs again."""
    row = st.container(horizontal=True)
    optional = set() if kind is None else set(mapping.fields(kind)) - set(importer.required_fields(kind))
    bad = dict.fromkeys(e.column for e in errors)
    for source, target in columns.items():
        if target in bad and target in optional:
            row.button(f"Leave “{source}” out ({target} is optional) and import", key=f"drop_{source}",
                       on_click=retry, args=({f"map_{kind}_{source}": IGNORE},))
    row.button("Keep the good rows and import", on_click=retry, args=({"import_policy": "Keep the good rows"},))


def retry(settings: dict[str, str]) -> None:
    """Apply ``settings`` (widget key -> value) and import again on this run."""
    st.session_state.update(settings)
    st.session_state[RETRY] = True


left, right = st.columns(2)
existing = sorted(p.name for p in default_data_root().glob("*") if (p / "products.csv").exists())
name_text = left.text_input("Data set name", Path(upload.name).stem, key="import_name",
                            help="A new name makes a new data set; an existing one ("
                                 + (", ".join(existing) or "none yet") + ") gets this table added or replaced.")
policy = POLICIES[right.radio("If some rows are bad", list(POLICIES), horizontal=True, key="import_policy",
                              help="All or nothing: any bad row imports nothing and lists the problems. Keep the "
                                   "good rows: bad rows are left out and listed, with a CSV to download.")]
if st.button("Import", type="primary", disabled=preset is None and bool(missing)) or st.session_state.pop(RETRY, False):
    try:
        name = mapping.safe_name(name_text)
        into = default_data_root() / name
        with st.spinner(f"Importing {upload.name} into {name}…"):
            report = importer.run_import(source, into, preset=preset, kind=kind, mapping=columns,
                                         policy=policy, encoding=encoding)
    except S.ValidationError as exc:
        st.error(f"Nothing was imported: {len(exc.errors)} problem(s). Fix the file, map another column, or choose "
                 "*Keep the good rows*.")
        st.dataframe(pd.DataFrame([{"file": e.file, "row": e.row, "column": e.column, "problem": e.message}
                                   for e in exc.errors[:500]]), hide_index=True, width="stretch")
        ways_forward(exc.errors, kind, columns)
    except (ValueError, FileNotFoundError) as exc:
        st.error(f"Nothing was imported: {exc}")
    else:
        loaders.forget()
        st.session_state[state.DATA_DIR] = str(into)
        st.session_state[LAST_IMPORT] = (name, report)
        st.rerun()  # draw the sidebar again, now with the new data set chosen

if LAST_IMPORT in st.session_state:  # the import just made: shown once, after the rerun that switched data sets
    name, report = st.session_state.pop(LAST_IMPORT)
    st.success(f"Imported into **{name}**: " + ", ".join(f"{n:,} {k}" for k, n in report.written.items())
               + ". It is now the data set in the sidebar.")
    for note in report.notes:
        st.info(note)
    if report.rejects:
        rejects = report.rejects_frame()
        st.warning(f"{len(rejects):,} row(s) were left out:")
        st.dataframe(rejects["problem"].value_counts().rename_axis("problem").reset_index(name="rows"),
                     hide_index=True)
        st.dataframe(rejects, hide_index=True, width="stretch")
        st.download_button("Download the rejected rows (CSV)", rejects.to_csv(index=False), "rejects.csv",
                           "text/csv", on_click="ignore")
    if report.written.get("products"):  # the first search is prepared here, with progress, not on the Search page
        ready = loaders.engine_with_embeddings(state.data_dir())  # encodes the catalog with a progress bar
        with st.spinner("Preparing search: building the word index and the ranking features…"):
            examples = ready.catalog.example_queries()
            try:
                if examples:
                    ready.search(examples[0])  # builds what every later search reuses (kept with the engine)
            except ValueError:  # an example that cleans to nothing: the first real search builds it instead
                pass
        st.caption("Search is ready: the catalog is encoded and indexed.")
    shop = loaders.engine(state.data_dir())
    if (report.written.get("products") or report.written.get("events")) and \
            shop.catalog.events[S.EVENT_TYPE].eq("purchase").any():  # the cart list learns from its baskets now
        loaders.engine_with_embeddings(state.data_dir()).recs.start_cart_choice()
        st.caption("The cart list is learning what goes together from this shop's baskets, in the background "
                   "(seconds on a small shop, a few minutes on a large one); the Shopper page shows how far it is.")
    st.page_link("app_pages/search.py", label="Search the new catalog", icon=":material/search:")
if Path(state.data_dir()).parent == default_data_root():  # an imported data set: what its models can be
    layout.model_panel(loaders.engine(state.data_dir()))
