"""Reading judgment files: (query, product, grade) rows from CSV / TSV / JSONL / Parquet or TREC qrels.

Two steps, so a page can show what a file holds before anything is stored:

1. :func:`read_judgments` reads the file (through :func:`ecomrec.data.importer.read_any`, so formats and
   encodings behave as in the catalog import), finds the query, product and grade columns, matches each row's
   product to the catalog (by id, or by title: :func:`normalise_title`, exact match, ties to the first catalog
   row), and proposes a gain table (:func:`ecomrec.relevance.gains.propose_gains`). Rows with an empty query or
   grade, an unknown product id or a title no product has are reported by file, row, column and value.
2. :func:`to_pairs` applies a gain table the caller chose, rejects grades not in it, and averages the rows of
   one (query, product) pair (several raters): the judged pairs, and an
   :class:`~ecomrec.data.importer.ImportReport` of what was kept and rejected.

TREC qrels (``query_id 0 doc_id grade``, whitespace separated) hold query ids only: a topics file (CSV / TSV /
JSONL with a query id and a query text column, e.g. WANDS ``query.tsv``) or a ``{query_id: text}`` mapping gives
their text; without one the query text *is* the id (fine for measuring, useless for searching: say so).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd

from ecomrec import schema as S
from ecomrec.data.importer import POLICIES, ImportReport, detect_format, read_any
from ecomrec.relevance.gains import detect_scale, grade_key, lookup, propose_gains

TREC = "trec"
TREC_SUFFIXES = (".qrels", ".trec")  # besides fmt="trec" and any file whose name holds "qrels"
TREC_FIELDS = ("query_id", "iteration", "doc_id", "grade")
# column names tried, in order and case-insensitively, when the caller names none: the spellings of the
# public judgment sets (ESCI, WANDS, CrowdFlower, Home Depot, TREC exports)
GUESSES = {
    "query": ("query", "query_text", "search_term", "search_query", "keyword", "keywords", "q"),
    "query_id": ("query_id", "qid", "topic", "topic_id"),
    "product_id": ("product_id", "doc_id", "docid", "item_id", "sku", "pid", "asin"),
    "title": ("product_title", "title", "product_name", "name"),
    "grade": ("grade", "relevance", "median_relevance", "esci_label", "label", "judgment", "judgement",
              "rating", "score", "relevant"),
}
TOPIC_TEXT = ("query", "text", "title", "query_text")  # a topics file's text column


@dataclass(frozen=True)
class JudgmentColumns:
    """Which file columns hold what; None: guessed from :data:`GUESSES`. Name ``title`` to match products by
    title (a file with ``product_id`` and title columns matches by id unless ``title`` is named)."""

    query: str | None = None
    product_id: str | None = None
    title: str | None = None
    grade: str | None = None
    query_id: str | None = None  # query ids whose text a topics mapping gives (TREC files always have them)

    @classmethod
    def of(cls, columns: JudgmentColumns | Mapping[str, str | None] | None) -> JudgmentColumns:
        """From a :class:`JudgmentColumns`, a ``{"query": ..., "grade": ...}`` dict (what pages pass) or None.

        Raises:
            ValueError: naming a key that is not a field.
        """
        if columns is None or isinstance(columns, cls):
            return columns or cls()
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(columns) - names)
        if unknown:
            raise ValueError(f"unknown column role(s) {unknown}; use {sorted(names)}")
        return cls(**{k: v or None for k, v in columns.items()})


@dataclass(frozen=True, eq=False)
class ParsedJudgments:
    """A judgment file read and matched to the catalog, before a gain table is applied.

    Attributes:
        file: the file's name (as problems name it).
        fmt: "csv", "tsv", "jsonl", "json", "parquet" or "trec".
        columns: role ("query", "query_id", "product_id" or "title", "grade") -> the file column read for it.
        rows: the rows that passed: row (line number in the file), query, product_id, grade (as written).
        rows_read: data rows in the file.
        rejects: rows that did not pass: file, row, column, value, problem (unmatched titles among them).
        grades: grade as first spelled -> rows with it (rejected rows too), in the proposal's order.
        proposed: the proposed gain table, from every grade in the file (rows rejected for another reason
            too: they are on the file's scale); {} when no known scale covers the grades (see ``scale``).
        scale: the detected scale ("numeric", "esci", ...), or why none was.
    """

    file: str
    fmt: str
    columns: dict[str, str]
    rows: pd.DataFrame = field(repr=False)
    rows_read: int
    rejects: pd.DataFrame = field(repr=False)
    grades: dict[str, int]
    proposed: dict[str, float]
    scale: str

    @property
    def unmatched(self) -> pd.DataFrame:
        """Rows whose title no catalog product has (file, row, column, value)."""
        r = self.rejects
        return r[r["problem"].eq(UNMATCHED)][["file", "row", "column", "value"]].reset_index(drop=True)

    @property
    def matched_by(self) -> str:
        """"title" or "product_id": how rows were matched to the catalog."""
        return "title" if "title" in self.columns else "product_id"

    def summary(self) -> str:
        """One paragraph for the CLI: rows, pairs, queries, unmatched and other problems, the grades seen."""
        r = self.rows
        lines = [f"{self.file}: read {self.rows_read} rows ({self.fmt}); {len(r)} usable, "
                 f"{r.groupby(['query', S.PRODUCT_ID]).ngroups if len(r) else 0} (query, product) pairs, "
                 f"{r['query'].nunique()} queries; products matched by {self.matched_by}"]
        if len(self.unmatched):
            lines.append(f"  unmatched: {len(self.unmatched)} row(s) whose title no product has")
        others = self.rejects[~self.rejects["problem"].eq(UNMATCHED)]
        for problem, g in others.groupby("problem", sort=False):
            lines.append(f"  rejected {len(g)} row(s): {problem} (rows {', '.join(map(str, g['row'][:5]))}"
                         + (" ..." if len(g) > 5 else "") + ")")
        lines.append("  grades: " + ", ".join(f"{g} ({n} rows)" for g, n in self.grades.items()))
        return "\n".join(lines)


UNMATCHED = "no catalog product has this title"
REJECT_COLUMNS = ["file", "row", "column", "value", "problem"]


def normalise_title(title: object) -> str:
    """A title as titles are matched: casefolded, whitespace collapsed, punctuation stripped from both ends
    (``' "Tent,  2-Person." '`` -> ``'tent, 2-person'``); "" for an empty cell."""
    if title is None or (isinstance(title, float) and pd.isna(title)):
        return ""
    text = " ".join(str(title).casefold().split())
    while text and (unicodedata.category(text[0]).startswith("P") or text[0].isspace()):
        text = text[1:]
    while text and (unicodedata.category(text[-1]).startswith("P") or text[-1].isspace()):
        text = text[:-1]
    return text


def title_product_id(title: object, description: object = "") -> str:
    """A stable product id for catalogs without ids, where a product is its title and description (CrowdFlower):
    ``"t"`` + 16 hex digits of SHA-256 over both texts as written (ends stripped; None and NaN count as "").
    The same texts give the same id in every run; two descriptions of one title are two products."""
    def text(v: object) -> str:
        return "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v).strip()
    return "t" + hashlib.sha256(f"{text(title)}\x1f{text(description)}".encode()).hexdigest()[:16]


def title_index(products: pd.DataFrame) -> dict[str, str]:
    """Normalised title -> product id of the first catalog row with that title."""
    index: dict[str, str] = {}
    for pid, title in zip(products[S.PRODUCT_ID], products[S.TITLE]):
        key = normalise_title(title)
        if key:
            index.setdefault(key, str(pid))
    return index


def is_trec(path: Path, fmt: str | None) -> bool:
    """Whether ``path`` is read as TREC qrels: ``fmt="trec"``, a ``.qrels`` / ``.trec`` file, or a name with
    "qrels" in it (``qrels.txt``) when no other format is forced."""
    if fmt:
        return fmt == TREC
    return path.suffix.lower() in TREC_SUFFIXES or "qrels" in path.name.lower()


def _cell(value: object) -> str:
    """A cell as stripped text ("" for empty, None and NaN)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _pick(df: pd.DataFrame, role: str, given: str | None, file: str, required: bool = True) -> str | None:
    """The file column for ``role``: ``given`` (which must exist) or the first of :data:`GUESSES` present."""
    if given:
        if given not in df.columns:
            raise ValueError(f"{file}: no column {given!r} for the {role.replace('_', ' ')} (columns: "
                             f"{', '.join(map(str, df.columns[:20]))})")
        return given
    lower = {re.sub(r"[\s\-]+", "_", str(c).strip().casefold()): c for c in df.columns}  # "Search Term" too
    for guess in GUESSES[role]:
        if guess in lower:
            return str(lower[guess])
    if required:
        flag = "--" + role.replace("_", "-")
        raise ValueError(f"{file}: cannot tell which column holds the {role.replace('_', ' ')}; name it "
                         f"({flag} COL; columns: {', '.join(map(str, df.columns[:20]))})")
    return None


def read_topics(topics: str | Path | Mapping[str, str], encoding: str = "utf-8") -> dict[str, str]:
    """Query id -> query text, from a mapping or a topics file (columns: a query id of :data:`GUESSES` and a text
    column of :data:`TOPIC_TEXT`).

    Raises:
        ValueError: when the file has no id or no text column.
    """
    if isinstance(topics, Mapping):
        return {str(k).strip(): str(v).strip() for k, v in topics.items()}
    path = Path(topics)
    df, _ = read_any(path, None, encoding)
    qid = _pick(df, "query_id", None, path.name)
    lower = {re.sub(r"[\s\-]+", "_", str(c).strip().casefold()): c for c in df.columns}  # "Search Term" too
    text = next((lower[c] for c in TOPIC_TEXT if c in lower), None)
    if text is None:
        raise ValueError(f"{path.name}: a topics file needs a query text column (one of {', '.join(TOPIC_TEXT)})")
    return {_cell(i): _cell(t) for i, t in zip(df[qid], df[text]) if _cell(i)}


def _read_trec(path: Path, encoding: str, report: list[dict]) -> tuple[pd.DataFrame, int]:
    """TREC qrels lines -> a frame of :data:`TREC_FIELDS` indexed by line number; bad lines go to ``report``."""
    try:
        lines = path.read_text(encoding=encoding).splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path.name}: not {encoding} text (byte {exc.start} cannot be read); save it as UTF-8, "
                         "or choose its encoding (e.g. cp1252 or latin-1)") from exc
    rows, numbers, read = [], [], 0
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        read += 1
        parts = line.split()
        if len(parts) != len(TREC_FIELDS):
            report.append({"file": path.name, "row": number, "column": "line", "value": line[:200],
                           "problem": f"expected {len(TREC_FIELDS)} fields: query_id iteration doc_id grade"})
            continue
        rows.append(parts)
        numbers.append(number)
    return pd.DataFrame(rows, columns=list(TREC_FIELDS), index=numbers, dtype=object), read


