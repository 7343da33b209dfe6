"""The label service: one data set's annotation, task by task, as the Annotate page and the CLI do it.

Annotators label queries from a queue (answer, skip, undo), reviewers read agreement and settle disputes,
label sets are edited without losing the answers that use them, labels go out and come in as files, and
people grade (query, product) pairs that then measure search. The trainers read the resolved intent labels
and the grades from here too. The building blocks live in :mod:`ecomrec.annotation`; pages call this
service only (never the store).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.annotation import agreement as A
from ecomrec.annotation import exchange as X
from ecomrec.annotation import suggest as G
from ecomrec.annotation.active import labels_to_match, learning_curves
from ecomrec.annotation.labelsets import INTENT_SET, category_labels, ensure_intent_set
from ecomrec.annotation.queue import ORDERS, Progress, ordered_queue, progress
from ecomrec.annotation.store import GRADES, Label, Store, StoreUnavailable  # noqa: F401 - the pages catch it
from ecomrec.config import SEED
from ecomrec.data.qrels import people_judgments
from ecomrec.evaluation.ranking import ranking_metrics
from ecomrec.search.searcher import PRESET_LABELS, PRESETS
from ecomrec.services.catalog import Catalog
from ecomrec.services.embeddings import Embeddings
from ecomrec.services.models import Models

JUDGE_POOL = ("bm25", "dense", "full")  # search settings whose top 10 are pooled for people's relevance grades
SUGGEST_BATCH = 250  # queries suggested at a time when the queue fills: a progress step at most every few seconds
SIMULATION_MIN = 200  # labelled training queries the queue-order simulation needs: two batches of 100
RankedFn = Callable[[str, str, int], list[str]]
"""ranked(query, preset, k) -> product ids, best first."""


@dataclass(frozen=True)
class LabelSet:
    """One label set as annotators see it: its labels in number-key order, guidelines, answers per label."""

    name: str
    task: str  # "intent", "category" or "custom": what a trained model does with it
    guidelines: str
    labels: tuple[Label, ...]
    usage: dict[str, int]  # label -> submitted answers

    @property
    def names(self) -> list[str]:
        return [lab.name for lab in self.labels]


@dataclass(frozen=True)
class QueueItem:
    """The record an annotator labels next, with the model's suggestion (None when it is not a set label)."""

    record_id: int
    text: str
    suggestion: str | None
    suggestion_score: float | None


@dataclass(frozen=True)
class Queue:
    """Where an annotator stands in a label set: the next record (None when nothing is left for them), the
    progress line's counts and the model that made the suggestions ("" before any)."""

    next: QueueItem | None
    progress: Progress
    model: str

    @property
    def can_undo(self) -> bool:
        """Whether the annotator has an answer or skip to take back."""
        return self.progress.mine + self.progress.skipped > 0


@dataclass(frozen=True)
class Agreement:
    """How far annotators agree in a label set, with each other and with the model, and what is disputed.

    Attributes:
        alpha: Krippendorff's alpha over every record answered twice or more (NaN when none is).
        fleiss, fleiss_records: Fleiss' kappa and the records it is computed over.
        model_agreement: share of final labels equal to the model's suggestion (None without final labels).
        pairwise: Cohen's kappa per annotator pair (empty with one annotator).
        per_label: alpha of each label against the rest (labels without one left out; empty with one annotator).
        confusion: label x label counts of two annotators' answers to the same record.
        versus_model: final label ("label") and the model's suggestion ("model") per record that has both.
        disputes: records whose answers disagree and that no one has resolved: record_id, text, answer.
    """

    answers: int
    annotators: int
    alpha: float
    fleiss: float
    fleiss_records: int
    final_labels: int
    model_agreement: float | None
    pairwise: pd.DataFrame
    per_label: dict[str, float]
    confusion: pd.DataFrame
    versus_model: pd.DataFrame
    disputes: pd.DataFrame


@dataclass(frozen=True)
class PairToGrade:
    """A pooled (query, product) pair, with the product's catalog row (title, brand, price...)."""

    pair_id: int
    query: str
    pooled_from: str  # the search settings whose top 10 held it, e.g. "bm25, full"
    product: dict


