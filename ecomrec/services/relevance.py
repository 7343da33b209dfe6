"""The relevance service: one data set's judgment lists, as the Relevance page and the CLI work with them.

A shop's own judged queries come in three ways, and each becomes the same kind of
:class:`~ecomrec.relevance.lists.JudgmentList`: a file (CSV / TSV / JSONL / Parquet or TREC qrels: read, shown
with a proposed gain table, then imported with the table the user accepts), people's grades on the Annotate
page, or the data set's clicks. Each list's queries have a fixed seeded split (train / validation / test) that
measuring, tuning and training all use. Lists live in ``<annotation dir>/judgments/<data set>/``.

Measuring search on a list (:meth:`Relevance.evaluate`: every search preset, tuned BM25 and the active ranking
profile over the list's test queries, each metric two ways, with intervals and paired tests; runs saved under
``<list folder>/runs/``), per-query drill-downs, and comparing two settings without judgments
(:meth:`Relevance.compare_settings`) are methods here too; tuning and training read the list's parts
(:meth:`Relevance.parts`) and never its test queries.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.config import SEED
from ecomrec.data.importer import POLICIES
from ecomrec.evaluation.splits import query_folds, split_queries
from ecomrec.evaluation.stats import StatsConfig
from ecomrec.files import write_atomic
from ecomrec.relevance import gains as G
from ecomrec.relevance.implicit import ClickConfig, click_judgments
from ecomrec.relevance.lists import SOURCES, JudgmentList, JudgmentStore, judgment_list, safe_name
from ecomrec.relevance.reading import JudgmentColumns, ParsedJudgments, read_judgments, to_pairs
from ecomrec.services.catalog import Catalog

if TYPE_CHECKING:
    from ecomrec.models.registry import Registry
    from ecomrec.search.searcher import Searcher, SearchModels

PeopleFn = Callable[[], pd.DataFrame]
"""people() -> people's relevance grades: query, product_id, gain (the mean over graders)."""
PEOPLE_GAINS = {"E": G.ESCI["e"], "S": G.ESCI["s"], "C": G.ESCI["c"], "I": G.ESCI["i"]}  # the Annotate page grades
Columns = JudgmentColumns | Mapping[str, str | None] | None

Judged = dict[str, dict[str, float]]  # query text -> {product id: gain}
Progress = Callable[[int, int, str], None]
"""progress(done, total, what) -> None: after each search of an evaluation or a comparison."""

PARTS = {"test": "test queries", "val": "validation queries", "all": "every query of the list"}
"""Which of a list's queries an evaluation measures. Only test is honest for a choice made on validation."""
MODES = {"unjudged_irrelevant": "unjudged = irrelevant", "judged_only": "judged only"}
"""The two ways every metric is computed: an unjudged product counts as irrelevant, or unjudged products are
removed from each run before it is cut at k (condensed lists: neither punished nor rewarded for them)."""
TUNED_BM25, ACTIVE_PROFILE = "tuned_bm25", "active_profile"
PROFILE_ACTIVE, PROFILE_DEFAULT = "active", "default"  # a setting's profile besides saved versions


class Cancelled(Exception):
    """An evaluation or comparison was cancelled (its ``cancel`` returned True); nothing was saved."""


@dataclass(frozen=True)
class EvalConfig:
    """What an evaluation measures and how."""

    k: int = 10  # NDCG@10: one page of results
    # Recall over the pool every preset ranks (rerank depth 30 by default): "did it find the product at all?"
    recall_k: int = 30
    depth: int = 30  # results kept per system and query: the pool; judged-only metrics read below rank k
    max_queries: int | None = None  # a seeded sample of the part's queries when it has more (None: all)
    seed: int = SEED  # the sample and the bootstrap
    stats: StatsConfig = field(default_factory=StatsConfig)

    def __post_init__(self) -> None:
        if self.k < 1 or self.recall_k < 1 or self.depth < max(self.k, 1):
            raise ValueError("k and recall_k must be at least 1 and depth at least k")
        if self.max_queries is not None and self.max_queries < 1:
            raise ValueError("max_queries must be at least 1 (or None for every query)")