def read_judgments(path: str | Path, products: pd.DataFrame,
                   columns: JudgmentColumns | Mapping[str, str | None] | None = None, fmt: str | None = None,
                   encoding: str = "utf-8", topics: str | Path | Mapping[str, str] | None = None) -> ParsedJudgments:
    """Read a judgment file and match its rows to ``products`` (the catalog: product_id, title).

    Args:
        columns: which columns hold the query (or query id), the product (id or title) and the grade; unnamed
            ones are guessed (:data:`GUESSES`). TREC qrels need none.
        fmt: force a format ("csv", "tsv", "jsonl", "json", "parquet" or "trec"); default from the extension.
        topics: query id -> text for files holding query ids (a topics file or a mapping); without it a query's
            text is its id.

    Raises:
        ValueError: for an unreadable file, a column that is not there, or one that cannot be guessed.
    """
    path = Path(path)
    file = path.name
    cols = JudgmentColumns.of(columns)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    rejects: list[dict] = []
    topic_text = read_topics(topics, encoding) if topics is not None else None
    if is_trec(path, fmt):
        df, rows_read = _read_trec(path, encoding, rejects)
        kind, used = TREC, {"query_id": "query_id", "product_id": "doc_id", "grade": "grade"}
    else:
        kind = detect_format(path, fmt)
        df, first_row = read_any(path, kind, encoding)
        df.index = pd.RangeIndex(len(df)) + first_row
        rows_read = len(df)
        used = {"grade": _pick(df, "grade", cols.grade, file)}
        if cols.query_id and not cols.query:
            used["query_id"] = _pick(df, "query_id", cols.query_id, file)
        else:
            query = _pick(df, "query", cols.query, file, required=False)
            qid = None if query else _pick(df, "query_id", None, file, required=False)
            if not (query or qid):
                raise ValueError(f"{file}: cannot tell which column holds the query; name it (--query COL; "
                                 f"columns: {', '.join(map(str, df.columns[:20]))})")
            used.update({"query": query} if query else {"query_id": qid})
        if cols.title:
            used["title"] = _pick(df, "title", cols.title, file)
        else:
            pid = _pick(df, "product_id", cols.product_id, file, required=False)
            if pid is None:
                pid_or_title = _pick(df, "title", None, file, required=False)
                if pid_or_title is None:
                    raise ValueError(f"{file}: cannot tell which column holds the product; name it (--product-id "
                                     f"COL or --title COL; columns: {', '.join(map(str, df.columns[:20]))})")
                used["title"] = pid_or_title
            else:
                used["product_id"] = pid
    ids = set(products[S.PRODUCT_ID].astype(str))
    titles = title_index(products) if "title" in used else {}
    out = []

    def reject(row: int, role: str, value: object, problem: str) -> None:
        rejects.append({"file": file, "row": int(row), "column": used[role], "value": _cell(value)[:200] or None,
                        "problem": problem})

    records = df.to_dict("records")
    every_grade = [g for g in (_cell(rec[used["grade"]]) for rec in records) if g]  # the scale: rejected rows too
    for row, rec in zip(df.index, records):
        if "query" in used:
            query = _cell(rec[used["query"]])
            if not query:
                reject(row, "query", rec[used["query"]], "empty query")
                continue
        else:
            qid = _cell(rec[used["query_id"]])
            if not qid:
                reject(row, "query_id", rec[used["query_id"]], "empty query id")
                continue
            if topic_text is not None and qid not in topic_text:
                reject(row, "query_id", qid, "query id not in the topics")
                continue
            query = topic_text[qid] if topic_text is not None else qid
            if not query:
                reject(row, "query_id", qid, "empty query text in the topics")
                continue
        if "title" in used:
            title = rec[used["title"]]
            pid = titles.get(normalise_title(title))
            if pid is None:
                reject(row, "title", title, UNMATCHED if normalise_title(title) else "empty title")
                continue
        else:
            pid = _cell(rec[used["product_id"]])
            if not pid:
                reject(row, "product_id", pid, "empty product id")
                continue
            if pid not in ids:
                reject(row, "product_id", pid, "unknown product id")
                continue
        grade = _cell(rec[used["grade"]])
        if not grade:
            reject(row, "grade", grade, "empty grade")
            continue
        out.append((int(row), query, pid, grade))
    rows = pd.DataFrame(out, columns=["row", "query", S.PRODUCT_ID, "grade"])
    return ParsedJudgments(file=file, fmt=kind, columns=used, rows=rows, rows_read=rows_read,
                           rejects=pd.DataFrame(sorted(rejects, key=lambda r: r["row"]), columns=REJECT_COLUMNS),
                           **_proposal(every_grade))


