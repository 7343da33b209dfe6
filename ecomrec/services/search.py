"""The search service: understanding, retrieval and ranking of one catalog with the active models, a
small result cache, and the ranking profile each intent's searches start from."""
from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ecomrec.ranking import RankingWeights
from ecomrec.search.ranking_profile import save_profile
from ecomrec.search.searcher import SearchCatalog, Searcher, SearchResult, SearchSettings
from ecomrec.search.understanding import QueryUnderstanding
from ecomrec.services.catalog import Catalog
from ecomrec.services.embeddings import Embeddings
from ecomrec.services.models import Models

if TYPE_CHECKING:
    from ecomrec.recommend.profile import UserProfile

CACHE_SIZE = 256  # results kept: a demo's worth of queries and weight settings
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

    @cached_property
    def searcher(self) -> Searcher:
        """BM25 and dense indexes and per-product ranking features (built on first search)."""
        with self._lock:
            c = self.catalog
            return Searcher(SearchCatalog(c.products, c.promotions, c.clock, self.embeddings.catalog_embeddings(),
                                          c.rerank_texts(), c.brands),
                            self.embeddings.encoder, self.embeddings.base_encoder)

    def search(self, text: str, k: int = 10, weights: dict[str, float] | None = None,
               settings: SearchSettings | None = None, ignore_slots: frozenset[str] | set[str] = frozenset(),
               user: UserProfile | None = None) -> SearchResult:
        """See :meth:`ecomrec.Engine.search`; repeated calls are answered from a small in-memory cache."""
        settings = settings or SearchSettings()
        models = self.models.search_models()  # a new active version: new results
        with self._lock:
            personal = None
            if user is not None and not user.is_empty:
                personal = self._affinity(user)  # (N,) in [0, 1]
                weights = {"personal": PERSONAL_WEIGHT, **(weights or {})}
            key = (text, k, tuple(sorted((weights or {}).items())), settings, frozenset(ignore_slots),
                   models.versions, None if personal is None else user.fingerprint)
            if key not in self._cache:
                if len(self._cache) >= CACHE_SIZE:
                    self._cache.pop(next(iter(self._cache)))  # oldest first: insertion order
                self._cache[key] = self.searcher.search(text, models, k, weights, settings, frozenset(ignore_slots),
                                                        personal)
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
