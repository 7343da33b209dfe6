"""The annotation store: one SQLite database per data set, in WAL mode, safe for several annotators at once.

As in Argilla, what is labelled (records: query text and where it came from), what a model proposed
(suggestions: model version, label, score) and what people answered (responses: annotator, label,
status, note, time) are kept apart. Label sets and their labels live in the same database, so renaming
or merging a label remaps the stored answers in the same transaction.

Every write is one ``BEGIN IMMEDIATE`` transaction (SQLite takes the write lock up front, so two
processes never interleave half-writes); a crash mid-write rolls back. A response is unique per
(record, label set, annotator): answering again replaces the answer, it never adds a second one.
``PRAGMA user_version`` holds the schema version; :data:`MIGRATIONS` brings older files up to date.
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

STATUSES = ("draft", "submitted", "discarded")  # discarded = skipped by the annotator
GRADES = {"E": "Exact", "S": "Substitute", "C": "Complement", "I": "Irrelevant"}  # Amazon ESCI
SCHEMA = """
CREATE TABLE label_sets (
    name TEXT PRIMARY KEY,
    task TEXT NOT NULL,              -- "intent", "category" or "custom": what a trained model does with it
    guidelines TEXT NOT NULL DEFAULT ''
);
CREATE TABLE labels (
    set_name TEXT NOT NULL REFERENCES label_sets(name) ON DELETE CASCADE ON UPDATE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    examples TEXT NOT NULL DEFAULT '[]',   -- JSON list of example queries
    weights TEXT NOT NULL DEFAULT '{}',    -- unused since ranking profiles (kept: older files carry it)
    position INTEGER NOT NULL,             -- order on screen and number key (1-based)
    PRIMARY KEY (set_name, name)
);
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,                  -- "queries", "search page", a file name...
    created REAL NOT NULL
);
CREATE TABLE suggestions (
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    set_name TEXT NOT NULL REFERENCES label_sets(name) ON DELETE CASCADE ON UPDATE CASCADE,
    model TEXT NOT NULL,                   -- model version, or "zero-shot"
    label TEXT NOT NULL,
    score REAL NOT NULL,                   -- the model's probability of label
    uncertainty REAL NOT NULL,             -- 1 - (top probability - second probability)
    PRIMARY KEY (record_id, set_name)
);
CREATE TABLE responses (
    id INTEGER PRIMARY KEY,
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    set_name TEXT NOT NULL REFERENCES label_sets(name) ON DELETE CASCADE ON UPDATE CASCADE,
    annotator TEXT NOT NULL,
    label TEXT,                            -- NULL when discarded
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'discarded')),
    note TEXT NOT NULL DEFAULT '',
    updated REAL NOT NULL,
    UNIQUE (record_id, set_name, annotator)
);
CREATE TABLE resolutions (                 -- the final label of a disputed record, chosen in review
    record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    set_name TEXT NOT NULL REFERENCES label_sets(name) ON DELETE CASCADE ON UPDATE CASCADE,
    label TEXT NOT NULL,
    resolver TEXT NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (record_id, set_name)
);
CREATE INDEX responses_by_annotator ON responses (set_name, annotator, updated);
"""
JUDGMENTS = """
CREATE TABLE pairs (                       -- (query, product) pairs pooled for relevance grading
    id INTEGER PRIMARY KEY,
    query TEXT NOT NULL,
    product_id TEXT NOT NULL,
    pooled_from TEXT NOT NULL,             -- the search settings whose top 10 held it, e.g. "bm25, full"
    UNIQUE (query, product_id)
);
CREATE TABLE judgments (
    pair_id INTEGER NOT NULL REFERENCES pairs(id) ON DELETE CASCADE,
    annotator TEXT NOT NULL,
    grade TEXT NOT NULL CHECK (grade IN ('E', 'S', 'C', 'I')),
    updated REAL NOT NULL,
    PRIMARY KEY (pair_id, annotator)
);
"""
MIGRATIONS: dict[int, str] = {1: SCHEMA, 2: JUDGMENTS}
"""Schema version -> the SQL that brings version - 1 to it. Add a key for every later change."""
_UPSERT_RESPONSE = ("INSERT INTO responses (record_id, set_name, annotator, label, status, note, updated) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_id, set_name, annotator) DO UPDATE SET "
                    "label = excluded.label, status = excluded.status, note = excluded.note, "
                    "updated = excluded.updated")
"""One answer per (record, set, annotator): answering again replaces it."""
_LATEST_RESPONSE = ("FROM responses WHERE set_name = ? AND annotator = ? AND status != 'draft' "
                    "ORDER BY updated DESC, id DESC LIMIT 1")
"""An annotator's latest answer or skip in a set: what Undo shows it takes back, and what it takes back."""
_LATEST_JUDGMENT = "SELECT pair_id FROM judgments WHERE annotator = ? ORDER BY updated DESC LIMIT 1"
"""A grader's latest grade: what Undo takes back."""
BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for another's transaction (each takes milliseconds)