@dataclass(frozen=True, eq=False)
class EvalRun:
    """One saved evaluation of a judgment list: every system's ranking of every query, and what they scored.

    Attributes:
        id: the run's id (its file name under ``<list folder>/runs/``).
        list_name, list_created: the list measured and when it was made (a re-made list is another list).
        part: "test", "val" or "all" (:data:`PARTS`); queries: the queries measured, in order; part_queries:
            judged queries the part had (more than ``queries`` when a sample was drawn).
        systems: system name -> label, in the table's order (presets, tuned BM25, the active profile).
        runs: system -> query -> product ids, best first (at most ``config["depth"]``).
        scores: mode (:data:`MODES`) -> system -> metric -> per-query scores in ``queries``' order.
        summary: one record per (mode, system, metric): mean, 95 % interval (lo, hi), p of the paired test
            against the strongest (None for the strongest itself), strongest (bool).
        strongest: mode -> the system with the highest mean NDCG@k.
        notes: what was chosen or left out, in words (tuned BM25's fields; no validation queries...).
        versions: the models and ranking profile searched with.
        seconds: system -> seconds its searches took (tuned BM25: the choice on validation included).
    """

    id: str
    list_name: str
    list_created: str
    part: str
    created: str
    queries: tuple[str, ...]
    part_queries: int
    systems: dict[str, str]
    runs: dict[str, dict[str, list[str]]]
    scores: dict[str, dict[str, dict[str, list[float]]]]
    summary: list[dict]
    strongest: dict[str, str]
    config: dict
    elapsed_s: float
    notes: tuple[str, ...] = ()
    versions: dict[str, str | None] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        """The metric names, primary first: ``ndcg@10``, ``mrr``, ``recall@30``."""
        return [f"ndcg@{self.config['k']}", "mrr", f"recall@{self.config['recall_k']}"]

    def table(self, mode: str = "unjudged_irrelevant") -> pd.DataFrame:
        """One row per system (table order): ``system``, ``label``, ``strongest`` and, per metric, ``<metric>``,
        ``<metric> lo``, ``<metric> hi``, ``<metric> p``."""
        rows: dict[str, dict] = {s: {"system": s, "label": label, "strongest": s == self.strongest[mode]}
                                 for s, label in self.systems.items()}
        for r in self.summary:
            if r["mode"] == mode:
                m = r["metric"]
                rows[r["system"]].update({m: r["mean"], f"{m} lo": r["lo"], f"{m} hi": r["hi"], f"{m} p": r["p"]})
        return pd.DataFrame(list(rows.values()))

    def per_query(self, metric: str | None = None, mode: str = "unjudged_irrelevant") -> pd.DataFrame:
        """Per-query scores of ``metric`` (default the primary): one row per query, one column per system."""
        metric = metric or self.metrics[0]
        return pd.DataFrame({s: self.scores[mode][s][metric] for s in self.systems},
                            index=pd.Index(self.queries, name="query"))

    def differences(self, a: str, b: str, metric: str | None = None, mode: str = "unjudged_irrelevant"
                    ) -> pd.DataFrame:
        """The queries where systems ``a`` and ``b`` differ most: ``query``, ``a``'s and ``b``'s score and
        ``difference`` (a - b), largest difference either way first."""
        pq = self.per_query(metric, mode)
        df = pd.DataFrame({"query": pq.index, a: pq[a].to_numpy(), b: pq[b].to_numpy()}) if a != b else \
            pd.DataFrame({"query": pq.index, a: pq[a].to_numpy()})
        df["difference"] = pq[a].to_numpy() - pq[b].to_numpy()
        order = np.argsort(-np.abs(df["difference"].to_numpy()), kind="stable")
        return df.iloc[order].reset_index(drop=True)

    def to_dict(self) -> dict:
        return {**asdict(self), "queries": list(self.queries), "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, d: Mapping) -> EvalRun:
        known = {f for f in cls.__dataclass_fields__}
        kw = {k: v for k, v in d.items() if k in known}
        kw["queries"], kw["notes"] = tuple(kw["queries"]), tuple(kw.get("notes", ()))
        return cls(**kw)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Two search settings over the same queries, without judgments.

    Attributes:
        a, b: each setting's label; queries: the queries compared.
        table: per query ``overlap@k``, ``rbo``, ``kendall_tau``, ``shared``, most changed first
            (:func:`ecomrec.evaluation.pairwise.compare_runs`).
        means: ``overlap@k``, ``rbo`` and ``kendall_tau`` averaged over the queries (τ over those with at
            least two shared products), ``identical``: the share of queries whose top k is the same list.
        runs_a, runs_b: query -> the first k product ids of each setting.
    """

    a: str
    b: str
    queries: tuple[str, ...]
    table: pd.DataFrame
    means: dict[str, float]
    runs_a: dict[str, list[str]]
    runs_b: dict[str, list[str]]
    k: int
    p: float


def _write_atomic(path: Path, text: str) -> None:
    """``text`` to ``path`` (its folder made when missing), never half-written (:func:`ecomrec.files.write_atomic`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _sample(queries: list[str], n: int | None, seed: int) -> list[str]:
    """``n`` of ``queries`` drawn with ``seed``, in their original order (all of them when n is None or more)."""
    if n is None or len(queries) <= n:
        return queries
    keep = set(np.random.default_rng(seed).choice(len(queries), n, replace=False).tolist())
    return [q for i, q in enumerate(queries) if i in keep]


BM25_CACHE = 4  # tuned BM25 choices kept (one index each): choosing takes ~20 s on a 3,600-product shop


class Relevance:
    """Judgment lists of one data set, and search measured on them.

    Args:
        catalog: the data set (its products are what rows are matched to; its events are the clicks).
        folder: where its lists are stored (``<annotation dir>/judgments/<data set>``; created on the first save).
        people: people's graded pairs from the label service (``Labels.graded_pairs``).
        searcher: the search service's searcher, built on first use (``lambda: SearchService.searcher``);
            measuring needs it, the lists do not.
        models: the active models and ranking profile (``Models.search_models``).
        registry: the data set's registry (saved ranking profile versions, for comparing settings).
        lock: the engine's lock, held around each search (tokenizers are not safe across threads).
    """

    SOURCES = SOURCES  # "imported", "people", "clicks"
    POLICIES = POLICIES  # "all" (any bad row fails the import) or "skip" (keep the good rows)
    PARTS = PARTS  # "test", "val", "all": what an evaluation measures
    MODES = MODES  # "unjudged_irrelevant", "judged_only": the two ways every metric is computed
    Cancelled = Cancelled
    EvalConfig = EvalConfig
    parse_gains = staticmethod(G.parse_gains)  # "1=0,2=0.33,3=0.67,4=1" -> a gain table
    propose_gains = staticmethod(G.propose_gains)  # grades -> the proposed table (shown, never applied silently)

    def __init__(self, catalog: Catalog, folder: str | Path, people: PeopleFn,
                 searcher: Callable[[], Searcher] | None = None, models: Callable[[], SearchModels] | None = None,
                 registry: Registry | None = None, lock: threading.RLock | None = None) -> None:
        self.catalog = catalog
        self.store = JudgmentStore(folder)
        self._people = people
        self._searcher, self._models, self._registry = searcher, models, registry
        self._lock = lock
        self._bm25: dict[tuple, tuple] = {}  # (list, created, catalog) -> (BM25Choice, LexicalIndex)
        self._bm25_lock = threading.Lock()
        self._run_rows: dict[str, tuple[int, dict | None]] = {}  # saved run file -> (mtime, its listing row)

    @property
    def folder(self) -> Path:
        return self.store.folder

    # ---- the lists ----
    def lists(self) -> pd.DataFrame:
        """One row per stored list: name, source, pairs, queries, created, notes."""
        return self.store.table()

    def get(self, name: str) -> JudgmentList:
        """The list ``name``.

        Raises:
            KeyError: naming it (and the lists there are) when there is none.
        """
        return self.store.load(name)

    def delete(self, name: str) -> bool:
        """Remove the list ``name``; False when there was none."""
        return self.store.delete(name)

    def split(self, name: str, seed: int = SEED, val: float = 0.2, test: float = 0.2) -> dict[str, str]:
        """Each query of list ``name`` -> "train", "val" or "test" (:func:`ecomrec.evaluation.splits.split_queries`:
        a seeded hash of the query, so a query keeps its part as the list grows)."""
        return split_queries(self.get(name).queries, seed, val, test)

    def folds(self, name: str, k: int = 5, seed: int = SEED) -> list[tuple[list[str], list[str]]]:
        """``k`` (training, test) query folds of list ``name`` (:func:`ecomrec.evaluation.splits.query_folds`)."""
        return query_folds(self.get(name).queries, k, seed)

    # ---- from a file ----
    def read_file(self, path: str | Path, columns: Columns = None, fmt: str | None = None, encoding: str = "utf-8",
                  topics: str | Path | Mapping[str, str] | None = None) -> ParsedJudgments:
        """Read a judgment file and match it to the catalog, storing nothing: what the page shows before an
        import (rows, unmatched titles and other problems, the grades seen and the proposed gain table).

        Args:
            columns: role -> file column, e.g. ``{"query": "search_term", "title": "product_title",
                "grade": "median_relevance"}``; unnamed roles are guessed.
            fmt: "csv", "tsv", "jsonl", "json", "parquet" or "trec" (default: from the file's name).
            topics: for files of query ids (TREC): a topics file or ``{query_id: text}``; without it the id is
                the query's text.

        Raises:
            ValueError: for an unreadable file or a column that is missing or cannot be guessed.
        """
        return read_judgments(path, self.catalog.products, columns, fmt, encoding, topics)

    def import_file(self, source: ParsedJudgments | str | Path, name: str, gains: Mapping[str, float],
                    columns: Columns = None, policy: str = "all", fmt: str | None = None, encoding: str = "utf-8",
                    topics: str | Path | Mapping[str, str] | None = None) -> JudgmentList:
        """Import a judgment file as the list ``name`` (replacing one of that name) with the gain table ``gains``.

        Args:
            source: what :meth:`read_file` returned, or a path (then read with ``columns``, ``fmt``, ``encoding``
                and ``topics``).
            gains: grade -> gain, chosen by the user (``parsed.proposed`` is only a proposal).
            policy: "all" (default: any bad row, unmatched titles included, imports nothing) or "skip".

        Raises:
            ValidationError: with ``policy="all"``, naming every bad row by file, row and column.
            ValueError: for an empty or bad gain table, an unusable name, or no row left.
        """
        parsed = source if isinstance(source, ParsedJudgments) else self.read_file(source, columns, fmt, encoding,
                                                                                   topics)
        pairs, report = to_pairs(parsed, gains, policy)
        unmatched = len(parsed.unmatched)
        counts = {"rows_read": parsed.rows_read, "rejected": len(report.rejects), "unmatched": unmatched,
                  "averaged": int((pairs["raters"] > 1).sum())}
        notes = (f"imported from {parsed.file} ({parsed.fmt}); products matched by {parsed.matched_by}; "
                 f"{parsed.scale if parsed.proposed else 'no known'} scale")
        jl = judgment_list(name, "imported", pairs, G.check_gains(gains), counts, notes, report.rejects_frame())
        return self.store.save(jl)

    # ---- from people and from clicks ----
    def from_people(self, name: str = "people") -> JudgmentList:
        """People's relevance grades from the Annotate page as the list ``name`` (rebuilt from every grade so
        far; a pair graded by several people takes their mean gain).

        Raises:
            ValueError: when nobody has graded a pair yet.
        """
        graded = self._people()
        if graded.empty:
            raise ValueError("nobody has graded a (query, product) pair yet: grade pairs on the Annotate page")
        counts = {"graded_pairs": len(graded)}
        notes = "people's grades on the Annotate page (Exact / Substitute / Complement / Irrelevant), mean over graders"
        return self.store.save(judgment_list(name, "people", graded, PEOPLE_GAINS, counts, notes))

    def from_clicks(self, name: str = "clicks", config: ClickConfig | None = None,
                    exclude: Iterable[str] | None = None) -> JudgmentList:
        """The data set's search clicks as the list ``name``: COEC gains in [0, 1] per query
        (:mod:`ecomrec.relevance.implicit` says how, and what the estimate cannot see).

        Args:
            exclude: query texts to leave out; default: the data set's held-out test queries, so a list made
                from clicks can train and tune without ever reaching them.

        Raises:
            ValueError: when there are no search clicks, or no query with enough clicked products.
        """
        if exclude is None:
            exclude = self.catalog.queries_test["text"].tolist()
        cj = click_judgments(self.catalog.events, config, exclude)
        counts = {k: v for k, v in cj.counts.items() if k not in ("pairs", "queries")}
        return self.store.save(judgment_list(name, "clicks", cj.pairs, {}, counts, cj.describe()))

    # ---- a list's parts: what tuning, training and measuring each read ----
    def parts(self, name: str) -> dict[str, Judged]:
        """The judged queries of list ``name`` with a relevant product, by part: ``{"train": ..., "val": ...,
        "test": ...}``, each ``{query: {product_id: gain}}``. Tuning reads ``val``, training ``train`` (and
        ``val`` to choose), only the final report ``test``."""
        jl = self.get(name)
        return self._parts_of(jl)

    def _parts_of(self, jl: JudgmentList) -> dict[str, Judged]:
        split = split_queries(jl.queries, SEED)
        out: dict[str, Judged] = {"train": {}, "val": {}, "test": {}}
        for q, gains in jl.judgments().items():
            out[split[q]][q] = gains
        return out

    def split_sizes(self, name: str) -> pd.DataFrame:
        """Per part (train, val, test): ``queries`` of the list and ``measurable`` ones (with a relevant product)."""
        jl = self.get(name)
        split = split_queries(jl.queries, SEED)
        measurable = {part: len(j) for part, j in self._parts_of(jl).items()}
        counts = pd.Series(split).value_counts()
        return pd.DataFrame([{"part": part, "queries": int(counts.get(part, 0)), "measurable": measurable[part]}
                             for part in ("train", "val", "test")])

    # ---- measuring search on a list ----
    def systems(self) -> dict[str, str]:
        """The systems an evaluation measures now: name -> label. Every search preset with the active models
        (and the default ranking settings when a tuned profile is active, so the presets stay the reference),
        tuned BM25, and the full search with the active ranking profile when one other than the defaults is
        active."""
        from ecomrec.search.searcher import PRESET_LABELS, PRESETS

        tuned = self._tuned_profile()
        suffix = " (default settings)" if tuned else ""
        out = {p: PRESET_LABELS[p] + suffix for p in PRESETS}
        out[TUNED_BM25] = "Tuned BM25 (fields, k1 and b chosen on validation)"
        if tuned:
            out[ACTIVE_PROFILE] = f"Full with the active ranking profile ({tuned})"
        return out

    def _tuned_profile(self) -> str | None:
        """The active ranking profile's version when it ranks differently from the defaults, else None."""
        from ecomrec.search.ranking_profile import RankingProfile

        if self._models is None:
            return None
        profile = self._models().profile
        return None if RankingProfile().same_ranking(profile) else (profile.version or "unsaved")

    def _ranked(self, query: str, preset: str, models: SearchModels, memo, depth: int,
                collect: bool = False) -> list[str]:
        """Product ids of ``query`` under ``preset`` with ``models``, best first (at most ``depth``); with
        ``collect`` the reranker pairs the search needs are only noted in ``memo`` (see :meth:`_warm`)."""
        from ecomrec.search.searcher import SearchSettings

        if self._searcher is None:
            raise ValueError("this relevance service was built without a searcher: measuring needs one")
        searcher = self._searcher()
        with self._lock or nullcontext():
            memo.collect = collect
            try:
                res = searcher.search(query, models, depth, settings=SearchSettings(preset=preset), memo=memo)
            except ValueError:  # an empty query: nothing to rank
                return []
            finally:
                memo.collect = False
        return [it.product_id for it in res.items]

    def _warm(self, queries: Sequence[str], jobs: Sequence[tuple[str, SearchModels]], memo, depth: int,
              cancel: Callable[[], bool] | None = None, report: Callable[[str], None] | None = None) -> None:
        """Batch in ``memo`` what the searches of ``queries`` under ``jobs`` ((preset, models) sharing one intent
        model) need: one encoder and one intent-model call for every query (``Searcher.prepare``), then every
        reranker pair the reranking presets need, noted by a collecting pass and scored in large batches across
        queries (``SearchMemo.score_pending``). The searches then read the memo: same results, several times faster.

        Raises:
            Cancelled: when ``cancel`` said so.
        """
        from ecomrec.search.searcher import PRESETS

        if not queries or not jobs:
            return
        stop = cancel or (lambda: False)
        with self._lock or nullcontext():
            self._searcher().prepare(list(queries), jobs[0][1], memo)
        for preset, models in jobs:
            if not PRESETS[preset][1] or models.reranker is None:
                continue
            for q in queries:
                if stop():
                    raise Cancelled("cancelled")
                self._ranked(q, preset, models, memo, depth, collect=True)
        total = memo.pending()

        def between_chunks() -> bool:
            if report is not None:
                report(f"reranker: {total - memo.pending():,} of {total:,} (query, product) pairs scored")
            return stop()

        if total and not memo.score_pending(lock=self._lock, stop=between_chunks):
            raise Cancelled("cancelled")

    def _tuned_bm25(self, jl: JudgmentList, val: Judged):
        """(choice, index) of BM25 tuned on ``val`` (:func:`ecomrec.honest.tune_bm25`), kept per list version in
        memory, and its choice on disk beside the runs (``runs/.bm25-<list>.json``: choosing takes ~20 s on the
        sample shop, rebuilding the chosen index a fraction of a second)."""
        import hashlib

        from ecomrec import honest
        from ecomrec.search.retrieval import LexicalIndex

        key = (jl.name, jl.created, self.catalog.fingerprint, tuple(sorted(val)))
        stamp = hashlib.sha256(json.dumps(key, ensure_ascii=False).encode()).hexdigest()[:16]
        path = self.runs_folder / f".bm25-{jl.name}.json"
        with self._bm25_lock:
            if key not in self._bm25:
                if len(self._bm25) >= BM25_CACHE:
                    self._bm25.pop(next(iter(self._bm25)))
                saved = None
                try:
                    d = json.loads(path.read_text(encoding="utf-8"))
                    if d.get("key") == stamp and d.get("fields") in honest.FIELDS:
                        saved = honest.BM25Choice(d["fields"], float(d["k1"]), float(d["b"]), float(d["val_ndcg"]))
                except (OSError, ValueError, KeyError, TypeError):
                    pass  # none yet, or another list version's: choose again
                if saved is not None:
                    texts = honest.field_texts(self.catalog.products, honest.FIELDS[saved.fields])
                    self._bm25[key] = (saved, LexicalIndex(texts, k1=saved.k1, b=saved.b))
                else:
                    choice, index = honest.tune_bm25(self.catalog.products, val)
                    self._bm25[key] = (choice, index)
                    _write_atomic(path, json.dumps({"key": stamp, **asdict(choice)}) + "\n")
            return self._bm25[key]

    def evaluate(self, name: str, part: str = "test", config: EvalConfig | None = None,
                 progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> EvalRun:
        """Measure every system (:meth:`systems`) on list ``name``'s ``part`` queries; save and return the run.

        Each system ranks each query (searches share one memo: a query is encoded, understood and reranked
        once for every preset); NDCG@k, MRR and Recall@recall_k are computed per query two ways (:data:`MODES`:
        unjudged = irrelevant, and judged only), each with a seeded 95 % bootstrap interval, and every system is
        paired-tested against the strongest (highest mean NDCG@k) per metric. Tuned BM25 chooses its fields, k1
        and b on the list's *validation* queries (left out when it has none).

        Args:
            part: "test" (default: the only honest choice after tuning on validation), "val" or "all".
            progress: called after every search with (done, total, what).
            cancel: returns True to stop; :class:`Cancelled` is raised and nothing is saved.

        Raises:
            KeyError: for an unknown list.
            ValueError: for an unknown part, or a part without a judged query that has a relevant product.
            Cancelled: when ``cancel`` said so.
        """
        from ecomrec import honest
        from ecomrec.evaluation.ranking import metrics_per_query
        from ecomrec.search.ranking_profile import RankingProfile
        from ecomrec.search.searcher import SearchMemo

        if part not in PARTS:
            raise ValueError(f"unknown part {part!r}; use one of {list(PARTS)}")
        config = config or EvalConfig()
        t0 = time.perf_counter()
        jl = self.get(name)
        parts = self._parts_of(jl)
        judged_all = jl.judgments()
        judged = judged_all if part == "all" else parts[part]
        if not judged:
            raise ValueError(f"list {jl.name!r} has no {PARTS[part]} with a relevant product to measure "
                             f"({jl.counts.get('queries', 0)} queries in all): add judgments or measure another part")
        queries = _sample(list(judged), config.max_queries, config.seed)
        judged = {q: judged[q] for q in queries}
        if self._models is None:
            raise ValueError("this relevance service was built without the search models: measuring needs them")
        models = self._models()
        base = replace(models, profile=RankingProfile())
        systems = self.systems()
        notes: list[str] = []
        val = parts["val"]
        if not val:
            systems.pop(TUNED_BM25)
            notes.append("Tuned BM25 is left out: the list has no validation queries to choose its settings on.")
        total = len(queries) * len(systems) + (TUNED_BM25 in systems) + 1
        done = 0

        def step(what: str) -> None:
            nonlocal done
            if cancel is not None and cancel():
                raise Cancelled(f"the evaluation of list {jl.name!r} was cancelled after {done} of {total} searches")
            done += 1
            if progress is not None:
                progress(done, total, what)

        memo = SearchMemo()
        jobs = {s: ("full", models) if s == ACTIVE_PROFILE else (s, base) for s in systems if s != TUNED_BM25}
        t = time.perf_counter()
        step(f"reading the {len(queries)} queries and scoring the reranker's candidates in batches")
        try:
            self._warm(queries, list(jobs.values()), memo, config.depth, cancel,
                       lambda what: progress(done, total, what) if progress is not None else None)
        except Cancelled:
            raise Cancelled(f"the evaluation of list {jl.name!r} was cancelled") from None
        warm_s = time.perf_counter() - t
        runs: dict[str, dict[str, list[str]]] = {}
        seconds: dict[str, float] = {}
        ids = self.catalog.products[S.PRODUCT_ID].to_numpy()
        for system, label in systems.items():
            t = time.perf_counter()
            runs[system] = {}
            if system == TUNED_BM25:
                step(f"{label}: choosing fields, k1 and b on {len(val)} validation queries")
                choice, index = self._tuned_bm25(jl, val)
                notes.append(f"Tuned BM25 reads {choice.fields} with k1 = {choice.k1:g}, b = {choice.b:g} (validation "
                             f"NDCG@10 {choice.val_ndcg:.3f} on {len(val)} queries).")
            for q in queries:
                step(f"{label}: {q}")
                if system == TUNED_BM25:
                    runs[system][q] = honest.bm25_runs(index, ids, [q], config.depth)[q]
                else:
                    runs[system][q] = self._ranked(q, *jobs[system], memo, config.depth)
            seconds[system] = round(time.perf_counter() - t, 2)
        seconds["batched: queries read, reranker pairs scored"] = round(warm_s, 2)
        scores = {mode: {s: {m: v.tolist() for m, v in metrics_per_query(
            runs[s], judged, config.k, config.recall_k, judged_only=mode == "judged_only").items()} for s in systems}
            for mode in MODES}
        summary, strongest = _summarise(scores, list(systems), config)
        in_part = len(judged_all if part == "all" else parts[part])
        if len(queries) < in_part:
            notes.append(f"Measured on a seeded sample of {len(queries)} of the {in_part} {PARTS[part]}.")
        created = pd.Timestamp.now(tz="UTC")
        run = EvalRun(
            id=safe_name(f"{created:%Y%m%d-%H%M%S}-{jl.name}-{part}-{uuid.uuid4().hex[:4]}"), list_name=jl.name,
            list_created=jl.created, part=part, created=created.strftime("%Y-%m-%dT%H:%M:%SZ"), queries=tuple(queries),
            part_queries=in_part, systems=systems, runs=runs, scores=scores,
            summary=summary, strongest=strongest,
            config={"k": config.k, "recall_k": config.recall_k, "depth": config.depth,
                    "max_queries": config.max_queries, "seed": config.seed, "stats": asdict(config.stats)},
            elapsed_s=round(time.perf_counter() - t0, 2), notes=tuple(notes),
            versions={"intent": models.versions[0] if models.versions else None,
                      "reranker": models.versions[1] if models.versions else None,
                      "ranking profile": models.profile.version}, seconds=seconds)
        self._save_run(run)
        return run

    # ---- saved runs ----
    @property
    def runs_folder(self) -> Path:
        """Where evaluations are saved: ``<list folder>/runs/<run id>.json``."""
        return self.folder / "runs"

    def _save_run(self, run: EvalRun) -> None:
        _write_atomic(self.runs_folder / f"{run.id}.json", json.dumps(run.to_dict(), ensure_ascii=False) + "\n")

    def saved_runs(self, name: str | None = None) -> pd.DataFrame:
        """Saved evaluations (of list ``name``, default every list), newest first: ``id``, ``list``, ``part``,
        ``created``, ``queries``, ``strongest`` (its label)."""
        rows = []
        folder = self.runs_folder
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            if path.name.startswith("."):
                continue
            row = self._run_row(path)
            if row is not None and (name is None or row["list"] == safe_name(name)):
                rows.append(row)
        df = pd.DataFrame(rows, columns=["id", "list", "part", "created", "queries", "strongest"])
        return df.sort_values("created", ascending=False, kind="stable").reset_index(drop=True)

    def _run_row(self, path: Path) -> dict | None:
        """A saved run's listing row, read once per file version (runs are written once, then only read)."""
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return None
        cached = self._run_rows.get(str(path))
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            best = d.get("strongest", {}).get("unjudged_irrelevant")
            row = {"id": d["id"], "list": d["list_name"], "part": d["part"], "created": d["created"],
                   "queries": len(d["queries"]), "strongest": d["systems"].get(best, best)}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            row = None  # a file that is not a run (or was cut short by hand): not listed
        self._run_rows[str(path)] = (stamp, row)
        return row

    def load_run(self, run_id: str) -> EvalRun:
        """The saved evaluation ``run_id``.

        Raises:
            KeyError: when there is none.
        """
        path = self.runs_folder / f"{safe_name(run_id)}.json"
        if not path.exists():
            raise KeyError(f"no saved evaluation {run_id!r}")
        return EvalRun.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def side_by_side(self, run: EvalRun, query: str, a: str, b: str, k: int | None = None) -> dict[str, pd.DataFrame]:
        """The first ``k`` (default the run's k) products of ``query`` under systems ``a`` and ``b``: per system a
        table of ``rank``, ``product_id``, ``title``, ``gain`` (NaN: unjudged), ``grade`` (the list's grade, the
        gain when it has no grade names, or "not judged")."""
        k = k or run.config["k"]
        try:
            gains = self.get(run.list_name).judgments(relevant_only=False).get(query, {})
            grade_names = self.get(run.list_name).gains
        except KeyError:  # the list was deleted since
            gains, grade_names = {}, {}
        names: dict[float, list[str]] = {}
        for grade, gain in grade_names.items():
            names.setdefault(round(float(gain), 6), []).append(str(grade))
        titles = self.catalog.products.set_index(S.PRODUCT_ID)[S.TITLE]

        def grade(pid: str) -> str:
            if pid not in gains:
                return "not judged"
            g = gains[pid]
            named = names.get(round(g, 6))
            return f"{' / '.join(named)} ({g:.2f})" if named else f"gain {g:.2f}"

        out = {}
        for system in (a, b):
            ids = run.runs[system].get(query, [])[:k]
            out[system] = pd.DataFrame({"rank": range(1, len(ids) + 1), "product_id": ids,
                                        "title": [str(titles.get(p, p)) for p in ids],
                                        "gain": [gains.get(p, np.nan) for p in ids],
                                        "grade": [grade(p) for p in ids]})
        return out

    # ---- two settings without judgments ----
    def comparison_queries(self, name: str | None = None, part: str = "all", max_queries: int | None = 50,
                           seed: int = SEED) -> list[str]:
        """Queries to compare two settings on: list ``name``'s (its ``part``; judgments are not needed, so every
        query of it counts), or, without a name, the data set's own queries; a seeded sample of ``max_queries``."""
        if name is not None:
            jl = self.get(name)
            split = split_queries(jl.queries, SEED)
            queries = [q for q in jl.queries if part == "all" or split[q] == part]
        else:
            c = self.catalog
            frames = [c.queries, c.data.queries_val, c.queries_test]
            queries = list(dict.fromkeys(str(t) for f in frames for t in f[S.TEXT].tolist() if str(t).strip()))
        return _sample(queries, max_queries, seed)

    def setting_label(self, preset: str, profile: str = PROFILE_ACTIVE) -> str:
        """A setting in words, e.g. "Full: hybrid + rerank + all signals · active profile (v2026...)"."""
        from ecomrec.search.searcher import PRESET_LABELS

        if profile == PROFILE_ACTIVE:
            version = self._models().profile.version if self._models is not None else None
            which = f"active ranking profile ({version})" if version else "active ranking profile (defaults)"
        elif profile == PROFILE_DEFAULT:
            which = "default ranking settings"
        else:
            which = f"ranking profile {profile}"
        return f"{PRESET_LABELS.get(preset, preset)} · {which}"

    def _setting_models(self, profile: str) -> SearchModels:
        from ecomrec.search.ranking_profile import RankingProfile, load_profile

        if self._models is None:
            raise ValueError("this relevance service was built without the search models: comparing needs them")
        models = self._models()
        if profile == PROFILE_ACTIVE:
            return models
        if profile == PROFILE_DEFAULT:
            return replace(models, profile=RankingProfile())
        if self._registry is None:
            raise ValueError("comparing saved ranking profiles needs the registry")
        return replace(models, profile=load_profile(self._registry, profile))

    def compare_settings(self, a: tuple[str, str], b: tuple[str, str], queries: Sequence[str], k: int = 10,
                         p: float = 0.9, progress: Progress | None = None,
                         cancel: Callable[[], bool] | None = None) -> Comparison:
        """How far two settings' top ``k`` agree on ``queries``, without judgments: overlap@k, RBO (``p``) and
        Kendall's τ per query (:func:`ecomrec.evaluation.pairwise.compare_runs`).

        Args:
            a, b: (preset, profile) with profile "active", "default" or a saved ranking profile version.

        Raises:
            ValueError: for no queries, an unknown preset or profile version.
            Cancelled: when ``cancel`` said so.
        """
        from ecomrec.evaluation.pairwise import compare_runs
        from ecomrec.search.searcher import PRESETS, SearchMemo

        queries = list(dict.fromkeys(queries))
        if not queries:
            raise ValueError("no queries to compare the two settings on")
        for preset, _ in (a, b):
            if preset not in PRESETS:
                raise ValueError(f"unknown search preset {preset!r}; use one of {list(PRESETS)}")
        models = {side: self._setting_models(profile) for side, (_, profile) in (("a", a), ("b", b))}
        memo = SearchMemo()
        self._warm(queries, [(a[0], models["a"]), (b[0], models["b"])], memo, k, cancel)
        total, done = 2 * len(queries), 0
        runs: dict[str, dict[str, list[str]]] = {"a": {}, "b": {}}
        for side, (preset, _) in (("a", a), ("b", b)):
            for q in queries:
                if cancel is not None and cancel():
                    raise Cancelled("the comparison was cancelled")
                runs[side][q] = self._ranked(q, preset, models[side], memo, k)
                done += 1
                if progress is not None:
                    progress(done, total, q)
        table = compare_runs(runs["a"], runs["b"], k, p)
        means = {f"overlap@{k}": float(table[f"overlap@{k}"].mean()), "rbo": float(table["rbo"].mean()),
                 "kendall_tau": float(table["kendall_tau"].mean()) if table["kendall_tau"].notna().any() else np.nan,
                 "identical": float(np.mean([runs["a"][q] == runs["b"][q] for q in queries]))}
        return Comparison(self.setting_label(*a), self.setting_label(*b), tuple(queries), table, means, runs["a"],
                          runs["b"], k, p)

    # ---- what tuning and training ask of the pipeline ----
    def pipeline_ndcg(self, judgments: Mapping[str, Mapping[str, float]], reranker: object | None) -> float:
        """Mean NDCG@10 of the full search with the active ranking profile over ``judgments`` (validation
        queries), with ``reranker`` in place of the active one (None: without a reranker): the ``pipeline_val``
        that decides whether a reranker trained on a list joins the pipeline."""
        from ecomrec.evaluation.ranking import ndcg_per_query
        from ecomrec.search.searcher import SearchMemo

        if not judgments:
            return 0.0
        if self._models is None:
            raise ValueError("this relevance service was built without the search models")
        models = replace(self._models(), reranker=reranker)
        memo = SearchMemo()
        self._warm(list(judgments), [("full", models)], memo, 10)
        runs = {q: self._ranked(q, "full", models, memo, 10) for q in judgments}
        return float(ndcg_per_query(runs, judgments).mean())


def _summarise(scores: Mapping[str, Mapping[str, Mapping[str, list[float]]]], systems: list[str],
               config: EvalConfig) -> tuple[list[dict], dict[str, str]]:
    """Per (mode, system, metric): mean, bootstrap interval and the paired p against the mode's strongest system
    (highest mean of the primary metric; ties go to the earlier system)."""
    from ecomrec.evaluation.stats import bootstrap_ci, paired_p

    summary: list[dict] = []
    strongest: dict[str, str] = {}
    for mode, by_system in scores.items():
        metrics = list(next(iter(by_system.values())))
        primary = metrics[0]
        best = max(systems, key=lambda s: (float(np.mean(by_system[s][primary])), -systems.index(s)))
        strongest[mode] = best
        for s in systems:
            for metric in metrics:
                v = np.asarray(by_system[s][metric], dtype=float)
                lo, hi = bootstrap_ci(v, config.stats)
                p = None if s == best else round(paired_p(v, by_system[best][metric], config.stats), 4)
                summary.append({"mode": mode, "system": s, "metric": metric, "mean": round(float(v.mean()), 4),
                                "lo": round(lo, 4), "hi": round(hi, 4), "p": p, "strongest": s == best})
    return summary, strongest
