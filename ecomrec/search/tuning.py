"""Tuning a ranking profile on a shop's judgments: choose on validation, never look at test.

:func:`tune` searches the profile's settings (BM25 fields, k1 and b; fusion and its parameter; the dense
similarity floor; candidates per retriever, rerank depth and the share of the pool kept for the query's category)
and its component weights (general, and per intent for the intents the validation queries are read as) with
optuna's TPE sampler, seeded, bounded by a number of trials and a time budget. The objective is the mean NDCG@10
over the validation queries (:func:`ecomrec.evaluation.ranking.ndcg_at_k`; unjudged products count 0) or, given
training judgments, over those, validation then choosing among the best trials. Trial 0 is the active profile and
trial 1 the defaults, always evaluated, so the result is never worse on validation than what is active.

Trials are cheap because a tuning run searches through one :class:`~ecomrec.search.searcher.SearchMemo`:
query embeddings and understanding are computed once per query (batched), each retriever's hits once per
(query, setting), reranker scores once per (query, product) (the pairs a trial needs are found first and
scored in batches across queries), and each BM25 index once per (fields, k1, b); a trial then only fuses,
cuts and ranks, with the very code every search runs. What a trial still costs is the reranker pairs it
brings when it moves the pool, so (with a reranker) the first share of the run tunes the weights alone on
the active pool, and optuna's median pruner stops a trial whose running NDCG@10 trails after two of its
query steps. The function sees only the validation judgments it is given: the caller measures test after
choosing (``SearchService.save_tuned``).
"""
from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from ecomrec.config import SEED
from ecomrec.evaluation.ranking import ndcg_at_k
from ecomrec.ranking import COMPONENTS, INTENT_WEIGHTS, WEIGHT_RANGE
from ecomrec.search.ranking_profile import BM25_FIELDS, FUSIONS, RankingProfile

if TYPE_CHECKING:
    import pandas as pd

    from ecomrec.search.searcher import Searcher, SearchModels

NDCG_K = 10
GENERAL = "general"  # the weight group of searches whose intent is unknown

RunFn = Callable[[str, RankingProfile], Sequence[str]]
"""(query text, profile) -> product ids, best first (at least the first 10)."""

PARTS = {
    "bm25": "BM25 fields, k1 and b",
    "fusion": "fusion (RRF and its k, weighted and its alpha, dense only, BM25 only)",
    "floor": "the dense similarity floor",
    "depths": "candidates per retriever, rerank depth and the share of the pool kept for the query's category",
    "weights": "the general component weights (searches of unknown intent)",
    "intent_weights": "the component weights of each intent the validation queries are read as",
}
"""The parts a tuning run may change, and what each holds."""

FIELD_SETS = {  # named BM25 field selections a trial may pick
    "title+brand+category+description": BM25_FIELDS,
    "title+brand+category": ("title", "brand", "category"),
    "title+category+description": ("title", "category", "description"),
    "title+brand": ("title", "brand"),
    "title": ("title",),
}
K1 = (0.5, 0.9, 1.2, 1.5, 2.0, 3.0)  # bm25s's 1.5 and the usual 1.2-2.0, with both ends of what helps
B = (0.0, 0.25, 0.5, 0.75, 1.0)  # no length normalisation ... full; a grid, so BM25 indexes repeat and stay cached
RRF_K = (1, 200)  # log-uniform: 1 trusts the top ranks almost alone, 200 flattens them
FLOOR = (0.0, 0.6)  # cosines: 0 keeps every dense hit, 0.6 keeps only near paraphrases
CANDIDATES = (50, 100, 200)
RERANK_DEPTH = (10, 20, 30, 50)  # 10: the page's list itself; 50: the bench's evaluation depth
# places in the reranked pool kept for the category a shop's trained head reads the query as: 0 turns it off (a
# shop whose judgments do not reward it), 1/3 the default, 2/3 nearly a category listing
CATEGORY_SHARES = (0.0, 1 / 6, 1 / 3, 2 / 3)


