"""The facade and composition root: every page, CLI command, benchmark and test goes through :class:`Engine`.

The engine builds a few small services, hands each only what it uses, and holds them::

    engine.catalog     products, events, promotions, queries; one product, a filtered list  (services/catalog.py)
    engine.embeddings  encoders, catalog embeddings, nearest products, the catalog map      (services/embeddings.py)
    engine.models      registry, loaded versions, status, train, activate                   (services/models.py)
    engine.searches    understanding + retrieval + ranking, the ranking profile             (services/search.py)
    engine.recs        browse, cart and promotion lists, shopper profiles, the simulator    (services/recs.py)
    engine.labels      annotation store, queue, review, label sets, suggestions, grades     (services/labels.py)
    engine.relevance   judgment lists (imported, people's grades, clicks), their query splits (services/relevance.py)

    >>> from ecomrec import Engine
    >>> engine = Engine.load("sample_data")
    >>> engine.search("cheap tent under $150").items[0].title
"""
from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd

from ecomrec import schema as S
from ecomrec.config import ONNX_RUNTIMES, Config
from ecomrec.data.loaders import Dataset, empty, load_dataset
from ecomrec.models.registry import Registry
from ecomrec.recommend.profile import UserProfile
from ecomrec.recommend.recommender import Recommendations
from ecomrec.search.ranking_profile import PROFILE_ROLE, RankingProfile, save_profile
from ecomrec.search.searcher import SearchResult, SearchSettings
from ecomrec.services.catalog import Catalog
from ecomrec.services.embeddings import Embeddings
from ecomrec.services.labels import Labels
from ecomrec.services.models import Models
from ecomrec.services.recs import Recs
from ecomrec.services.relevance import Relevance
from ecomrec.services.search import SearchService
from ecomrec.simulate import ShopSimulator
from ecomrec.trainers import TrainingInputs


