"""The search service: understanding, retrieval and ranking of one catalog with the active models, a
small result cache, and the ranking profile searches start from: its weights per intent, its tuning on a
shop's judgments (validation only; test is measured after choosing, for the report), its versions and
rollback (activating an older version)."""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ecomrec.ranking import RankingWeights
from ecomrec.search.ranking_profile import PROFILE_ROLE, RankingProfile, save_profile
from ecomrec.search.searcher import SearchCatalog, Searcher, SearchModels, SearchResult, SearchSettings
from ecomrec.search.tuning import SearcherRun
from ecomrec.search.understanding import QueryUnderstanding
from ecomrec.services.catalog import Catalog
from ecomrec.services.embeddings import Embeddings
from ecomrec.services.models import Models

if TYPE_CHECKING:
    from ecomrec.recommend.profile import UserProfile
    from ecomrec.search.tuning import TuneConfig, TuneProgress, TuneResult

Judgments = Mapping[str, Mapping[str, float]]  # query text -> {product id: gain}

CACHE_SIZE = 256  # results kept: a demo's worth of queries and weight settings
RUN_MEMO = 100_000  # values a tuning memo keeps (reranker scores ~100 B, hits per setting ~2 KB), then afresh
PERSONAL_WEIGHT = 0.3  # personal affinity's weight when a shopper is active: nudges, never overrules, the query