class StoreUnavailable(RuntimeError):
    """The annotation file cannot be written or read now (locked by another program, read-only, gone); the
    message names the file, what is wrong and what to do. Nothing was written."""


def _unavailable(path: Path, exc: sqlite3.OperationalError) -> StoreUnavailable:
    """What ``exc`` (raised by SQLite on ``path``) means for a person, with a way forward."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        why = (f"is locked by another program (for more than {BUSY_TIMEOUT_MS // 1000} s): close whatever holds it "
               "(a database browser, a backup or sync tool) and try again")
    elif "readonly" in text or "read-only" in text:
        why = ("is read-only: make the file and its folder writable, or set ECOMREC_ANNOTATIONS to a writable "
               "folder, and try again")
    else:
        why = f"cannot be opened ({exc}): check that its folder exists and has room, and try again"
    return StoreUnavailable(f"The annotation file {path} {why}. Nothing was saved by this step; answers saved "
                            "before it are kept.")


@dataclass(frozen=True)
class Label:
    """One label of a set: what annotators pick and models predict."""

    name: str
    description: str = ""
    examples: tuple[str, ...] = ()


class Store:
    """The annotation database of one data set (created on first use).

    Example:
        >>> store = Store(tmp / "shop.sqlite")
        >>> store.create_label_set("types", "custom", [Label("question"), Label("product")])
        >>> store.add_records(["where is my order"], source="typed")
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = self._connect()
        try:
            con.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; set outside a transaction
        except sqlite3.OperationalError as exc:
            raise _unavailable(self.path, exc) from exc
        finally:
            con.close()
        with self._write() as con:
            self._migrate(con)

    # ---- connection and transactions ----
    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            con.execute("PRAGMA foreign_keys=ON")
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except sqlite3.OperationalError as exc:
            raise _unavailable(self.path, exc) from exc
        return con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands or none of it does.

        Raises:
            StoreUnavailable: the file is locked past the busy timeout, read-only or cannot be opened.
        """
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException as exc:
            if con.in_transaction:  # not when BEGIN itself failed (busy): the original error must surface
                con.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise _unavailable(self.path, exc) from exc
            raise
        finally:
            con.close()

    def _read(self, sql: str, params: Sequence = ()) -> pd.DataFrame:
        con = self._connect()
        try:
            return pd.read_sql_query(sql, con, params=list(params))
        except sqlite3.OperationalError as exc:
            raise _unavailable(self.path, exc) from exc
        finally:
            con.close()

    @staticmethod
    def _migrate(con: sqlite3.Connection) -> None:
        """Bring the file up to the newest schema, inside the caller's transaction."""
        version = con.execute("PRAGMA user_version").fetchone()[0]
        for target in sorted(v for v in MIGRATIONS if v > version):
            for statement in MIGRATIONS[target].split(";"):
                if statement.strip():
                    con.execute(statement)
            con.execute(f"PRAGMA user_version={int(target)}")

    @property
    def schema_version(self) -> int:
        con = self._connect()
        try:
            return int(con.execute("PRAGMA user_version").fetchone()[0])
        finally:
            con.close()

    # ---- label sets ----
    def label_sets(self) -> pd.DataFrame:
        """Every label set: name, task, guidelines, number of labels."""
        return self._read("SELECT s.name, s.task, s.guidelines, COUNT(l.name) AS labels FROM label_sets s "
                          "LEFT JOIN labels l ON l.set_name = s.name GROUP BY s.name ORDER BY s.name")

    def create_label_set(self, name: str, task: str, labels: Iterable[Label], guidelines: str = "") -> None:
        """A new label set with ``labels`` in order.

        Raises:
            ValueError: when the name is empty or taken, or two labels share a name.
        """
        name = _clean_name(name, "label set")
        labels = list(labels)
        names = [_clean_name(lab.name, "label") for lab in labels]
        if len(set(names)) < len(names):
            raise ValueError(f"label set {name!r}: a label name appears twice")
        with self._write() as con:
            if con.execute("SELECT 1 FROM label_sets WHERE name = ?", (name,)).fetchone():
                raise ValueError(f"a label set named {name!r} already exists")
            con.execute("INSERT INTO label_sets VALUES (?, ?, ?)", (name, task, guidelines))
            for pos, (lab, clean) in enumerate(zip(labels, names), 1):
                con.execute("INSERT INTO labels VALUES (?, ?, ?, ?, '{}', ?)",
                            (name, clean, lab.description, json.dumps(list(lab.examples)), pos))

    def labels(self, set_name: str) -> list[Label]:
        """The labels of ``set_name`` in their order (number key = position)."""
        rows = self._read("SELECT name, description, examples FROM labels WHERE set_name = ? "
                          "ORDER BY position", (set_name,))
        return [Label(r.name, r.description, tuple(json.loads(r.examples))) for r in rows.itertuples()]

    def legacy_weights(self, set_name: str) -> dict[str, dict[str, float]]:
        """Ranking-weight overrides older versions kept per label (now in the ranking profile; read once to
        carry them over, never written)."""
        rows = self._read("SELECT name, weights FROM labels WHERE set_name = ?", (set_name,))
        return {r.name: json.loads(r.weights) for r in rows.itertuples() if json.loads(r.weights)}

    def set_guidelines(self, set_name: str, guidelines: str) -> None:
        with self._write() as con:
            con.execute("UPDATE label_sets SET guidelines = ? WHERE name = ?", (guidelines, set_name))

    def guidelines(self, set_name: str) -> str:
        rows = self._read("SELECT guidelines FROM label_sets WHERE name = ?", (set_name,))
        return str(rows.iloc[0, 0]) if len(rows) else ""

    def add_label(self, set_name: str, label: Label) -> None:
        """Append ``label`` to the set (it gets the next number key)."""
        name = _clean_name(label.name, "label")
        with self._write() as con:
            if con.execute("SELECT 1 FROM labels WHERE set_name = ? AND name = ?", (set_name, name)).fetchone():
                raise ValueError(f"label {name!r} is already in {set_name!r}")
            pos = con.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM labels WHERE set_name = ?",
                              (set_name,)).fetchone()[0]
            con.execute("INSERT INTO labels VALUES (?, ?, ?, ?, '{}', ?)",
                        (set_name, name, label.description, json.dumps(list(label.examples)), pos))

    def update_label(self, set_name: str, name: str, description: str | None = None,
                     examples: Sequence[str] | None = None) -> None:
        """Change a label's description or examples (None keeps the stored value)."""
        with self._write() as con:
            self._require_label(con, set_name, name)
            if description is not None:
                con.execute("UPDATE labels SET description = ? WHERE set_name = ? AND name = ?",
                            (description, set_name, name))
            if examples is not None:
                con.execute("UPDATE labels SET examples = ? WHERE set_name = ? AND name = ?",
                            (json.dumps(list(examples)), set_name, name))

    def rename_label(self, set_name: str, old: str, new: str) -> int:
        """Rename a label; its stored answers, suggestions and resolutions follow. Returns answers remapped."""
        new = _clean_name(new, "label")
        with self._write() as con:
            self._require_label(con, set_name, old)
            if con.execute("SELECT 1 FROM labels WHERE set_name = ? AND name = ?", (set_name, new)).fetchone():
                raise ValueError(f"label {new!r} is already in {set_name!r}: merge the two instead")
            con.execute("UPDATE labels SET name = ? WHERE set_name = ? AND name = ?", (new, set_name, old))
            return self._remap(con, set_name, old, new)

    def merge_labels(self, set_name: str, source: str, target: str) -> int:
        """Fold ``source`` into ``target``: its answers become ``target``'s, and ``source`` is removed."""
        with self._write() as con:
            self._require_label(con, set_name, source)
            self._require_label(con, set_name, target)
            if source == target:
                raise ValueError("pick two different labels to merge")
            moved = self._remap(con, set_name, source, target)
            self._drop_label(con, set_name, source)
            return moved

    def delete_label(self, set_name: str, name: str, answers: str = "refuse", move_to: str | None = None) -> int:
        """Remove a label. ``answers`` says what becomes of the answers that use it: "refuse" (default:
        raise when there are any), "discard" (those answers are deleted; their records return to the
        queue) or "move" (they become ``move_to``). Returns the number of answers affected.
        """
        with self._write() as con:
            self._require_label(con, set_name, name)
            used = con.execute("SELECT COUNT(*) FROM responses WHERE set_name = ? AND label = ?",
                               (set_name, name)).fetchone()[0]
            if used and answers == "refuse":
                raise ValueError(f"{used} answer(s) use label {name!r}: discard them or move them to another label")
            if answers == "move":
                self._require_label(con, set_name, move_to)
                self._remap(con, set_name, name, move_to)
            else:
                con.execute("DELETE FROM responses WHERE set_name = ? AND label = ?", (set_name, name))
                con.execute("DELETE FROM resolutions WHERE set_name = ? AND label = ?", (set_name, name))
            con.execute("DELETE FROM suggestions WHERE set_name = ? AND label = ?", (set_name, name))
            self._drop_label(con, set_name, name)
            return int(used)

    def label_usage(self, set_name: str) -> dict[str, int]:
        """Submitted answers per label of the set (0 for unused labels)."""
        rows = self._read("SELECT label, COUNT(*) AS n FROM responses WHERE set_name = ? AND status = 'submitted' "
                          "GROUP BY label", (set_name,))
        used = dict(zip(rows["label"], rows["n"].astype(int)))
        return {lab.name: used.get(lab.name, 0) for lab in self.labels(set_name)}

    @staticmethod
    def _require_label(con: sqlite3.Connection, set_name: str, name: str | None) -> None:
        if not con.execute("SELECT 1 FROM labels WHERE set_name = ? AND name = ?", (set_name, name)).fetchone():
            raise ValueError(f"no label {name!r} in label set {set_name!r}")

    @staticmethod
    def _remap(con: sqlite3.Connection, set_name: str, old: str, new: str) -> int:
        moved = con.execute("UPDATE responses SET label = ? WHERE set_name = ? AND label = ?",
                            (new, set_name, old)).rowcount
        con.execute("UPDATE suggestions SET label = ? WHERE set_name = ? AND label = ?", (new, set_name, old))
        con.execute("UPDATE resolutions SET label = ? WHERE set_name = ? AND label = ?", (new, set_name, old))
        return int(moved)

    @staticmethod
    def _drop_label(con: sqlite3.Connection, set_name: str, name: str) -> None:
        con.execute("DELETE FROM labels WHERE set_name = ? AND name = ?", (set_name, name))
        rows = con.execute("SELECT name FROM labels WHERE set_name = ? ORDER BY position", (set_name,)).fetchall()
        for pos, (label,) in enumerate(rows, 1):  # number keys stay 1..K without gaps
            con.execute("UPDATE labels SET position = ? WHERE set_name = ? AND name = ?", (pos, set_name, label))

    # ---- records and suggestions ----
    def add_records(self, texts: Iterable[str], source: str) -> int:
        """Add queries to label (blank and already stored texts are skipped). Returns how many were new."""
        now = time.time()
        clean = list(dict.fromkeys(" ".join(str(t).split()) for t in texts))
        with self._write() as con:
            before = con.total_changes
            con.executemany("INSERT OR IGNORE INTO records (text, source, created) VALUES (?, ?, ?)",
                            [(t, source, now) for t in clean if t])
            return con.total_changes - before

    def records(self) -> pd.DataFrame:
        """Every record: id, text, source."""
        return self._read("SELECT id, text, source FROM records ORDER BY id")

    def record(self, record_id: int) -> dict:
        rows = self._read("SELECT id, text, source FROM records WHERE id = ?", (record_id,))
        if rows.empty:
            raise KeyError(f"no record {record_id}")
        return rows.iloc[0].to_dict()

    def set_suggestions(self, set_name: str, model: str, suggestions: Iterable[tuple[int, str, float, float]]) -> None:
        """Store (record id, label, score, uncertainty) per record from ``model``, replacing older ones."""
        with self._write() as con:
            con.executemany("INSERT OR REPLACE INTO suggestions VALUES (?, ?, ?, ?, ?, ?)",
                            [(int(r), set_name, model, lab, float(s), float(u)) for r, lab, s, u in suggestions])

    def suggestions(self, set_name: str) -> pd.DataFrame:
        """record_id, model, label, score, uncertainty for the set."""
        return self._read("SELECT record_id, model, label, score, uncertainty FROM suggestions WHERE set_name = ?",
                          (set_name,))

    # ---- responses ----
    def respond(self, record_id: int, set_name: str, annotator: str, label: str | None, status: str = "submitted",
                note: str = "") -> None:
        """Store ``annotator``'s answer to a record (replacing their earlier one, never adding a second).

        Raises:
            ValueError: for an unknown status, a label not in the set, or a submitted answer without label.
        """
        annotator = _clean_name(annotator, "annotator")
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        if status == "discarded":
            label = None
        elif label is None:
            raise ValueError("a submitted or draft answer needs a label")
        with self._write() as con:
            if label is not None:
                self._require_label(con, set_name, label)
            con.execute(_UPSERT_RESPONSE, (int(record_id), set_name, annotator, label, status, note, time.time()))

    def respond_many(self, set_name: str, annotator: str, answers: Iterable[tuple[int, str]]) -> None:
        """Store many (record id, label) answers by ``annotator`` as submitted, in one transaction."""
        annotator = _clean_name(annotator, "annotator")
        now = time.time()
        with self._write() as con:
            answers = list(answers)
            for label in {lab for _, lab in answers}:
                self._require_label(con, set_name, label)
            con.executemany(_UPSERT_RESPONSE, [(int(r), set_name, annotator, lab, "submitted", "", now)
                                               for r, lab in answers])

    def last_response(self, set_name: str, annotator: str) -> tuple[int, str | None] | None:
        """(record id, label; None for a skip) of ``annotator``'s latest answer in the set: what :meth:`undo` takes
        back next, or None."""
        row = self._read(f"SELECT record_id, label, status {_LATEST_RESPONSE}",
                         (set_name, _clean_name(annotator, "annotator")))
        if row.empty:
            return None
        return int(row["record_id"].iloc[0]), (str(row["label"].iloc[0]) if row["status"].iloc[0] == "submitted"
                                               else None)

    def undo(self, set_name: str, annotator: str, only: int | None = None) -> int | None:
        """Take back ``annotator``'s latest answer (submitted or skipped) in the set: it is deleted and its
        record returns to their queue. Call again to go further back. Returns the record id, or None.

        ``only``: take it back only if it is this record's (the answer the person saw when pressing Undo), so a
        press that reaches the store twice, or from two tabs at once, takes back one answer, not two.
        """
        annotator = _clean_name(annotator, "annotator")
        with self._write() as con:
            row = con.execute(f"SELECT id, record_id {_LATEST_RESPONSE}", (set_name, annotator)).fetchone()
            if row is None or (only is not None and int(row[1]) != int(only)):
                return None
            con.execute("DELETE FROM responses WHERE id = ?", (row[0],))
            return int(row[1])

    def responses(self, set_name: str, status: str | None = "submitted") -> pd.DataFrame:
        """Answers in the set (only ``status`` ones unless None): record_id, text, annotator, label, status,
        note, updated."""
        where = "" if status is None else "AND r.status = ?"
        params = (set_name,) if status is None else (set_name, status)
        return self._read("SELECT r.record_id, c.text, r.annotator, r.label, r.status, r.note, r.updated "
                          "FROM responses r JOIN records c ON c.id = r.record_id "
                          f"WHERE r.set_name = ? {where} ORDER BY r.updated, r.id", params)

    def queue_candidates(self, set_name: str, annotator: str) -> pd.DataFrame:
        """Records ``annotator`` has not answered in the set, with the model's uncertainty (1.0 without a
        suggestion), the number of submitted answers and of distinct labels among them."""
        return self._read(
            "SELECT c.id, c.text, COALESCE(s.uncertainty, 1.0) AS uncertainty, s.label AS suggestion, "
            "s.score AS suggestion_score, COALESCE(a.answers, 0) AS answers, COALESCE(a.distinct_labels, 0) "
            "AS distinct_labels FROM records c "
            "LEFT JOIN suggestions s ON s.record_id = c.id AND s.set_name = ? "
            "LEFT JOIN (SELECT record_id, COUNT(*) AS answers, COUNT(DISTINCT label) AS distinct_labels "
            "           FROM responses WHERE set_name = ? AND status = 'submitted' GROUP BY record_id) a "
            "       ON a.record_id = c.id "
            "WHERE c.id NOT IN (SELECT record_id FROM responses WHERE set_name = ? AND annotator = ? "
            "                   AND status != 'draft') ORDER BY c.id",
            (set_name, set_name, set_name, annotator))

    # ---- relevance judgments: (query, product) pairs graded E / S / C / I ----
    def add_pairs(self, query: str, pooled: dict[str, list[str]]) -> int:
        """Pool ``query``'s top products from several search settings ({setting: product ids}) as pairs to
        grade; a product in several lists is one pair. Returns how many pairs were new."""
        query = " ".join(query.split())
        by_product: dict[str, list[str]] = {}
        for setting, ids in pooled.items():
            for pid in ids:
                by_product.setdefault(pid, []).append(setting)
        with self._write() as con:
            before = con.total_changes
            con.executemany("INSERT OR IGNORE INTO pairs (query, product_id, pooled_from) VALUES (?, ?, ?)",
                            [(query, pid, ", ".join(s)) for pid, s in by_product.items()])
            return con.total_changes - before

    def pooled_queries(self) -> set[str]:
        """Queries with pooled pairs."""
        return set(self._read("SELECT DISTINCT query FROM pairs")["query"])

    def next_pair(self, annotator: str) -> dict | None:
        """The first pooled pair ``annotator`` has not graded (query by query), or None."""
        rows = self._read("SELECT id, query, product_id, pooled_from FROM pairs WHERE id NOT IN "
                          "(SELECT pair_id FROM judgments WHERE annotator = ?) ORDER BY query, id LIMIT 1",
                          (annotator,))
        return None if rows.empty else rows.iloc[0].to_dict()

    def judge(self, pair_id: int, annotator: str, grade: str) -> None:
        """Store ``annotator``'s grade of a pair (replacing their earlier one)."""
        if grade not in GRADES:
            raise ValueError(f"grade must be one of {list(GRADES)}, not {grade!r}")
        with self._write() as con:
            con.execute("INSERT OR REPLACE INTO judgments VALUES (?, ?, ?, ?)",
                        (int(pair_id), _clean_name(annotator, "annotator"), grade, time.time()))

    def last_judgment(self, annotator: str) -> int | None:
        """The pair id of ``annotator``'s latest grade (what :meth:`undo_judgment` takes back next), or None."""
        row = self._read(_LATEST_JUDGMENT, params=(_clean_name(annotator, "annotator"),))
        return None if row.empty else int(row["pair_id"].iloc[0])

    def undo_judgment(self, annotator: str, only: int | None = None) -> int | None:
        """Take back ``annotator``'s latest grade; returns its pair id, or None. ``only``: only if it is this pair's
        (see :meth:`undo`)."""
        annotator = _clean_name(annotator, "annotator")
        with self._write() as con:
            row = con.execute(_LATEST_JUDGMENT, (annotator,)).fetchone()
            if row is None or (only is not None and int(row[0]) != int(only)):
                return None
            con.execute("DELETE FROM judgments WHERE pair_id = ? AND annotator = ?", (row[0], annotator))
            return int(row[0])

    def judgments(self) -> pd.DataFrame:
        """Every grade: query, product_id, annotator, grade."""
        return self._read("SELECT p.query, p.product_id, j.annotator, j.grade, j.updated FROM judgments j "
                          "JOIN pairs p ON p.id = j.pair_id ORDER BY j.updated")

    def fully_graded_queries(self) -> set[str]:
        """Queries every pooled pair of which someone has graded: only their judgments are complete."""
        rows = self._read("SELECT p.query FROM pairs p LEFT JOIN (SELECT DISTINCT pair_id FROM judgments) j "
                          "ON j.pair_id = p.id GROUP BY p.query HAVING COUNT(j.pair_id) = COUNT(*)")
        return set(rows["query"])

    def pair_counts(self) -> dict[str, int]:
        """Pairs pooled, pairs graded at least once, queries pooled."""
        row = self._read("SELECT (SELECT COUNT(*) FROM pairs) AS pairs, (SELECT COUNT(DISTINCT pair_id) FROM "
                         "judgments) AS graded, (SELECT COUNT(DISTINCT query) FROM pairs) AS queries").iloc[0]
        return {k: int(v) for k, v in row.items()}

    def resolve(self, record_id: int, set_name: str, label: str, resolver: str) -> None:
        """Record the final label of a (disputed) record, chosen in review."""
        with self._write() as con:
            self._require_label(con, set_name, label)
            con.execute("INSERT OR REPLACE INTO resolutions VALUES (?, ?, ?, ?, ?)",
                        (int(record_id), set_name, label, _clean_name(resolver, "resolver"), time.time()))

    def resolutions(self, set_name: str) -> pd.DataFrame:
        return self._read("SELECT record_id, label, resolver, updated FROM resolutions WHERE set_name = ?",
                          (set_name,))


def _clean_name(name: str | None, what: str) -> str:
    clean = " ".join(str(name or "").split())
    if not clean:
        raise ValueError(f"the {what} name is empty")
    if len(clean) > 80:
        raise ValueError(f"the {what} name is longer than 80 characters")
    return clean