class Engine:
    """One data set and the services over it.

    Build with :meth:`load` (a data set folder) or :meth:`from_frames` (data frames in memory). Nothing
    heavy happens here: the encoder loads on first use, catalog embeddings come from the disk cache when
    present, indexes are built on the first search. One engine serves every browser session: its services
    share one lock (models' tokenizers are not safe to call from two threads at once; a search takes
    ~0.1 s, so serialising them costs a demo nothing).

    Args:
        encoder: an already loaded :class:`~ecomrec.models.encoder.Encoder` (engines over several data sets
            then share one model in memory).
    """

    def __init__(self, data: Dataset, config: Config | None = None, encoder=None) -> None:
        self.config = config or Config()
        lock = threading.RLock()
        cfg = self.config
        self.catalog = Catalog(data, cfg.description_chars)
        registry = Registry.for_dataset(data.name, cfg.registry_dir)
        self.models = Models(registry, self.catalog, cfg.encoder.device, cfg.runtime,
                             self._training_inputs, lock)
        fine_tuned = registry.path("biencoder") if registry.active("biencoder") else None
        self.embeddings = Embeddings(self.catalog, cfg.encoder, fine_tuned, cfg.cache_dir, cfg.map_points, cfg.seed,
                                     lock, encoder, onnx=cfg.runtime in ONNX_RUNTIMES)
        self.recs = Recs(self.catalog, self.embeddings, self.models, cfg.seed, lock)
        self.searches = SearchService(self.catalog, self.embeddings, self.models, self.recs.affinity, lock)
        self.labels = Labels(Path(cfg.annotation_dir) / f"{data.name}.sqlite", self.catalog, self.models,
                             self.embeddings, self._ranked, lock, seed=cfg.seed)
        self.relevance = Relevance(self.catalog, Path(cfg.annotation_dir) / "judgments" / data.name,
                                   self.labels.graded_pairs, lambda: self.searches.searcher,
                                   self.models.search_models, registry, lock)
        if registry.active(PROFILE_ROLE) is None and self.labels.path.exists():
            self._carry_over_saved_weights()

    # ---- construction ----
    @classmethod
    def load(cls, path: str | Path, config: Config | None = None, encoder=None) -> Engine:
        """Load and validate the data set folder at ``path``."""
        return cls(load_dataset(path), config, encoder)

    @classmethod
    def from_frames(cls, products: pd.DataFrame, events: pd.DataFrame | None = None,
                    queries: pd.DataFrame | None = None, queries_test: pd.DataFrame | None = None,
                    promotions: pd.DataFrame | None = None, config: Config | None = None,
                    name: str = "in-memory", queries_val: pd.DataFrame | None = None, encoder=None) -> Engine:
        """Build from frames; each is validated against its contract first."""

        def check(df: pd.DataFrame | None, kind: S.Kind, label: str) -> pd.DataFrame:
            return empty(kind) if df is None else S.validate(df, kind, file=label)

        data = Dataset(products=check(products, "products", "products"),
                       queries=check(queries, "queries", "queries"),
                       queries_test=check(queries_test, "queries", "queries_test"),
                       events=check(events, "events", "events"),
                       promotions=check(promotions, "promotions", "promotions"),
                       queries_val=check(queries_val, "queries", "queries_val"), name=name)
        return cls(data, config, encoder)

    # ---- the one-liners ----
    def search(self, text: str, k: int = 10, weights: dict[str, float] | None = None,
               settings: SearchSettings | None = None, ignore_slots: frozenset[str] | set[str] = frozenset(),
               user: UserProfile | None = None) -> SearchResult:
        """Ranked products for a query, with its intent, and every component behind each score.

        Args:
            weights: ranking weight overrides on top of the intent's defaults (``ranking.RankingWeights``).
            settings: a :class:`~ecomrec.search.searcher.SearchSettings` (preset, fusion, depths).
            ignore_slots: slots parsed from the text that the user removed (e.g. ``{"price_max"}``).
            user: the active shopper's profile (from :meth:`profile`): adds the ``personal`` component,
                weighted ``services.search.PERSONAL_WEIGHT`` unless ``weights`` says otherwise. None or an
                empty profile: no personalisation.

        Raises:
            ValueError: for an empty query or an unknown weight, preset or fusion.
        """
        return self.searches.search(text, k, weights, settings, ignore_slots, user)

    def warm(self) -> bool:
        """Do now what a person's first search would otherwise wait for (loading the encoder and the active models,
        reading the catalog embeddings, building the indexes) by running one search for the data set's first
        example query. Nothing when the catalog is not encoded yet: the page that needs it encodes it, with
        progress. Returns whether it warmed."""
        if self.catalog.products.empty or not self.embeddings.on_disk():
            return False
        examples = self.catalog.example_queries()
        self.search(examples[0] if examples else str(self.catalog.products[S.TITLE].iloc[0]))
        return True

    def recommend(self, history: pd.DataFrame, cart: list[str] | tuple[str, ...] = (), kind: str = "browse",
                  k: int = 10, now: pd.Timestamp | None = None, query_category: str | None = None) -> Recommendations:
        """Recommendations for one shopper; see :meth:`ecomrec.recommend.recommender.Recommender.recommend`.

        Args:
            history: the shopper's events (schema "events" columns; user and session ids may be anything).
            cart: product ids in the cart now.
            kind: "browse", "cart" or "promo".

        Raises:
            ecomrec.schema.ValidationError: naming the bad row and column of ``history``.
        """
        return self.recs.recommend(history, cart, kind, k, now, query_category)

    def profile(self, history: pd.DataFrame, now: pd.Timestamp | None = None) -> UserProfile:
        """A shopper's profile from their ``history`` (schema events) as of ``now`` (default: the data set's clock)."""
        return self.recs.profile(history, now)

    def simulator(self, seed: int | None = None) -> ShopSimulator:
        """Personas and sessions over this catalog; simulated shoppers search with :meth:`search`, the real engine."""
        def search(text: str, k: int) -> list[str]:
            return [it.product_id for it in self.search(text, k).items]

        c = self.catalog
        return self.recs.simulator(search, pd.concat([c.queries, c.queries_test]), seed)

    def status(self) -> dict[str, str]:
        """Data set, encoder, device and catalog embeddings, for the sidebar and the CLI."""
        return {"data set": self.catalog.name, **self.embeddings.status()}

    # ---- wiring ----
    def _carry_over_saved_weights(self) -> None:
        """Weights saved on the Search page before ranking profiles existed lived in the annotation store's
        intent labels: carry those that differ from the defaults into a first profile, once."""
        from ecomrec.annotation.labelsets import INTENT_SET
        from ecomrec.ranking import RankingWeights, default_weights

        saved = {name: RankingWeights().with_overrides(w)
                 for name, w in self.labels.store.legacy_weights(INTENT_SET).items()}
        moved = {name: w for name, w in saved.items() if w != default_weights(name)}
        if moved:
            profile = RankingProfile()
            for name, w in moved.items():
                profile = profile.with_intent(name, w)
            save_profile(self.models.registry, profile, "weights carried over from the annotation store",
                         self.catalog.fingerprint)

    def _ranked(self, query: str, preset: str, k: int) -> list[str]:
        """Product ids of ``query`` under search ``preset``, best first (what the label service pools and measures)."""
        return [it.product_id for it in self.search(query, k, settings=SearchSettings(preset=preset)).items]

    def _training_inputs(self) -> TrainingInputs:
        """What the trainers read: the catalog's texts, the embeddings, the labels' annotations and grades."""
        c, e = self.catalog, self.embeddings
        return TrainingInputs(data=c.data, registry=self.models.registry, seed=self.config.seed,
                              encoder_config=self.config.encoder, cache_dir=self.config.cache_dir,
                              product_texts=c.product_texts, rerank_texts=c.rerank_texts,
                              catalog_embeddings=e.catalog_embeddings, base_encoder=lambda: e.base_encoder,
                              dense_retrieve=e.dense_retrieve, annotations=self.labels.intent_annotations,
                              graded_pairs=self.labels.graded_pairs)