@dataclass(frozen=True)
class TuneConfig:
    """How long and over what a tuning run searches."""

    # no trial starts after this many seconds (trials 0 and 1 always run; one in flight stops at its next
    # query or reranker batch). Measured first, one evaluation pass on the sample shop (3,600 products, 50
    # validation queries, trained intent model and reranker, 2 CPU cores shared with other work, load 4-5):
    # cold 23-55 s (batched encoding and intent ~4 s, then 1,467 reranker pairs at ~30 ms), warm 0.1-0.2 s;
    # a trial moving the pool pays ~30 ms per new pair. 60 s gave 95-113 trials (+0.010 to +0.016 validation
    # NDCG@10), and measuring 50 test queries afterwards (a cold pass) 25-55 s: the Evaluate page stays in 120 s
    budget_s: float = 60.0
    n_trials: int = 300  # trials in all (trial 0 the active profile, 1 the defaults): TPE has settled by then
    seed: int = SEED  # TPE's sampler: the same seed, judgments and budget in trials repeat a run exactly
    parts: tuple[str, ...] = tuple(PARTS)  # which parts to tune (keys of PARTS); the rest keep the active's
    # the weights tried: relevance signals and the ones judgments can reward; price, promotion, brand, colour
    # and personal stay as they are (they answer slots, deals and shoppers, which judgments rarely see)
    weight_components: tuple[str, ...] = ("lexical", "semantic", "rerank", "category", "rating", "popularity",
                                          "diversity")
    min_intent_queries: int = 5  # an intent gets weights of its own only from this many validation queries
    # a sampled trial is scored over the queries in this many steps; from the second on, optuna's median pruner
    # stops it when its running NDCG@10 trails the median of earlier trials at that step: a poor trial then pays
    # for two fifths of the reranker pairs it would bring (new pairs are what a trial costs)
    prune_steps: int = 5
    # with a reranker, this share of the trials and of the time after trial 1 goes first to the weights alone:
    # those trials keep the active profile's pool, so they bring no reranker pairs (~0.2 s a trial for 50
    # queries), while a trial that moves the pool pays ~10-30 ms for each new pair on 2 CPU cores
    weights_first: float = 0.3

    # with training judgments: the trials' objective is their NDCG@10, and validation chooses among the active
    # profile, the defaults and this many best trials (the best of each kind of candidate pool: _pool_kind).
    # Measured on CrowdFlower (bench real_relevance, 5 folds, 90 s on ~160 training queries, ~50 validation
    # ones): 0.81 on test against 0.80 for dense retrieval alone; tuning on validation alone reached 0.808
    # (tune on 50 queries and the tuner learns them: +0.016 to +0.043 on validation, -0.008 to +0.03 on test)
    finalists: int = 10

    def __post_init__(self) -> None:
        unknown = set(self.parts) - set(PARTS)
        if unknown:
            raise ValueError(f"unknown tuning part(s) {sorted(unknown)}; known: {list(PARTS)}")
        bad = set(self.weight_components) - set(COMPONENTS)
        if bad:
            raise ValueError(f"unknown ranking weight(s) {sorted(bad)}; known: {list(COMPONENTS)}")
        if self.n_trials < 1 or self.budget_s < 0:
            raise ValueError("n_trials must be at least 1 and budget_s at least 0")


@dataclass(frozen=True)
class TuneProgress:
    """Reported after every trial."""

    trial: int  # 0 = the active profile
    n_trials: int
    ndcg: float  # this trial's validation NDCG@10
    best: float  # the best so far
    elapsed_s: float
    budget_s: float