@dataclass(frozen=True)
class Grading:
    """Relevance grading for one grader: pairs pooled, pairs graded by anyone, queries pooled, and the next
    pair (None: nothing left for them)."""

    pairs: int
    graded: int
    queries: int
    next: PairToGrade | None


@dataclass(frozen=True)
class TrainingRows:
    """What a new intent version would learn from and be measured on.

    Attributes:
        labelled_queries: the data set's training queries with an intent label (rows).
        annotations: resolved annotations of the shopping-intent set (they replace a file label of the same
            query; annotated validation or test queries are left out by the trainer).
        distinct_labelled: distinct labelled training queries (the queue simulation's pool).
        labelled_test: held-out test queries with an intent (the simulation scores on them, never trains).
    """

    labelled_queries: int
    annotations: int
    distinct_labelled: int
    labelled_test: int

    @property
    def can_simulate(self) -> bool:
        return self.distinct_labelled >= SIMULATION_MIN and self.labelled_test > 0


@dataclass(frozen=True)
class QueueSimulation:
    """Macro-F1 against labels for the uncertainty and random queue orders, and the labels the uncertainty
    order needs to reach what random order reaches with all of them."""

    curves: dict[str, list[tuple[int, float]]] = field(repr=False)
    needed: int
    total: int

    @property
    def target(self) -> float:
        """Macro-F1 with every label (the random order's last point)."""
        return self.curves["random"][-1][1]