def _proposal(grades: list[str]) -> dict:
    """The grades seen (the proposal's grades first, in its order), the proposed table and the scale (or why
    there is none)."""
    spelled: dict[str, str] = {}
    counts: dict[str, int] = {}
    for g in grades:
        key = grade_key(g)
        spelled.setdefault(key, g)
        counts[key] = counts.get(key, 0) + 1
    try:
        scale, proposed = detect_scale(spelled.values()), propose_gains(spelled.values())
    except ValueError as exc:
        scale, proposed = str(exc), {}
    label = {grade_key(g): g for g in proposed}
    order = [*label, *(k for k in counts if k not in label)]
    return {"grades": {label.get(k, spelled[k]): counts[k] for k in order}, "proposed": proposed, "scale": scale}


def to_pairs(parsed: ParsedJudgments, gains: Mapping[str, float], policy: str = "all"
             ) -> tuple[pd.DataFrame, ImportReport]:
    """The judged pairs of ``parsed`` under the gain table ``gains`` (grade -> gain, chosen by the caller).

    A row whose grade is not in the table is rejected; the rows of one (query, product) pair take the mean of
    their gains (several raters: disagreement lowers it).

    Args:
        policy: "all" (default: any rejected row, including unmatched titles, fails the import) or "skip" (the
            good rows are kept; the report lists the others).

    Returns:
        (pairs: query, product_id, gain, raters; the report: rows read, pairs and queries written, rejects).

    Raises:
        ValidationError: with ``policy="all"``, naming every rejected row by file, row and column.
        ValueError: for a bad gain table or policy, or when no row is left.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; use one of {POLICIES}")
    table = lookup(gains)
    report = ImportReport(source=parsed.file, rows_read=parsed.rows_read)
    for r in parsed.rejects.to_dict("records"):
        report.reject(r["file"], r["row"], r["column"], r["value"], r["problem"])
    rows = parsed.rows
    gain = rows["grade"].map(lambda g: table.get(grade_key(g)))
    for row, grade in zip(rows["row"][gain.isna()], rows["grade"][gain.isna()]):
        report.reject(parsed.file, int(row), parsed.columns["grade"], grade,
                      f"grade not in the gain table ({', '.join(gains)})")
    if report.rejects and policy == "all":
        order = sorted(report.rejects, key=lambda r: (r["row"] is None, r["row"] or 0))
        raise S.ValidationError([S.RowError(r["file"], r["row"], r["column"], f"{r['problem']}: {r['value']!r}")
                                 for r in order])
    kept = rows[gain.notna()].assign(gain=gain[gain.notna()].astype(float))
    if kept.empty:
        raise ValueError(f"{parsed.file}: no judged row left (read {parsed.rows_read}, rejected {len(report.rejects)})")
    pairs = (kept.groupby(["query", S.PRODUCT_ID], sort=False, as_index=False)
             .agg(gain=("gain", "mean"), raters=("gain", "size")))
    averaged = int((pairs["raters"] > 1).sum())
    if averaged:
        report.notes.append(f"{averaged} (query, product) pair(s) judged in several rows: their gains averaged")
    report.written = {"pairs": len(pairs), "queries": int(pairs["query"].nunique())}
    return pairs, report