@dataclass(frozen=True)
class TrialRecord:
    """One evaluated trial."""

    number: int
    ndcg: float  # NDCG@10 the trials are chosen by (training queries when given, else validation); for a pruned
    # trial, its running mean over the queries it got to
    best: float  # the best of ``ndcg`` up to and including this trial
    elapsed_s: float  # since the run started, at the trial's end
    params: dict
    label: str = ""  # "active profile", "defaults", "pruned" or "" (sampled, complete)


@dataclass(frozen=True)
class TuneResult:
    """A tuning run's outcome; nothing is saved (``SearchService.save_tuned`` saves it).

    Attributes:
        profile: the best profile (unsaved: version None); the active one's content when nothing beat it.
        active: the profile that was active (trial 0).
        val_ndcg_default, val_ndcg_active, val_ndcg_best: validation NDCG@10 of the defaults, the active
            profile and the best.
        trials: every evaluated trial, in order (the chart's history).
        best_trial: the best trial's number.
        why: why it won, in words (what changed, by how much, on how many queries).
        stopped: "trials", "time budget" or "cancelled".
        tuned: the parts tuned; intents: the intents given weights of their own.
        queries: validation queries evaluated.
        train_queries: training queries the trials were scored on (0: the trials were scored on validation).
    """

    profile: RankingProfile
    active: RankingProfile
    val_ndcg_default: float
    val_ndcg_active: float
    val_ndcg_best: float
    trials: tuple[TrialRecord, ...]
    best_trial: int
    why: str
    elapsed_s: float
    stopped: str
    tuned: tuple[str, ...]
    intents: tuple[str, ...]
    queries: int
    config: TuneConfig
    rerank_pairs: int | None = None  # pairs the reranker scored in all (a searcher's run)
    train_queries: int = 0
    per_query: dict[str, tuple[float, float]] = field(default_factory=dict)  # query -> (active, best) NDCG@10

    @property
    def improved(self) -> bool:
        """True when the best beats the active profile on validation."""
        return self.val_ndcg_best > self.val_ndcg_active

    def history(self) -> pd.DataFrame:
        """One row per trial: ``trial``, ``ndcg@10``, ``best``, ``elapsed_s``, ``label``."""
        import pandas as pd

        return pd.DataFrame([{"trial": t.number, "ndcg@10": t.ndcg, "best": t.best, "elapsed_s": t.elapsed_s,
                              "label": t.label} for t in self.trials])

    def summary(self) -> dict:
        """What a saved profile's manifest keeps of the run (JSON-ready)."""
        return {"parts": list(self.tuned), "intents": list(self.intents), "trials": len(self.trials),
                "pruned": sum(t.label == "pruned" for t in self.trials),
                "best_trial": self.best_trial, "stopped": self.stopped, "elapsed_s": round(self.elapsed_s, 1),
                "seed": self.config.seed, "budget_s": self.config.budget_s, "n_trials": self.config.n_trials,
                "val_queries": self.queries, "train_queries": self.train_queries, "why": self.why}


class _Stop(Exception):
    """A trial was cut short (time budget or cancel)."""


class _Pruned(Exception):
    """The pruner stopped a trial: its running NDCG@10 trailed the median of earlier trials at the same step."""

    def __init__(self, value: float) -> None:
        super().__init__(value)
        self.value = value