class SearchService:
    """Searches one catalog.

    Args:
        catalog, embeddings, models: the services it reads (tables, encoders and catalog embeddings, the
            active models).
        affinity: a shopper profile's affinity (N,) in [0, 1] to every product, for personal search.
        lock: the engine's lock (one searcher and its tokenizers serve every browser session).
    """

    def __init__(self, catalog: Catalog, embeddings: Embeddings, models: Models,
                 affinity: Callable[[UserProfile], np.ndarray], lock: threading.RLock) -> None:
        self.catalog = catalog
        self.embeddings = embeddings
        self.models = models
        self._affinity = affinity
        self._lock = lock
        self._cache: dict[tuple, SearchResult] = {}
        self._runs: dict[tuple, SearcherRun] = {}  # (intent, reranker versions) -> the tuner's memoised searches

    @cached_property
    def searcher(self) -> Searcher:
        """BM25 and dense indexes and per-product ranking features (built on first search)."""
        with self._lock:
            c = self.catalog
            return Searcher(SearchCatalog(c.products, c.promotions, c.clock, self.embeddings.catalog_embeddings(),
                                          c.rerank_texts(), c.brands, c.currency),
                            self.embeddings.encoder, self.embeddings.base_encoder)

    def search(self, text: str, k: int = 10, weights: dict[str, float] | None = None,
               settings: SearchSettings | None = None, ignore_slots: frozenset[str] | set[str] = frozenset(),
               user: UserProfile | None = None) -> SearchResult:
        """See :meth:`ecomrec.Engine.search`; repeated calls are answered from a small in-memory cache, and what a
        query's searches share (its understanding, hits, reranker scores) is computed once."""
        settings = settings or SearchSettings()
        models = self.models.search_models()  # a new active version: new results
        with self._lock:
            personal = None
            if user is not None and not user.is_empty:
                personal = self._affinity(user)  # (N,) in [0, 1]
                weights = {"personal": PERSONAL_WEIGHT, **(weights or {})}
            key = (text, k, tuple(sorted((weights or {}).items())), settings, frozenset(ignore_slots),
                   models.versions, models.training, None if personal is None else user.fingerprint)
            if key not in self._cache:
                if len(self._cache) >= CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))  # oldest first: insertion order
                # the memo the tuner's searches keep: a query's embedding, understanding, hits and reranker
                # scores are computed once and shared by every later search of it (moved weights, the side-by-side
                # list, another preset, a tuning run), with the same results as without it
                self._cache[key] = self.searcher.search(text, models, k, weights, settings, frozenset(ignore_slots),
                                                        personal, memo=self._run(models).memo)
            return self._cache[key]

    def understand(self, text: str) -> QueryUnderstanding:
        """Intent (active intent model; None without one), category (its head, else zero-shot from the
        catalog's category names) and slots (brand from this catalog) of a query.

        Raises:
            ValueError: for an empty or whitespace-only query.
        """
        models = self.models.search_models()
        with self._lock:
            return self.searcher.understand(text, models)

    def weights(self, intent: str | None, shopper: bool = False) -> RankingWeights:
        """The weights a search read as ``intent`` starts from (the active ranking profile's), with the
        personal component's default weight when a ``shopper`` is active."""
        w = self.models.search_models().profile.weights(intent)
        return w.with_overrides({"personal": PERSONAL_WEIGHT}) if shopper else w

    def save_weights(self, intent: str, weights: dict[str, float]) -> str:
        """Save ``weights`` (every component; unknown names raise) as where ``intent``'s searches start: a new
        ranking profile version, active at once. Returns the version."""
        profile = self.models.search_models().profile
        new = profile.with_intent(intent, RankingWeights().with_overrides(weights))
        return save_profile(self.models.registry, new, f"weights of {intent!r} saved on the Search page",
                            self.catalog.fingerprint)

    # ---- tuning the ranking profile on a shop's judgments ----
    def tune(self, judgments_val: Judgments, config: TuneConfig | None = None,
             progress: Callable[[TuneProgress], None] | None = None,
             cancel: Callable[[], bool] | None = None, judgments_train: Judgments | None = None) -> TuneResult:
        """Choose a ranking profile by NDCG@10, starting from the active one (trial 0); nothing is saved. See
        :func:`ecomrec.search.tuning.tune`: with ``judgments_train`` the trials are scored on them and
        ``judgments_val`` chooses among the best, unless the active reranker was trained from judgments (its
        scores of its own training queries flatter it): then everything is chosen on ``judgments_val`` alone.

        Searches take the engine's lock one query at a time, so other sessions keep searching meanwhile. What
        does not depend on the profile (query understanding, retrieval per setting, reranker scores) is kept
        for the active intent model and reranker, so tuning again, or measuring test afterwards, costs little.
        """
        from ecomrec.search.tuning import TuneConfig, tune

        models = self.models.search_models()
        reranker = models.versions[1]
        if reranker and self.models.manifest("reranker", reranker).metrics.get("source") == "judgments":
            judgments_train = None
        return tune(self._run(models), judgments_val, config or TuneConfig(), models=models, progress=progress,
                    cancel=cancel, judgments_train=judgments_train or None)

    def _run(self, models: SearchModels) -> SearcherRun:
        """The memoised searches of the active intent model and reranker (made afresh when either changes)."""
        key = models.versions[:2]
        with self._lock:
            run = self._runs.get(key)
            if run is None or len(run.memo) > RUN_MEMO:
                self._runs = {key: SearcherRun(self.searcher, models, self._lock)}
            return self._runs[key]

    def save_tuned(self, result: TuneResult, test_judgments: Judgments | None = None) -> str:
        """Save ``result``'s profile as a new ranking profile version, active at once; returns the version.

        Its manifest keeps validation NDCG@10 before (the profile tuning started from) and after, what was
        tuned, and, when ``test_judgments`` are given, test NDCG@10 before and after: measured here, after the
        choice was made, for the report only.
        """
        metrics = {"val_ndcg@10_before": result.val_ndcg_active, "val_ndcg@10_after": result.val_ndcg_best,
                   "val_ndcg@10_default": result.val_ndcg_default, "val_queries": result.queries,
                   "train_queries": result.train_queries}
        if test_judgments:
            metrics.update({"test_ndcg@10_before": self.profile_ndcg(test_judgments, result.active),
                            "test_ndcg@10_after": self.profile_ndcg(test_judgments, result.profile),
                            "test_queries": len(test_judgments)})
        on = (f"tuned on {result.train_queries} training queries and chosen on {result.queries} validation queries"
              if result.train_queries else f"tuned on {result.queries} validation queries")
        why = (f"{on} ({', '.join(result.tuned) or 'nothing'}): validation NDCG@10 {result.val_ndcg_active:.4f} -> "
               f"{result.val_ndcg_best:.4f}")
        return save_profile(self.models.registry, result.profile, why, self.catalog.fingerprint, metrics,
                            result.summary())

    def profile_ndcg(self, judgments: Judgments, profile: RankingProfile | None = None) -> float:
        """Mean NDCG@10 of the full search with ``profile`` (default: the active one) over ``judgments``."""
        from ecomrec.evaluation.ranking import ranking_metrics

        models = self.models.search_models()
        run = self._run(models)
        profile = models.profile if profile is None else profile
        run.prefetch(list(judgments), profile)
        return ranking_metrics({q: run(q, profile) for q in judgments}, judgments)["ndcg@10"]

    def profiles(self) -> list[dict]:
        """Every ranking profile version, oldest first: ``version``, ``created``, ``active``, ``why``,
        ``metrics`` (a tuned one's validation and test NDCG@10 before and after), ``tuned`` (what and how) and
        ``settings``."""
        active = self.models.active(PROFILE_ROLE)
        return [{"version": m.version, "created": m.created, "active": m.version == active,
                 "why": m.hyperparameters.get("why", ""), "metrics": dict(m.metrics),
                 "tuned": m.hyperparameters.get("tuned"), "settings": m.hyperparameters.get("settings")}
                for m in self.models.versions(PROFILE_ROLE)]

    def activate_profile(self, version: str) -> None:
        """Make ranking profile ``version`` the active one (rollback: an older version); searches read it from
        the next call (the result cache is keyed by the active versions)."""
        self.models.activate(PROFILE_ROLE, version)