class Labels:
    """Annotation of one data set.

    Args:
        path: the store's SQLite file; exports go under ``exports/<data set>/`` beside it.
        catalog: the data set (its training queries fill the queue; its queries' intent labels join the
            shopping-intent set).
        models, embeddings: what suggestions are read with (the active intent model or category head when
            their labels are a set's, else zero-shot with the base encoder).
        ranked: the data set's search, for pooling products to grade and measuring presets on grades.
        lock: the engine's lock.
        seed: for the cross-validation that finds likely label errors and the queue simulation.
    """

    INTENT_SET = INTENT_SET  # the shopping-intent label set: what intent training reads
    GRADES = GRADES  # grade -> its name (Exact, Substitute, Complement, Irrelevant)
    ORDERS = ORDERS  # queue order -> its description
    FORMATS = X.FORMATS  # export formats: csv, jsonl, hf (a Hugging Face datasets folder)

    def __init__(self, path: Path, catalog: Catalog, models: Models, embeddings: Embeddings, ranked: RankedFn,
                 lock: threading.RLock, seed: int = SEED) -> None:
        self.path = Path(path)
        self.catalog = catalog
        self.models = models
        self.embeddings = embeddings
        self._ranked = ranked
        self._lock = lock
        self.seed = seed

    @cached_property
    def store(self) -> Store:
        """The store, with the shopping-intent label set in it (plus any intent label the data set's queries use).
        For the CLI, benchmarks and tests; pages use the task methods."""
        store = Store(self.path)
        ensure_intent_set(store, self.catalog.queries[S.INTENT].dropna().unique())
        return store

    @property
    def exports_dir(self) -> Path:
        """Where exports are written: one folder per data set beside the store, rewritten on each export."""
        return self.path.parent / "exports" / self.catalog.name

    # ---- label sets ----
    def label_sets(self) -> dict[str, int]:
        """Every label set's name and number of labels, by name."""
        sets = self.store.label_sets()
        return {str(n): int(k) for n, k in zip(sets["name"], sets["labels"])}

    def label_set(self, set_name: str) -> LabelSet:
        """One label set: its labels in order, guidelines and submitted answers per label.

        Raises:
            KeyError: for an unknown set.
        """
        sets = self.store.label_sets().set_index("name")
        if set_name not in sets.index:
            raise KeyError(f"no label set {set_name!r}")
        labels = tuple(self.store.labels(set_name))
        return LabelSet(set_name, str(sets.loc[set_name, "task"]), str(sets.loc[set_name, "guidelines"]), labels,
                        self.store.label_usage(set_name))

    def query_categories(self) -> list[str]:
        """The categories the data set's training queries are labelled with (a new set's labels, if wanted)."""
        return [lab.name for lab in category_labels(self.catalog.queries)]

    def create_label_set(self, name: str, labels: Sequence[str] = (), from_categories: bool = False) -> int:
        """A new label set with ``labels`` (names, in order), or with the data set's query categories as its
        labels (task "category": a trained category head can then suggest them). Returns its number of labels.

        Raises:
            ValueError: when the name is empty or taken, or two labels share a name.
        """
        if from_categories:
            new = category_labels(self.catalog.queries)
        else:
            new = [Label(x.strip()) for x in labels if x.strip()]
        self.store.create_label_set(name, "category" if from_categories else "custom", new)
        return len(new)

    def add_label(self, set_name: str, name: str, description: str = "") -> None:
        """Append a label (it gets the next number key).

        Raises:
            ValueError: for an empty name or one the set has.
        """
        self.store.add_label(set_name, Label(name, description))

    def edit_label(self, set_name: str, name: str, description: str | None = None,
                   examples: Sequence[str] | None = None) -> None:
        """Change what a label means or its example queries (None keeps them; blank examples are dropped)."""
        kept = None if examples is None else [x.strip() for x in examples if x.strip()]
        self.store.update_label(set_name, name, description, kept)

    def rename_label(self, set_name: str, old: str, new: str) -> int:
        """Rename a label; its answers, suggestions and resolutions follow. Returns the answers remapped.

        Raises:
            ValueError: when ``new`` is empty or already a label of the set (merge instead).
        """
        return self.store.rename_label(set_name, old, new)

    def merge_labels(self, set_name: str, source: str, into: str) -> int:
        """Fold ``source`` into ``into``: its answers become ``into``'s and ``source`` goes. Returns answers moved."""
        return self.store.merge_labels(set_name, source, into)

    def delete_label(self, set_name: str, name: str, answers: str = "refuse", move_to: str | None = None) -> int:
        """Remove a label. ``answers`` says what becomes of the answers that use it: "refuse" (raise when
        there are any), "discard" (deleted: their queries return to the queue) or "move" (they become
        ``move_to``). Returns the number of answers affected."""
        return self.store.delete_label(set_name, name, answers, move_to)

    def set_guidelines(self, set_name: str, guidelines: str) -> None:
        """What annotators read before labelling the set."""
        self.store.set_guidelines(set_name, guidelines)

    # ---- the queue: what to label, answers, skips, undo ----
    def add_training_queries(self) -> int:
        """Queue the data set's training queries. Never the validation or test ones: labels made here train
        models, and those queries measure them. Returns how many were new."""
        return self.store.add_records(self.catalog.queries[S.TEXT], source="queries")

    def add_to_queue(self, texts: Iterable[str], source: str) -> int:
        """Queue queries to label (blank and queued ones are skipped); ``source`` says where they came from
        (e.g. "search page"). Returns how many were new."""
        return self.store.add_records(texts, source)

    def queue(self, set_name: str, annotator: str, order: str = "uncertainty", overlap: int = 1,
              keep: int | None = None) -> Queue:
        """What ``annotator`` labels next in ``set_name`` and how far everyone is.

        When the set has labels and records but no suggestions yet, the model suggests one for every
        record first (seconds: it reads every query once).

        Args:
            order: a key of :attr:`ORDERS` (least sure first, random, disagreement first).
            overlap: how many annotators should answer each record.
            keep: the record on the annotator's screen: next until they answer or skip it, even when others have
                answered it meanwhile (:func:`~ecomrec.annotation.queue.ordered_queue`).

        Raises:
            ValueError: for an unknown order or an overlap below 1.
        """
        store = self.store
        names = [lab.name for lab in store.labels(set_name)]
        suggestions = store.suggestions(set_name)
        if names and suggestions.empty and self.refresh_suggestions(set_name):
            suggestions = store.suggestions(set_name)
        queue = ordered_queue(store, set_name, annotator, order, overlap, keep)
        nxt = None
        if len(queue):
            rec = queue.iloc[0]
            suggested = rec["suggestion"] if rec["suggestion"] in names else None
            nxt = QueueItem(int(rec["id"]), str(rec["text"]), suggested,
                            float(rec["suggestion_score"]) if suggested else None)
        return Queue(nxt, progress(store, set_name, annotator, len(queue), overlap),
                     str(suggestions["model"].iloc[0]) if len(suggestions) else "")

    def answer(self, set_name: str, record_id: int, annotator: str, label: str, note: str = "") -> None:
        """``annotator`` labels a record (answering again replaces their answer).

        Raises:
            ValueError: for a label not in the set or an empty annotator name.
        """
        self.store.respond(record_id, set_name, annotator, label, "submitted", note)

    def skip(self, set_name: str, record_id: int, annotator: str, note: str = "") -> None:
        """``annotator`` skips a record (it leaves their queue; undo brings it back)."""
        self.store.respond(record_id, set_name, annotator, None, "discarded", note)

    def last_answer(self, set_name: str, annotator: str) -> tuple[int, str | None] | None:
        """(record id, label; None for a skip) of what :meth:`undo` would take back next, or None."""
        return self.store.last_response(set_name, annotator)

    def undo(self, set_name: str, annotator: str, only: int | None = None) -> str | None:
        """Take back ``annotator``'s latest answer or skip in the set (again: further back). Returns the
        query it was about, or None when there was nothing to take back. ``only``: only if that answer is about
        this record (the one on screen when Undo was pressed: a press delivered twice takes back one answer)."""
        record_id = self.store.undo(set_name, annotator, only)
        return None if record_id is None else str(self.store.record(record_id)["text"])

    # ---- suggestions ----
    def suggest(self, set_name: str, texts: list[str]) -> tuple[str, list[tuple[str, float, float]]]:
        """What a model would answer for each text in label set ``set_name``.

        The active intent model (or category head) when its labels are exactly the set's; otherwise
        zero-shot from the labels' names, descriptions and examples with the base encoder.

        Returns:
            (model name: a registry version or "zero-shot", (label, probability, uncertainty) per text).
        """
        labels = self.store.labels(set_name)
        names = [lab.name for lab in labels]
        task = self.store.label_sets().set_index("name").loc[set_name, "task"]
        version = self.models.active("intent")
        with self._lock:
            clf = self.models.active_intent()
            if clf is not None and task == "intent" and sorted(clf.labels) == sorted(names):
                return version, G.top_with_margin(clf.predict_proba(texts), clf.labels)
            base = self.embeddings.base_encoder
            emb = base.encode(texts)
            head = self.models.category_head() if version and task == "category" else None
            if head is not None and sorted(head.labels) == sorted(names):
                return f"{version} (category head)", G.top_with_margin(head.predict_proba(emb), head.labels)
            label_emb = base.encode([G.label_text(lab) for lab in labels])
            return G.ZERO_SHOT, G.top_with_margin(G.zero_shot_probabilities(emb, label_emb), names)

    def refresh_suggestions(self, set_name: str, progress: Callable[[int, int], None] | None = None) -> str:
        """Suggest a label for every record of the store in ``set_name`` (replacing older suggestions).
        Returns the model name used ("" when there are no records).

        ``progress``: called with (records done, records) after each batch of :data:`SUGGEST_BATCH` (4.4 s for the
        sample's 2,108 queries on 2 CPU cores with queries through the encoder's ONNX export; a slower model or
        a larger queue takes longer, and people see it move).
        """
        records = self.store.records()
        if records.empty:
            return ""
        texts, model, answers = records["text"].tolist(), "", []
        for start in range(0, len(texts), SUGGEST_BATCH):
            model, batch = self.suggest(set_name, texts[start:start + SUGGEST_BATCH])
            answers += batch
            if progress is not None:
                progress(len(answers), len(texts))
        self.store.set_suggestions(set_name, model, [(rid, *a) for rid, a in zip(records["id"], answers)])
        return model

    # ---- review ----
    def agreement(self, set_name: str) -> Agreement | None:
        """Agreement between annotators and with the model over the set's submitted answers, and the
        disputed records; None when the set has no answers yet."""
        answers = self.store.responses(set_name)
        if answers.empty:
            return None
        names = [lab.name for lab in self.store.labels(set_name)]
        resolutions = self.store.resolutions(set_name)
        final = A.final_labels(answers, resolutions)
        suggested = final["record_id"].map(self.store.suggestions(set_name).set_index("record_id")["label"])
        fleiss, n_fleiss = A.fleiss_kappa(answers, names)
        pairwise = A.pairwise_kappa(answers)
        per_label, confusion = {}, pd.DataFrame()
        if len(pairwise):  # two annotators or more
            per_label = {k: v for k, v in A.per_label_alpha(answers, names).items() if not np.isnan(v)}
            confusion = A.annotator_confusion(answers, names)
        return Agreement(
            answers=len(answers), annotators=int(answers["annotator"].nunique()),
            alpha=A.krippendorff_alpha(answers, names), fleiss=fleiss, fleiss_records=n_fleiss,
            final_labels=len(final), model_agreement=float(suggested.eq(final["label"]).mean()) if len(final) else None,
            pairwise=pairwise, per_label=per_label, confusion=confusion,
            versus_model=pd.DataFrame({"label": final["label"], "model": suggested}).dropna(subset=["model"]),
            disputes=A.disputed(answers, resolutions))

    def resolve(self, set_name: str, record_id: int, label: str, resolver: str) -> None:
        """``resolver`` settles a disputed record: ``label`` becomes its final label."""
        self.store.resolve(record_id, set_name, label, resolver)

    def likely_label_errors(self, set_name: str) -> pd.DataFrame:
        """Final labels that a 5-fold cross-validated model on the queries' embeddings strongly disagrees with
        (cleanlab): text, given, model, model_probability, worst first."""
        final = self.resolved_labels(set_name)
        texts = final["text"].tolist()
        with self._lock:
            emb = self.embeddings.base_encoder.encode(texts)
        return A.likely_label_errors(texts, final["label"].tolist(), emb, self.seed)

    # ---- files ----
    def resolved_labels(self, set_name: str) -> pd.DataFrame:
        """One label per answered query (resolution, else a unique majority; ties stay out): text, label,
        answers, source."""
        return X.resolved_labels(self.store, set_name)

    def export(self, set_name: str, fmt: str) -> Path:
        """Write the set's resolved labels to :attr:`exports_dir` as ``<set>.csv``, ``<set>.jsonl`` or a
        ``datasets`` folder ``<set>/`` (``fmt`` one of :attr:`FORMATS`). Returns the path written."""
        return X.export_labels(self.store, set_name, self.exports_dir, set_name, fmt)

    def read_file(self, set_name: str, path: str | Path) -> X.LabelFile:
        """Read a file of queries (``text`` or ``query`` column) with optional labels, against the set's labels.

        Raises:
            ValueError: when the file cannot be read or has no query column.
        """
        return X.read_label_file(path, [lab.name for lab in self.store.labels(set_name)])

    def import_file(self, set_name: str, file: X.LabelFile, file_name: str,
                    create_unknown: bool = False) -> dict[str, int]:
        """Queue the file's queries and store its labels as answers by "import: <file name>".

        Args:
            create_unknown: add the labels the set lacks (otherwise a file with any refuses to import).

        Returns:
            {"records_added", "answers", "labels_created"}.
        """
        return X.import_labels(self.store, set_name, file, f"import: {file_name}"[:80], file_name, create_unknown)

    # ---- what the trainers read, and training from labels ----
    def intent_annotations(self) -> pd.DataFrame:
        """Resolved labels (text, label) of the shopping-intent label set: what annotators added."""
        return X.resolved_labels(self.store, INTENT_SET)[["text", "label"]]

    def graded_pairs(self) -> pd.DataFrame:
        """People's relevance grades (query, product_id, gain: the mean over graders)."""
        judged = people_judgments(self.store.judgments(), keep_unjudgeable=True)
        return pd.DataFrame([(q, pid, g) for q, d in judged.items() for pid, g in d.items()],
                            columns=["query", "product_id", "gain"])

    def training_rows(self) -> TrainingRows:
        """How many labelled queries the data set brings and how many resolved annotations join them."""
        q, qt = self.catalog.queries, self.catalog.queries_test
        labelled = q.dropna(subset=[S.INTENT])
        return TrainingRows(labelled_queries=len(labelled), annotations=len(self.intent_annotations()),
                            distinct_labelled=int(labelled[S.TEXT].nunique()),
                            labelled_test=int(qt[S.INTENT].notna().sum()))

    def simulate_queue_orders(self) -> QueueSimulation:
        """Does the uncertainty queue need fewer labels? Labels the distinct labelled training queries in
        batches of 100 with their known intents as the annotator, least-sure first or at random, scoring a
        logistic regression on base-encoder embeddings after each batch on the labelled held-out queries.

        Raises:
            ValueError: when :attr:`TrainingRows.can_simulate` is False.
        """
        if not self.training_rows().can_simulate:
            raise ValueError(f"the simulation needs {SIMULATION_MIN} labelled training queries and labelled "
                             "held-out test queries")
        labelled = self.catalog.queries.dropna(subset=[S.INTENT]).drop_duplicates(S.TEXT)
        test = self.catalog.queries_test.dropna(subset=[S.INTENT])
        with self._lock:
            enc = self.embeddings.base_encoder
            emb, test_emb = enc.encode(labelled[S.TEXT].tolist()), enc.encode(test[S.TEXT].tolist())
        curves = learning_curves(emb, labelled[S.INTENT].to_numpy(), test_emb, test[S.INTENT].to_numpy(),
                                 seed=self.seed)
        return QueueSimulation(curves, *labels_to_match(curves))

    # ---- relevance grades ----
    def pool_for_judging(self, query: str, depth: int = 10) -> int:
        """Pool the top ``depth`` products of BM25, dense and the full ranking for ``query`` as (query,
        product) pairs for people to grade (as TREC and Quepid pool). Returns how many pairs were new."""
        return self.store.add_pairs(query, {preset: self._ranked(query, preset, depth) for preset in JUDGE_POOL})

    @property
    def held_out_queries(self) -> int:
        """How many distinct held-out test queries there are to pool (:meth:`pool_held_out`)."""
        return len(self._held_out())

    def pool_held_out(self, n: int = 5) -> int:
        """Pool ``n`` more held-out test queries not pooled yet (graded ones measure search; the trainers
        never learn from them). Returns how many queries were pooled."""
        pooled = self.store.pooled_queries()
        todo = [q for q in self._held_out() if q not in pooled][:n]
        for q in todo:
            self.pool_for_judging(q)
        return len(todo)

    def grading(self, grader: str) -> Grading:
        """Pairs pooled and graded, and the next pair ``grader`` has not graded (query by query)."""
        counts = self.store.pair_counts()
        pair = self.store.next_pair(grader)
        nxt = None if pair is None else PairToGrade(int(pair["id"]), str(pair["query"]), str(pair["pooled_from"]),
                                                    self.catalog.product(pair["product_id"]))
        return Grading(counts["pairs"], counts["graded"], counts["queries"], nxt)

    def grade(self, pair_id: int, grader: str, grade: str) -> None:
        """``grader`` grades a pair: a key of :attr:`GRADES` (replacing their earlier grade).

        Raises:
            ValueError: for an unknown grade.
        """
        self.store.judge(pair_id, grader, grade)

    def last_grade(self, grader: str) -> int | None:
        """The pair id of ``grader``'s latest grade (what :meth:`undo_grade` takes back next), or None."""
        return self.store.last_judgment(grader)

    def undo_grade(self, grader: str, only: int | None = None) -> bool:
        """Take back ``grader``'s latest grade; False when there was none. ``only``: only if it is this pair's
        (the one on screen when Undo was pressed: a press delivered twice takes back one grade)."""
        return self.store.undo_judgment(grader, only) is not None

    def people_search_metrics(self) -> dict[str, dict[str, float]]:
        """NDCG@10, MRR and Recall@50 of every search preset on the queries whose pooled pairs people have all
        graded; empty when there are none. Beside the click-derived judgments, a second and better source."""
        grades = self.store.judgments()
        judged = people_judgments(grades[grades["query"].isin(self.store.fully_graded_queries())])
        if not judged:
            return {}
        return {preset: {**ranking_metrics({q: self._ranked(q, preset, 50) for q in judged}, judged),
                         "queries": len(judged)} for preset in PRESETS}

    def measured_on_grades(self) -> tuple[int, pd.DataFrame]:
        """Search measured on people's grades, for a table: (fully graded queries, one row per search setting
        with its name, NDCG@10 and MRR); (0, empty) before any query is fully graded."""
        metrics = self.people_search_metrics()
        if not metrics:
            return 0, pd.DataFrame(columns=["setting", "NDCG@10", "MRR"])
        table = pd.DataFrame([{"setting": PRESET_LABELS[p], "NDCG@10": round(m["ndcg@10"], 3),
                               "MRR": round(m["mrr"], 3)} for p, m in metrics.items()])
        return int(next(iter(metrics.values()))["queries"]), table

    def _held_out(self) -> list[str]:
        return self.catalog.queries_test[S.TEXT].drop_duplicates().tolist()
