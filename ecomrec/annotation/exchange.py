"""Labels in and out: resolved labels as CSV, JSON Lines or a Hugging Face ``datasets`` folder, and
labelled or unlabelled query files made elsewhere, validated like any import.

Files are written only inside the folder given (a name is reduced to its last part and made safe), so
an export or import name can never point elsewhere.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ecomrec.annotation.agreement import final_labels
from ecomrec.annotation.store import Store
from ecomrec.data.importer import read_any
from ecomrec.data.mapping import safe_name

FORMATS = ("csv", "jsonl", "hf")
TEXT_COLUMNS = ("text", "query", "search_term", "query_text")
LABEL_COLUMNS = ("label", "intent", "class", "query_class", "category")


def resolved_labels(store: Store, set_name: str) -> pd.DataFrame:
    """One label per answered record (resolution, else unique majority): text, label, answers, source."""
    return final_labels(store.responses(set_name), store.resolutions(set_name)).drop(columns="record_id")


def export_labels(store: Store, set_name: str, folder: Path, name: str, fmt: str) -> Path:
    """Write the set's resolved labels into ``folder`` as ``<name>.csv``, ``<name>.jsonl`` or a
    ``datasets`` folder ``<name>/`` (``datasets.load_from_disk`` reads it; the label is a ClassLabel).
    Returns the path written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {FORMATS}")
    table = resolved_labels(store, set_name)
    base = Path(folder) / safe_name(Path(name).name)
    base.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("csv", "jsonl"):
        path = base.with_suffix(f".{fmt}")
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")  # readers never see a half-written file
        if fmt == "csv":
            table.to_csv(tmp, index=False)
        else:
            table.to_json(tmp, orient="records", lines=True, force_ascii=False)
        os.replace(tmp, path)
    else:
        import datasets

        names = [lab.name for lab in store.labels(set_name)]
        features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=names),
                                      "answers": datasets.Value("int64"), "source": datasets.Value("string")})
        path = base
        datasets.Dataset.from_pandas(table, features=features, preserve_index=False).save_to_disk(str(path))
    return path


@dataclass
class LabelFile:
    """A read labels file: its (text, label) rows, the labels the set lacks, and the rows refused."""

    rows: pd.DataFrame  # text, label (label None for unlabelled records)
    unknown_labels: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file row N: problem"


def read_label_file(path: str | Path, known_labels: list[str], encoding: str = "utf-8") -> LabelFile:
    """Read queries (``text`` or ``query``) with an optional label column (``label``, ``intent``, ...).

    Rows without text are refused with their row number; labels the set does not have are listed in
    ``unknown_labels`` so the page can offer to create them.

    Raises:
        ValueError: when the file cannot be read or has no text column (naming the columns it has).
    """
    df, first = read_any(path, encoding=encoding)
    name = Path(path).name
    text_col = next((c for c in df.columns if str(c).strip().lower() in TEXT_COLUMNS), None)
    if text_col is None:
        raise ValueError(f"{name}: no query column; name one of {list(TEXT_COLUMNS)} (the file has "
                         f"{[str(c) for c in df.columns]})")
    label_col = next((c for c in df.columns if str(c).strip().lower() in LABEL_COLUMNS), None)
    text = df[text_col].map(lambda v: " ".join(str(v).split()) if v is not None and pd.notna(v) else "")
    label = (df[label_col].map(lambda v: " ".join(str(v).split()) if v is not None and pd.notna(v) else None)
             if label_col is not None else pd.Series([None] * len(df)))
    problems = [f"{name} row {i + first}, column {text_col!r}: empty query" for i in range(len(df)) if not text[i]]
    rows = pd.DataFrame({"text": text, "label": label})[text.ne("")].reset_index(drop=True)
    unknown = sorted(set(rows["label"].dropna()) - set(known_labels))
    return LabelFile(rows, unknown, problems)


def import_labels(store: Store, set_name: str, file: LabelFile, annotator: str, source: str,
                  create_unknown: bool = False) -> dict[str, int]:
    """Add the file's queries as records and its labels as ``annotator``'s submitted answers.

    Raises:
        ValueError: when the file has labels the set lacks and ``create_unknown`` is False.
    """
    from ecomrec.annotation.store import Label

    if file.unknown_labels and not create_unknown:
        raise ValueError(f"{len(file.unknown_labels)} label(s) are not in {set_name!r}: "
                         f"{file.unknown_labels[:10]}; create them or map the file's labels first")
    for lab in file.unknown_labels:
        store.add_label(set_name, Label(lab))
    added = store.add_records(file.rows["text"], source)
    records = store.records()
    ids = dict(zip(records["text"], records["id"]))
    labelled = file.rows.dropna(subset=["label"]).drop_duplicates("text", keep="last")
    store.respond_many(set_name, annotator, [(ids[t], lab) for t, lab in zip(labelled["text"], labelled["label"])])
    return {"records_added": added, "answers": len(labelled), "labels_created": len(file.unknown_labels)}