def _steps(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` consecutive query ranges (lo, hi) covering ``n`` queries, each at least 5 queries long."""
    size = max(5, math.ceil(n / max(1, parts)))
    return [(lo, min(n, lo + size)) for lo in range(0, n, size)]


class SearcherRun:
    """A :data:`RunFn` over a searcher: every search shares one memo (keep the run to reuse it: a second
    tuning run or a test measurement over the same models then costs little), and the intent each query is
    read as is recorded (which intents get weights of their own).

    Args:
        lock: held around each search (the engine's lock: other sessions' searches interleave with trials).
    """

    def __init__(self, searcher: Searcher, models: SearchModels, lock=None) -> None:
        from ecomrec.search.searcher import SearchMemo

        self.searcher, self.models, self.lock = searcher, models, lock
        self.memo = SearchMemo()
        self.intents: dict[str, str | None] = {}

    def _search(self, query: str, profile: RankingProfile, collect: bool = False):
        from contextlib import nullcontext

        with self.lock or nullcontext():
            self.memo.collect = collect
            try:
                res = self.searcher.search(query, replace(self.models, profile=profile), NDCG_K, memo=self.memo)
            finally:
                self.memo.collect = False
        self.intents[query] = res.intent.label if res.intent is not None else None
        return res

    def __call__(self, query: str, profile: RankingProfile) -> list[str]:
        return [it.product_id for it in self._search(query, profile).items]

    def prefetch(self, queries: Sequence[str], profile: RankingProfile,
                 stop: Callable[[], bool] | None = None) -> bool:
        """Score every reranker pair ``profile``'s searches of ``queries`` need, batched across queries (the
        pool is formed before the rerank, so a collecting pass finds exactly those pairs). False when ``stop``
        said so."""
        from contextlib import nullcontext

        with self.lock or nullcontext():
            self.searcher.prepare(queries, self.models, self.memo)
        for q in queries:
            if stop is not None and stop():
                return False
            self._search(q, profile, collect=True)
        return self.memo.score_pending(lock=self.lock, stop=stop)


def _key(profile: RankingProfile) -> str:
    return json.dumps({k: v for k, v in profile.to_dict().items() if k != "format"}, sort_keys=True)


def _space(active: RankingProfile, parts: Sequence[str], groups: Sequence[str], comps: Sequence[str]) -> dict:
    """optuna distributions, each wide enough to hold the active profile's value (trial 0 is a point of it)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    s = active.settings

    def cat(values: Sequence, current) -> CategoricalDistribution:
        return CategoricalDistribution(list(dict.fromkeys([*values, current])))

    def num(lo: float, hi: float, current: float) -> FloatDistribution:
        return FloatDistribution(min(lo, float(current)), max(hi, float(current)))

    space: dict = {}
    if "bm25" in parts:
        space["bm25_fields"] = cat(FIELD_SETS, _fields_name(s.bm25_fields))
        space["bm25_k1"] = cat(K1, float(s.bm25_k1))
        space["bm25_b"] = cat(B, float(s.bm25_b))
    if "fusion" in parts:
        space["fusion"] = cat(FUSIONS, s.fusion)
        space["rrf_k"] = IntDistribution(min(RRF_K[0], s.rrf_k), max(RRF_K[1], s.rrf_k), log=s.rrf_k >= 1)
        space["alpha"] = num(0.0, 1.0, s.alpha)
    if "floor" in parts:
        space["min_similarity"] = num(*FLOOR, s.min_similarity)
    if "depths" in parts:
        space["candidates"] = cat(CANDIDATES, s.candidates)
        space["rerank_depth"] = cat(RERANK_DEPTH, s.rerank_depth)
        space["category_share"] = cat(CATEGORY_SHARES, float(s.category_share))
    for g in groups:
        w = active.weights(None if g == GENERAL else g).as_dict()
        for c in comps:
            space[f"w.{g}.{c}"] = num(*WEIGHT_RANGE, w[c])
    return space


def _fields_name(fields: tuple[str, ...]) -> str:
    return next((name for name, f in FIELD_SETS.items() if f == tuple(fields)), "+".join(fields))


def _params_of(profile: RankingProfile, space: Mapping) -> dict:
    """The point of ``space`` that is ``profile``."""
    s = profile.settings
    values = {"bm25_fields": _fields_name(s.bm25_fields), "bm25_k1": float(s.bm25_k1), "bm25_b": float(s.bm25_b),
              "fusion": s.fusion, "rrf_k": s.rrf_k, "alpha": float(s.alpha), "min_similarity": float(s.min_similarity),
              "candidates": s.candidates, "rerank_depth": s.rerank_depth, "category_share": float(s.category_share)}
    out = {}
    for name in space:
        if name.startswith("w."):
            _, g, c = name.split(".")
            out[name] = float(profile.weights(None if g == GENERAL else g).as_dict()[c])
        else:
            out[name] = values[name]
    return out


def _profile_of(active: RankingProfile, params: Mapping) -> RankingProfile:
    """``active`` with the sampled ``params`` in place (unsaved)."""
    names = {"bm25_k1", "bm25_b", "fusion", "rrf_k", "alpha", "min_similarity", "candidates", "rerank_depth",
             "category_share"}
    changes = {n: params[n] for n in names if n in params}
    if "bm25_fields" in params:
        name = params["bm25_fields"]
        changes["bm25_fields"] = FIELD_SETS.get(name, tuple(name.split("+")))
    profile = active.with_settings(replace(active.settings, **changes))
    groups: dict[str, dict[str, float]] = {}
    for name, v in params.items():
        if name.startswith("w."):
            _, g, c = name.split(".")
            groups.setdefault(g, {})[c] = float(v)
    for g, w in groups.items():
        current = active.weights(None if g == GENERAL else g)
        weights = current.with_overrides(w)
        if weights != current:  # an unchanged intent gets no entry: profiles that rank alike read alike
            profile = profile.with_general(weights) if g == GENERAL else profile.with_intent(g, weights)
    return profile


def _weight_groups(active: RankingProfile, intents: Mapping[str, str | None], queries: Sequence[str],
                   config: TuneConfig) -> tuple[list[str], list[str]]:
    """(weight groups to tune, intents among them): the general weights when some validation query reads them,
    and each intent with weights of its own read by at least ``min_intent_queries`` validation queries."""
    counts: dict[str, int] = {}
    for q in queries:
        label = intents.get(q)
        own = label is not None and (label in active.intent_overrides or label in INTENT_WEIGHTS)
        g = label if own else GENERAL
        counts[g] = counts.get(g, 0) + 1
    groups = []
    if "weights" in config.parts and counts.get(GENERAL):
        groups.append(GENERAL)
    own = sorted(g for g, n in counts.items() if g != GENERAL and n >= config.min_intent_queries)
    if "intent_weights" in config.parts:
        groups += own
    return groups, [g for g in groups if g != GENERAL]


def _num(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def _describe(active: RankingProfile, best: RankingProfile) -> list[str]:
    """What ``best`` changes of ``active``, in words."""
    out = []
    for name, (a, b) in best.settings.changes_from(active.settings).items():
        if name == "bm25_fields":
            gone = [f for f in a if f not in b]
            added = [f for f in b if f not in a]
            out.append("BM25 over " + "+".join(b) + (f" (without {', '.join(gone)})" if gone else "")
                       + (f" (with {', '.join(added)})" if added else ""))
        else:
            out.append(f"{name} {_num(a)} → {_num(b)}")
    groups = sorted({GENERAL, *active.intent_overrides, *best.intent_overrides})
    for g in groups:
        wa = active.weights(None if g == GENERAL else g).as_dict()
        wb = best.weights(None if g == GENERAL else g).as_dict()
        moved = [f"{c} {wa[c]:.2f} → {wb[c]:.2f}" for c in COMPONENTS if abs(wa[c] - wb[c]) > 1e-9]
        if moved:
            out.append(f"weights of {'searches of unknown intent' if g == GENERAL else repr(g)}: " + ", ".join(moved))
    return out


def tune(search: Searcher | RunFn, judgments_val: Mapping[str, Mapping[str, float]],
         config: TuneConfig = TuneConfig(), *, models: SearchModels | None = None,
         active: RankingProfile | None = None, intents: Mapping[str, str | None] | None = None, lock=None,
         progress: Callable[[TuneProgress], None] | None = None,
         cancel: Callable[[], bool] | None = None,
         judgments_train: Mapping[str, Mapping[str, float]] | None = None) -> TuneResult:
    """Choose a ranking profile by validation NDCG@10.

    Without ``judgments_train`` every trial is scored on the validation queries and the best wins. With them,
    trials are scored on the training queries (many more, so the search learns less of a few queries' quirks)
    and validation chooses among the active profile, the defaults and the ``config.finalists`` best trials.

    Args:
        search: a :class:`~ecomrec.search.searcher.Searcher` (searched with ``models`` and a fresh memo), a
            :class:`SearcherRun` (its memo reused), or a :data:`RunFn` ``(query, profile) -> product ids``.
        judgments_val: validation query text -> {product id: gain}.
        judgments_train: training query text -> {product id: gain} (never the validation or test queries);
            only these two sets are ever searched.
        models: the models a searcher's searches read (default: none trained); their profile is the active one.
        active: the profile trial 0 evaluates (default: ``models.profile``, else every default).
        intents: query -> intent label, for a run function (a searcher's run reads them itself); without
            them every query counts as of unknown intent (only the general weights are tuned).
        lock: held around each of a searcher's searches.
        progress: called after every trial.
        cancel: returns True to stop; the best so far is kept (trial 0 always completes).

    Raises:
        ValueError: for empty judgments.
    """
    import optuna

    from ecomrec.search.searcher import Searcher, SearchModels

    if not judgments_val:
        raise ValueError("no validation judgments to tune on: judge some queries first (Annotate page or an import)")
    t0 = time.perf_counter()
    deadline = t0 + config.budget_s
    objective = judgments_train or judgments_val  # what the trials are scored on
    queries = list(objective)
    if isinstance(search, Searcher):
        models = models or SearchModels()
        run: RunFn = SearcherRun(search, models, lock)
    else:
        run = search
        if isinstance(run, SearcherRun) and models is None:
            models = run.models
    active = replace(active or (models.profile if models is not None else RankingProfile()), version=None)
    default = RankingProfile()
    steps = _steps(len(queries), config.prune_steps)
    done: dict[str, np.ndarray] = {}  # profile -> per-query NDCG@10 (complete evaluations)
    cut: dict[str, list[float]] = {}  # profile -> running means at the steps before it was pruned

    def stop_now() -> bool:
        return bool(cancel and cancel()) or time.perf_counter() >= deadline

    def evaluate(profile: RankingProfile, trial=None) -> np.ndarray:
        """Per-query NDCG@10 of ``profile``; with an optuna ``trial``, step by step (a pruner may stop it:
        _Pruned) and within the time budget (_Stop); without one (trials 0 and 1) to the end, in one batch."""
        key = _key(profile)
        if key in done:
            return done[key]
        if key in cut:  # proposed again: the same steps, pruned again
            for step, v in enumerate(cut[key]):
                trial.report(v, step)
            raise _Pruned(cut[key][-1])
        stop = None if trial is None else stop_now
        prefetch = getattr(run, "prefetch", None)  # a searcher's run: encoder, intent model, reranker batched
        scores = np.zeros(len(queries))
        means: list[float] = []
        for step, (lo, hi) in enumerate(steps if trial is not None else [(0, len(queries))]):
            if prefetch is not None and not prefetch(queries[lo:hi], profile, stop):
                raise _Stop
            for i in range(lo, hi):
                if stop is not None and stop():
                    raise _Stop
                scores[i] = ndcg_at_k(list(run(queries[i], profile))[:NDCG_K], objective[queries[i]], NDCG_K)
            if trial is not None and hi < len(queries):
                means.append(float(scores[:hi].mean()))
                trial.report(means[-1], step)
                if trial.should_prune():
                    cut[key] = means
                    raise _Pruned(means[-1])
        done[key] = scores
        return scores

    def running_means(scores: np.ndarray) -> dict[int, float]:
        return {step: float(scores[:hi].mean()) for step, (_, hi) in enumerate(steps) if hi < len(queries)}

    records: list[TrialRecord] = []
    best: list = [None, -math.inf, -1, None]  # profile, value, trial, per-query scores
    complete: list[tuple[float, int, RankingProfile]] = []  # (value, trial, profile) of sampled complete trials

    def record(value: float, params: dict, label: str, profile: RankingProfile | None = None,
               scores: np.ndarray | None = None) -> None:
        if profile is not None and value > best[1] + 1e-12:  # ties keep the earlier trial: the active profile
            best[:] = [profile, value, len(records), scores]
        records.append(TrialRecord(len(records), value, best[1], time.perf_counter() - t0, params, label))
        if progress:
            progress(TuneProgress(records[-1].number, config.n_trials, value, best[1], records[-1].elapsed_s,
                                  config.budget_s))

    active_scores = evaluate(active)
    if isinstance(run, SearcherRun):
        intents = run.intents
    groups, own_intents = _weight_groups(active, intents or {}, queries, config)
    comps = list(config.weight_components)
    space = _space(active, config.parts, groups, comps)
    record(float(active_scores.mean()), _params_of(active, space), "active profile", active, active_scores)
    # trial 1: every tuned parameter at its default (what is not tuned stays as active); the empty profile's
    # score is reported beside it, evaluated apart when the two differ
    defaults = _params_of(default, space)
    default_point = _profile_of(active, defaults)
    point_scores = active_scores if default_point.same_ranking(active) else evaluate(default_point)
    if config.n_trials > 1:
        record(float(point_scores.mean()), defaults, "defaults", default_point, point_scores)
    default_scores = next((sc for prof, sc in ((active, active_scores), (default_point, point_scores))
                           if prof.same_ranking(default)), None)
    if default_scores is None:
        default_scores = evaluate(default)

    stopped = "trials"
    if space:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        tpe = optuna.samplers.TPESampler(seed=config.seed, n_startup_trials=10)
        pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)  # judged from 2 steps on
        study = optuna.create_study(direction="maximize", sampler=tpe, pruner=pruner)
        for r, sc in zip(records, (active_scores, point_scores)):  # what TPE and the pruner know before trial 2
            study.add_trial(optuna.trial.create_trial(params={n: r.params[n] for n in space}, distributions=space,
                                                      value=r.ndcg, intermediate_values=running_means(sc)))
        # weights first where moving the pool costs reranker pairs: the pool's parameters stay the active's
        pool_params = {n: v for n, v in records[0].params.items() if not n.startswith("w.")}
        weights_only = None
        if isinstance(run, SearcherRun) and run.models.reranker is not None and pool_params \
                and len(pool_params) < len(space) and config.weights_first > 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                weights_only = optuna.samplers.PartialFixedSampler(pool_params, tpe)
            first_until = (len(records) + config.weights_first * (config.n_trials - len(records)),
                           time.perf_counter() + config.weights_first * max(0.0, deadline - time.perf_counter()))
        while len(records) < config.n_trials:
            if cancel and cancel():
                stopped = "cancelled"
                break
            if time.perf_counter() >= deadline:
                stopped = "time budget"
                break
            if weights_only is not None:
                first = len(records) < first_until[0] and time.perf_counter() < first_until[1]
                study.sampler = weights_only if first else tpe
            trial = study.ask(space)
            profile = _profile_of(active, trial.params)
            try:
                scores = evaluate(profile, trial)
            except _Pruned as pruned:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                record(pruned.value, dict(trial.params), "pruned")
                continue
            except _Stop:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                stopped = "cancelled" if cancel and cancel() else "time budget"
                break
            study.tell(trial, float(scores.mean()))
            complete.append((float(scores.mean()), len(records), profile))
            record(float(scores.mean()), dict(trial.params), "", profile, scores)
    chosen, value, number, scores = best
    among = ""
    if judgments_train:  # validation chooses among the active profile, the defaults and the best trials
        val_queries = list(judgments_val)
        prefetch = getattr(run, "prefetch", None)

        def on_val(profile: RankingProfile) -> np.ndarray:
            if prefetch is not None:
                prefetch(val_queries, profile)
            return np.array([ndcg_at_k(list(run(q, profile))[:NDCG_K], judgments_val[q], NDCG_K)
                             for q in val_queries])

        finalists, kinds = [(1, default_point)], set()
        for _, n, p in sorted(complete, key=lambda c: (-c[0], c[1])):  # best first, one per kind of pool
            if len(finalists) > config.finalists:
                break
            if _pool_kind(p) not in kinds:
                kinds.add(_pool_kind(p))
                finalists.append((n, p))
        active_scores = scores = on_val(active)
        chosen, number = active, 0
        for n, candidate in finalists:
            if cancel and cancel():  # the best so far is kept
                stopped = "cancelled"
                break
            sc = on_val(candidate)
            if sc.mean() > scores.mean() + 1e-12:  # ties keep the earlier: the active profile, then the defaults
                chosen, number, scores = candidate, n, sc
        value = float(scores.mean())
        default_scores = on_val(default)
        among = (f" The trials were scored on {len(queries)} training queries; validation chose among the active "
                 f"profile, the defaults and the best trials of {len(finalists) - 1} kinds of candidate pool.")
        queries = val_queries
    why = _why(active, chosen, number, value, float(active_scores.mean()), float(default_scores.mean()),
               active_scores, scores, len(records)) + among
    return TuneResult(
        profile=replace(chosen, version=None), active=active, val_ndcg_default=float(default_scores.mean()),
        val_ndcg_active=float(active_scores.mean()), val_ndcg_best=value, trials=tuple(records), best_trial=number,
        why=why, elapsed_s=time.perf_counter() - t0, stopped=stopped,
        tuned=tuple(p for p in config.parts if p not in ("weights", "intent_weights") or
                    (p == "weights" and GENERAL in groups) or (p == "intent_weights" and own_intents)),
        intents=tuple(own_intents), queries=len(queries), config=config,
        train_queries=len(judgments_train) if judgments_train else 0,
        rerank_pairs=run.memo.rerank_pairs if isinstance(run, SearcherRun) else None,
        per_query={q: (float(a), float(b)) for q, a, b in zip(queries, active_scores, scores)})


def _pool_kind(profile: RankingProfile) -> tuple:
    """What decides which products a profile's searches pool (fields, k1, b, fusion, depths, category share):
    finalists of one kind differ only in fine settings, and ten of one kind would give validation no real choice
    (measured on a 59-query list: the ten best training trials were one BM25 setting, all below the active profile
    on validation, while the best trial of another kind beat it)."""
    s = profile.settings
    return (tuple(s.bm25_fields), s.bm25_k1, s.bm25_b, s.fusion, s.candidates, s.rerank_depth, s.category_share)


def _why(active: RankingProfile, best: RankingProfile, number: int, value: float, active_value: float,
         default_value: float, active_scores: np.ndarray, best_scores: np.ndarray, trials: int) -> str:
    n = len(active_scores)
    if number == 0:
        return (f"No trial of {trials} beat the active profile on the {n} validation queries "
                f"(NDCG@10 {active_value:.4f}; defaults {default_value:.4f}): it stays as it is.")
    better = int(np.sum(best_scores > active_scores + 1e-12))
    worse = int(np.sum(best_scores < active_scores - 1e-12))
    changes = _describe(active, best)
    what = "the defaults" if number == 1 else f"trial {number} of {trials}"
    return (f"{what.capitalize()} scored validation NDCG@10 {value:.4f} against {active_value:.4f} for the "
            f"active profile ({value - active_value:+.4f}; defaults {default_value:.4f}), better on {better} and "
            f"worse on {worse} of {n} validation queries. It changes: " + ("; ".join(changes) or "nothing visible")
            + ".")
