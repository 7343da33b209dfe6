"""The facade: every page, CLI command, benchmark and test goes through :class:`Engine`.

    >>> from ecomrec import Engine
    >>> engine = Engine.load("sample_data")
    >>> engine.product("P00001")["title"]
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.config import PACKAGED_MODEL, Config
from ecomrec.data.loaders import Dataset, empty, load_dataset
from ecomrec.search.understanding import QueryUnderstander, QueryUnderstanding

if TYPE_CHECKING:
    from ecomrec.annotation.store import Store
    from ecomrec.config import EncoderConfig
    from ecomrec.explain import TokenAttribution
    from ecomrec.models.category import CategoryHead
    from ecomrec.models.encoder import Encoder
    from ecomrec.models.intent import IntentClassifier
    from ecomrec.models.registry import Manifest, Registry
    from ecomrec.models.reranker import CrossEncoderReranker
    from ecomrec.models.sequential import SequentialRecommender
    from ecomrec.ranking import RankingWeights
    from ecomrec.recommend.profile import UserProfile
    from ecomrec.recommend.recommender import Recommendations, Recommender
    from ecomrec.search.searcher import Searcher, SearchResult
    from ecomrec.simulate import ShopSimulator
    from ecomrec.trainers import TrainingInputs

ProgressFn = Callable[[int, int], None]
SEARCH_CACHE_SIZE = 256  # results kept per engine: a demo's worth of queries and weight settings
JUDGE_POOL = ("bm25", "dense", "full")  # search settings whose top 10 are pooled for people's relevance grades
PERSONAL_WEIGHT = 0.3  # personal affinity's weight when a shopper is active: nudges, never overrules, the query


@dataclass(frozen=True)
class CatalogFilter:
    """What a shopper or PM narrows the catalog to. Empty fields do not filter."""

    text: str = ""  # case-insensitive substring of title or brand
    department: str | None = None
    category: str | None = None
    brands: tuple[str, ...] = ()
    price_min: float | None = None
    price_max: float | None = None
    min_rating: float | None = None
    sort: str = "popularity"  # "popularity", "price_low", "price_high", "rating"


class Engine:
    """Catalog, events, queries, promotions and the models over them.

    Build with :meth:`load` (a data set folder) or :meth:`from_frames` (data frames in memory).
    The encoder loads on first use; catalog embeddings come from the disk cache when present.

    Args:
        encoder: an already loaded :class:`~ecomrec.models.encoder.Encoder` to use as :attr:`encoder`
            (engines over several data sets then share one model in memory).
    """

    def __init__(self, data: Dataset, config: Config | None = None, encoder=None) -> None:
        self.data = data
        self.config = config or Config()
        if encoder is not None:
            self.__dict__["encoder"] = encoder  # fills the cached property
        self._embeddings: np.ndarray | None = None
        self.embeddings_from_cache: bool | None = None  # None until embeddings were computed
        self._index = pd.Index(data.products[S.PRODUCT_ID])
        self._models: dict[tuple[Path, str], object] = {}  # (registry folder, loader) -> loaded model
        self._text_cache: dict[int, list[str]] = {}  # description characters -> one text per product
        self._search_cache: dict[tuple, object] = {}  # (query, k, weights, settings, ignored slots) -> result
        self._recommenders: dict[str | None, object] = {}  # active sequential version -> Recommender
        self._intent_weights: dict[str, dict[str, float]] | None = None  # intent label -> saved weight overrides
        # One engine serves every browser session (st.cache_resource). Its caches, and the models'
        # tokenizers (not safe to call from two threads at once), are used under this lock; a
        # search takes ~0.1 s, so serialising them costs a demo nothing.
        self._lock = threading.RLock()

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

    # ---- products ----
    @property
    def products(self) -> pd.DataFrame:
        return self.data.products

    def product(self, product_id: str) -> dict:
        """One product as a dict, with parsed attributes.

        Raises:
            KeyError: naming the unknown id.
        """
        if product_id not in self._index:
            raise KeyError(f"unknown product id {product_id!r}")
        row = self.products.iloc[self._index.get_loc(product_id)].to_dict()
        row[S.ATTRIBUTES] = _attributes(row.get(S.ATTRIBUTES))
        return row

    def product_promotions(self, product_id: str, now: pd.Timestamp | None = None) -> pd.DataFrame:
        """Promotions covering ``product_id`` (its own or its category's), soonest first, each with a
        ``status`` at ``now`` (default: :attr:`clock`): "live" (window inclusive), "upcoming" or "ended".

        Raises:
            KeyError: naming the unknown id.
        """
        category = self.product(product_id)[S.CATEGORY]
        promos = self.data.promotions
        mine = promos[promos[S.PRODUCT_ID].eq(product_id) | promos[S.CATEGORY].eq(category)].copy()
        now = self.clock if now is None else pd.Timestamp(now)
        mine["status"] = np.where(mine[S.END] < now, "ended", np.where(mine[S.START] > now, "upcoming", "live"))
        return mine.sort_values(S.START, kind="stable")

    def browse(self, f: CatalogFilter = CatalogFilter()) -> pd.DataFrame:
        """Products matching ``f``, sorted as it asks."""
        p = self.products
        mask = pd.Series(True, index=p.index)
        if f.text.strip():
            needle = f.text.strip().lower()
            mask &= (p[S.TITLE].str.lower().str.contains(needle, regex=False)
                     | p[S.BRAND].str.lower().str.contains(needle, regex=False))
        if f.department:
            mask &= p[S.CATEGORY].map(S.department).eq(f.department)
        if f.category:
            mask &= p[S.CATEGORY].eq(f.category)
        if f.brands:
            mask &= p[S.BRAND].isin(f.brands)
        if f.price_min is not None:
            mask &= p[S.PRICE] >= f.price_min
        if f.price_max is not None:
            mask &= p[S.PRICE] <= f.price_max
        if f.min_rating is not None:
            mask &= p[S.RATING].fillna(0) >= f.min_rating
        order = {"popularity": (S.POPULARITY, False), "price_low": (S.PRICE, True),
                 "price_high": (S.PRICE, False), "rating": (S.RATING, False)}
        if f.sort not in order:
            raise ValueError(f"unknown sort {f.sort!r}; use one of {sorted(order)}")
        col, asc = order[f.sort]
        return p[mask].sort_values(col, ascending=asc, na_position="last", kind="stable")

    def departments(self) -> list[str]:
        return sorted(self.products[S.CATEGORY].map(S.department).unique())

    # ---- embeddings ----
    @cached_property
    def encoder(self) -> Encoder:  # imported lazily so data-only use never loads torch
        """The retrieval bi-encoder, loaded on first use: the active fine-tuned version from the
        registry when there is one, else the configured (by default the packaged) model."""
        from ecomrec.models.encoder import Encoder

        return Encoder(self._encoder_config())

    @cached_property
    def base_encoder(self) -> Encoder:
        """The packaged (or configured) encoder, never a fine-tuned one: what the category head reads.

        The same object as :attr:`encoder` unless a fine-tuned bi-encoder is active.
        """
        from ecomrec.models.encoder import Encoder

        if self._encoder_config() == self.config.encoder:
            return self.encoder
        return Encoder(self.config.encoder)

    def _encoder_config(self) -> EncoderConfig:
        if "encoder" in self.__dict__:  # already loaded: report what is in use
            return self.encoder.config
        cfg = self.config.encoder
        if cfg.model == PACKAGED_MODEL and self.registry.active("biencoder"):
            cfg = replace(cfg, model=str(self.registry.path("biencoder")))
        return cfg

    def product_texts(self) -> list[str]:
        """The text each product is embedded by, in catalog order (built once: the catalog never changes)."""
        return self._texts(self.config.description_chars)

    @property
    def has_embeddings(self) -> bool:
        """Whether catalog embeddings are already in memory (no encoding or disk read needed)."""
        return self._embeddings is not None

    def catalog_embeddings(self, progress: ProgressFn | None = None) -> np.ndarray:
        """Unit-normalised product embeddings (N, D), from the disk cache when up to date."""
        with self._lock:
            if self._embeddings is None:
                self._embeddings, self.embeddings_from_cache = self.encoder.encode_cached(
                    self.products[S.PRODUCT_ID].tolist(), self.product_texts(), self.config.cache_dir, progress)
            return self._embeddings

    def rerank_texts(self) -> list[str]:
        """What the cross-encoder reads of each product (title | brand | leaf category), in catalog order."""
        return self._texts(0)

    def _texts(self, description_chars: int) -> list[str]:
        # ~60 ms to build for 3.6k products: far too slow to redo inside every search
        with self._lock:
            if description_chars not in self._text_cache:
                self._text_cache[description_chars] = [S.product_text(r, description_chars)
                                                       for r in self.products.to_dict("records")]
            return self._text_cache[description_chars]

    def dense_retrieve(self, texts: list[str], k: int) -> np.ndarray:
        """Row positions (Q, k) of each text's ``k`` nearest products by embedding cosine, best first."""
        from ecomrec.evaluation import top_k

        return top_k(self.encoder.encode(texts) @ self.catalog_embeddings().T, k)  # scores (Q, N)

    def similar_products(self, product_id: str, k: int = 5) -> pd.DataFrame:
        """The ``k`` products whose embeddings are closest to ``product_id``'s (cosine)."""
        self.product(product_id)  # raises a clear KeyError for unknown ids
        emb = self.catalog_embeddings()
        i = self._index.get_loc(product_id)
        sims = emb @ emb[i]  # (N,)
        sims[i] = -np.inf
        top = np.argsort(-sims)[:k]
        out = self.products.iloc[top].copy()
        out["similarity"] = sims[top]
        return out

    def embedding_map(self, progress: ProgressFn | None = None) -> pd.DataFrame:
        """A 2-D t-SNE map of the catalog embeddings, cached on disk beside them.

        Catalogs over ``config.map_points`` products are mapped through a random sample of that many
        (seeded, so the same on every start): t-SNE of all 50,000 would take minutes.

        Returns:
            the mapped products' id, title, brand, price, category and department with columns ``x``, ``y``.
        """
        emb = self.catalog_embeddings(progress)
        rows = np.arange(len(emb))
        if len(rows) > self.config.map_points:
            rng = np.random.default_rng(self.config.seed)
            rows = np.sort(rng.choice(len(emb), self.config.map_points, replace=False))
        emb = emb[rows]
        key = hashlib.sha256(emb.tobytes()).hexdigest()[:16]
        path = Path(self.config.cache_dir) / "maps" / f"tsne-{key}.npy"
        if path.exists():
            xy = np.load(path, allow_pickle=False)
        else:
            xy = _tsne(emb, self.config.seed)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}.npy")
            np.save(tmp, xy, allow_pickle=False)
            os.replace(tmp, path)
        p = self.products.iloc[rows]
        return pd.DataFrame({S.PRODUCT_ID: p[S.PRODUCT_ID], S.TITLE: p[S.TITLE], S.BRAND: p[S.BRAND],
                             S.PRICE: p[S.PRICE], S.CATEGORY: p[S.CATEGORY],
                             "department": p[S.CATEGORY].map(S.department),
                             "x": xy[:, 0], "y": xy[:, 1]}).reset_index(drop=True)

    # ---- trained models ----
    @cached_property
    def registry(self) -> Registry:
        """This data set's model registry: ``config.registry_dir / <data set name>``."""
        from ecomrec.models.registry import Registry

        return Registry.for_dataset(self.data.name, self.config.registry_dir)

    def model_status(self) -> list[dict]:
        """Per trainable role: its label, the active version (None), the data set it was trained on, whether
        that data has changed since (fingerprint), why this data set cannot train it (None) and what the
        app does without it."""
        from ecomrec.models.roles import ROLES

        fingerprint, cannot = self._readiness
        out = []
        for role in ROLES.values():
            version = self.registry.active(role.name)
            m = self.registry.manifest(role.name, version) if version else None
            out.append({"role": role.name, "label": role.label, "version": version,
                        "dataset": m.dataset if m else None,
                        "stale": bool(m and m.dataset_fingerprint and m.dataset_fingerprint != fingerprint),
                        "cannot_train": cannot[role.name], "without": role.without})
        return out

    @cached_property
    def _readiness(self) -> tuple[str, dict[str, str | None]]:
        """The data's fingerprint and why it cannot train each role: the data never changes, so computed once
        per engine (the sidebar asks on every page run)."""
        from ecomrec.models.roles import ROLES

        return self.data.fingerprint(), {name: role.cannot_train(self.data) for name, role in ROLES.items()}

    def train(self, role: str, config=None, progress=None, activate: bool | None = None,
              cancel=None) -> Manifest:
        """Train a new version of ``role`` (a name in :data:`ecomrec.models.roles.ROLES`) and register it.

        Metrics are measured on the held-out test queries; choices are made on validation. The new version
        becomes active when ``activate`` is True, or when it is None and no version is active yet (the
        bi-encoder only when it beats the packaged model).

        Args:
            config: the role's config dataclass (default: its defaults with this engine's seed).
            progress: called with a :class:`~ecomrec.models.training.TrainProgress` after every step.
            cancel: returns True to stop; raises :class:`~ecomrec.models.training.TrainingCancelled`.

        Returns:
            The new version's :class:`~ecomrec.models.registry.Manifest`.

        Raises:
            ValueError: for an unknown role, or naming what this data set lacks to train it.
        """
        from ecomrec.models.roles import ROLES

        if role not in ROLES:
            raise ValueError(f"unknown model role {role!r}; trainable: {list(ROLES)}")
        return ROLES[role].train(self.training_inputs(), config, progress, activate, cancel)

    def training_inputs(self) -> TrainingInputs:
        """What the trainers read of this engine: data, registry, catalog texts, embeddings and encoders."""
        from ecomrec.trainers import TrainingInputs

        return TrainingInputs(data=self.data, registry=self.registry, seed=self.config.seed,
                              encoder_config=self.config.encoder, cache_dir=self.config.cache_dir,
                              product_texts=self.product_texts, rerank_texts=self.rerank_texts,
                              catalog_embeddings=self.catalog_embeddings, base_encoder=lambda: self.base_encoder,
                              dense_retrieve=self.dense_retrieve, annotations=self.intent_annotations,
                              graded_pairs=self.graded_pairs)

    def graded_pairs(self) -> pd.DataFrame:
        """People's relevance grades (query, product_id, gain: the mean over graders), from the Annotate page."""
        from ecomrec.data.qrels import people_judgments

        judged = people_judgments(self.annotations.judgments(), keep_unjudgeable=True)
        return pd.DataFrame([(q, pid, g) for q, d in judged.items() for pid, g in d.items()],
                            columns=["query", "product_id", "gain"])

    def intent_annotations(self) -> pd.DataFrame:
        """Resolved labels (text, label) of the shopping-intent label set: what annotators added."""
        from ecomrec.annotation.exchange import resolved_labels
        from ecomrec.annotation.labelsets import INTENT_SET

        return resolved_labels(self.annotations, INTENT_SET)[["text", "label"]]

    def intent_classifier(self, version: str | None = None) -> IntentClassifier:
        """The intent classifier of ``version`` (default: the active one), loaded once per version."""
        from ecomrec.models.intent import IntentClassifier

        return self._trained("intent", version, IntentClassifier.load)

    def category_head(self, version: str | None = None) -> CategoryHead | None:
        """The category head saved with intent ``version`` (default: active); None when it has none."""
        from ecomrec.models.category import CategoryHead

        return self._trained("intent", version, lambda folder, device: CategoryHead.load(folder), quantize=False)

    def reranker(self, version: str | None = None) -> CrossEncoderReranker:
        """The cross-encoder reranker of ``version`` (default: the active one), loaded once per version."""
        from ecomrec.models.reranker import CrossEncoderReranker

        return self._trained("reranker", version, CrossEncoderReranker.load)

    def sequential_model(self, version: str | None = None) -> SequentialRecommender:
        """The sequential recommender of ``version`` (default: the active one), loaded once per version."""
        from ecomrec.models.sequential import SequentialRecommender

        return self._trained("sequential", version, SequentialRecommender.load, quantize=False)  # small already

    def _trained(self, role: str, version: str | None, load: Callable, quantize: bool = True):
        """A registry model, loaded once per (folder, loader); int8 when ``config.int8_inference``."""
        folder = self.registry.path(role, version)
        key = (folder, load.__qualname__)
        with self._lock:
            if key not in self._models:
                model = load(folder, self.config.encoder.device)
                self._models[key] = model.quantized() if quantize and self.config.int8_inference else model
            return self._models[key]

    def explain_intent(self, text: str, label: str | None = None) -> tuple[str, list[TokenAttribution]]:
        """Which words of ``text`` drove the active intent model to ``label`` (default: its prediction).

        Returns:
            (the label explained, one attribution per word); see :func:`ecomrec.explain.intent_attributions`.

        Raises:
            KeyError: when no intent model is active (the message says how to train one).
        """
        from ecomrec.explain import intent_attributions

        with self._lock:
            return intent_attributions(self.intent_classifier(), text, label)

    def activate(self, role: str, version: str) -> None:
        """Make ``version`` of ``role`` the active one; searches and recommendations use it from the next call."""
        self.registry.activate(role, version)

    def intent_test_predictions(self, version: str | None = None) -> pd.DataFrame:
        """Held-out test queries with true and predicted intent for ``version`` (default: active)."""
        test = self.data.queries_test.dropna(subset=[S.INTENT])
        pred = [p.label for p in self.intent_classifier(version).predict(test[S.TEXT].tolist())]
        return pd.DataFrame({S.TEXT: test[S.TEXT].to_numpy(), "true": test[S.INTENT].to_numpy(), "pred": pred})

    def understand(self, text: str, base_embedding: np.ndarray | None = None) -> QueryUnderstanding:
        """Intent (active intent model; None without one), category (its head, else zero-shot from the
        catalog's category names) and slots (brand from this catalog) of a query.

        Args:
            base_embedding: the query's embedding by :attr:`base_encoder`, when the caller has it already.

        Raises:
            ValueError: for an empty or whitespace-only query.
        """
        with self._lock:
            return self._understander.understand(text, base_embedding)

    @cached_property
    def _understander(self) -> QueryUnderstander:
        return QueryUnderstander(self._intent_model,
                                 lambda: self._active("intent", self.category_head),
                                 lambda: self.base_encoder, self.brands, self.products[S.CATEGORY].unique())

    # ---- annotation ----
    @cached_property
    def annotations(self) -> Store:
        """This data set's annotation store (``config.annotation_dir / <data set>.sqlite``), with the
        shopping-intent label set in it (plus any intent label the data set's queries use)."""
        from ecomrec.annotation.labelsets import ensure_intent_set
        from ecomrec.annotation.store import Store

        store = Store(Path(self.config.annotation_dir) / f"{self.data.name}.sqlite")
        ensure_intent_set(store, self.data.queries[S.INTENT].dropna().unique())
        return store

    def suggest(self, set_name: str, texts: list[str]) -> tuple[str, list[tuple[str, float, float]]]:
        """What a model would answer for each text in label set ``set_name``.

        The active intent model (or category head) when its labels are exactly the set's; otherwise
        zero-shot from the labels' names, descriptions and examples with the base encoder.

        Returns:
            (model name: a registry version or "zero-shot", (label, probability, uncertainty) per text).
        """
        from ecomrec.annotation import suggest as G

        labels = self.annotations.labels(set_name)
        names = [lab.name for lab in labels]
        task = self.annotations.label_sets().set_index("name").loc[set_name, "task"]
        version = self.registry.active("intent")
        with self._lock:
            clf = self._intent_model()
            if clf is not None and task == "intent" and sorted(clf.labels) == sorted(names):
                return version, G.top_with_margin(clf.predict_proba(texts), clf.labels)
            emb = self.base_encoder.encode(texts)
            head = self.category_head() if version and task == "category" else None
            if head is not None and sorted(head.labels) == sorted(names):
                return f"{version} (category head)", G.top_with_margin(head.predict_proba(emb), head.labels)
            label_emb = self.base_encoder.encode([G.label_text(lab) for lab in labels])
            return G.ZERO_SHOT, G.top_with_margin(G.zero_shot_probabilities(emb, label_emb), names)

    def refresh_suggestions(self, set_name: str) -> str:
        """Suggest a label for every record of the store in ``set_name`` (replacing older suggestions).
        Returns the model name used."""
        records = self.annotations.records()
        if records.empty:
            return ""
        model, answers = self.suggest(set_name, records["text"].tolist())
        self.annotations.set_suggestions(set_name, model, [(rid, *a) for rid, a in zip(records["id"], answers)])
        return model

    def pool_for_judging(self, query: str, depth: int = 10) -> int:
        """Pool the top ``depth`` products of BM25, dense and the full ranking for ``query`` as (query,
        product) pairs for people to grade (as TREC and Quepid pool). Returns how many pairs were new."""
        from ecomrec.search.searcher import SearchSettings

        pooled = {preset: [i.product_id for i in
                           self.search(query, depth, settings=SearchSettings(preset=preset)).items]
                  for preset in JUDGE_POOL}
        return self.annotations.add_pairs(query, pooled)

    def people_search_metrics(self) -> dict[str, dict[str, float]]:
        """NDCG@10, MRR and Recall@50 of every search preset on the queries whose pooled pairs people have all
        graded (Annotate page); empty when there are none. Beside the click-derived judgments, a second and
        better source."""
        from ecomrec.data.qrels import people_judgments
        from ecomrec.evaluation import ranking_metrics
        from ecomrec.search.searcher import PRESETS, SearchSettings

        grades = self.annotations.judgments()
        judged = people_judgments(grades[grades["query"].isin(self.annotations.fully_graded_queries())])
        if not judged:
            return {}
        out = {}
        for preset in PRESETS:
            runs = {q: [i.product_id for i in self.search(q, 50, settings=SearchSettings(preset=preset)).items]
                    for q in judged}
            out[preset] = {**ranking_metrics(runs, judged), "queries": len(judged)}
        return out

    def _intent_model(self) -> IntentClassifier | None:
        """The active intent classifier, or None when none is active or the active version holds only a
        category head (a data set whose queries carry categories but no intents)."""
        from ecomrec.models.intent import IntentClassifier

        version = self.registry.active("intent")
        if version is None or not IntentClassifier.saved_in(self.registry.path("intent", version)):
            return None
        return self.intent_classifier()

    def _active(self, role: str, provider: Callable):
        """``provider()`` (the active model of ``role``), or None when none is active."""
        return provider() if self.registry.active(role) else None

    # ---- search ----
    @cached_property
    def clock(self) -> pd.Timestamp:
        """The data set's "now": its latest event (so its promotions are live), else the wall clock."""
        ts = self.data.events[S.TIMESTAMP]
        return pd.Timestamp(ts.max()) if len(ts) else pd.Timestamp.now().floor("s")

    @cached_property
    def searcher(self) -> Searcher:
        """BM25 and dense indexes and per-product ranking features (built on first search)."""
        from ecomrec.search.searcher import Searcher

        return Searcher(self.products, self.data.promotions, self.clock, self.catalog_embeddings(), self.encoder,
                        self._understander.understand, self.base_encoder is self.encoder,
                        lambda: self._active("reranker", self.reranker), self.rerank_texts(), self.intent_weights)

    def intent_weights(self, intent: str | None) -> RankingWeights:
        """The ranking weights a search with ``intent`` starts from: the intent label's saved weights in the
        shopping-intent label set (today's defaults for the 8 intents, neutral for a new label)."""
        from ecomrec.ranking import RankingWeights, default_weights

        with self._lock:
            if self._intent_weights is None:
                from ecomrec.annotation.labelsets import INTENT_SET

                self._intent_weights = {lab.name: lab.weights for lab in self.annotations.labels(INTENT_SET)}
            if intent not in self._intent_weights:
                return default_weights(intent)
            return RankingWeights().with_overrides(self._intent_weights[intent])

    def save_intent_weights(self, intent: str, weights: dict[str, float]) -> None:
        """Save ``weights`` (every component) as the intent label's defaults; searches use them at once."""
        from ecomrec.annotation.labelsets import INTENT_SET, weight_overrides
        from ecomrec.ranking import RankingWeights

        self.annotations.update_label(INTENT_SET, intent,
                                      weights=weight_overrides(RankingWeights().with_overrides(weights)))
        with self._lock:
            self._intent_weights = None
            self._search_cache.clear()

    def search(self, text: str, k: int = 10, weights: dict[str, float] | None = None, settings=None,
               ignore_slots: frozenset[str] | set[str] = frozenset(), user=None) -> SearchResult:
        """Ranked products for a query, with its intent, and every component behind each score.

        Args:
            weights: ranking weight overrides on top of the intent's defaults (``ranking.RankingWeights``).
            settings: a :class:`~ecomrec.search.searcher.SearchSettings` (preset, fusion, depths).
            ignore_slots: slots parsed from the text that the user removed (e.g. ``{"price_max"}``).
            user: the active shopper's :class:`~ecomrec.recommend.profile.UserProfile` (from
                :meth:`profile`): adds the ``personal`` component, weighted ``PERSONAL_WEIGHT`` unless
                ``weights`` says otherwise. None or an empty profile: no personalisation.

        Raises:
            ValueError: for an empty query or an unknown weight, preset or fusion.

        Repeated calls with the same arguments are answered from a small in-memory cache.
        """
        from ecomrec.search.searcher import SearchSettings

        settings = settings or SearchSettings()
        models = (self.registry.active("intent"), self.registry.active("reranker"))  # a new version: new results
        with self._lock:
            personal = None
            if user is not None and not user.is_empty:
                personal = self.recommender.affinity(user)  # (N,) in [0, 1]
                weights = {"personal": PERSONAL_WEIGHT, **(weights or {})}
            key = (text, k, tuple(sorted((weights or {}).items())), settings, frozenset(ignore_slots), models,
                   None if personal is None else user.fingerprint)
            if key not in self._search_cache:
                if len(self._search_cache) >= SEARCH_CACHE_SIZE:
                    self._search_cache.pop(next(iter(self._search_cache)))  # oldest first: insertion order
                self._search_cache[key] = self.searcher.search(text, k, weights, settings, frozenset(ignore_slots),
                                                               personal)
            return self._search_cache[key]

    # ---- recommendations ----
    @property
    def recommender(self) -> Recommender:
        """Browse, cart and promotion recommenders over this data set, with the active sequential model."""
        version = self.registry.active("sequential")
        with self._lock:
            return self._recommender(version)

    def _recommender(self, version: str | None) -> Recommender:
        from ecomrec.recommend.browse import BlendWeights, load_blend
        from ecomrec.recommend.complements import load_cart_config
        from ecomrec.recommend.recommender import Recommender

        if version not in self._recommenders:
            model = self.sequential_model(version) if version else None
            folder = self.registry.path("sequential", version) if version else None
            blend = load_blend(folder) if version else BlendWeights()
            self._recommenders[version] = Recommender(self.products, self.data.events, self.data.promotions,
                                                      self.clock, self.catalog_embeddings(), model, blend,
                                                      load_cart_config(folder))
        return self._recommenders[version]

    def simulator(self, seed: int | None = None) -> ShopSimulator:
        """Personas and sessions over this catalog; shoppers search with :meth:`search`, the real engine.

        Which categories go together comes from this data set's baskets (category lift), so it
        works for imported data too.
        """
        from ecomrec.simulate import ShopSimulator

        complements = self.recommender.complements.complementary_categories()

        def search(text: str, k: int) -> list[int]:
            items = self.search(text, k).items
            return [self._index.get_loc(it.product_id) for it in items]

        appeal = 1.0 + self.products[S.POPULARITY].fillna(0).to_numpy(dtype=float)
        return ShopSimulator(self.products, search, pd.concat([self.data.queries, self.data.queries_test]),
                             complements, appeal,
                             np.random.default_rng(self.config.seed if seed is None else seed))

    def timeline_events(self, table: pd.DataFrame, user: str, session: str) -> pd.DataFrame:
        """A shopper's events from an edited timeline (columns ``time``, ``event``, ``product_id``).

        Raises:
            ecomrec.schema.ValidationError: naming each bad row and column (unknown product id, missing time
                or event); nothing is applied.
        """
        from ecomrec.recommend.history import timeline_events

        return timeline_events(table, self._index, user, session)

    def profile(self, history: pd.DataFrame, now: pd.Timestamp | None = None) -> UserProfile:
        """A shopper's profile from their ``history`` (schema events) as of ``now`` (default: :attr:`clock`)."""
        history = _validated_history(history)
        with self._lock:
            return self.recommender.profile(history, now)

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
        history = _validated_history(history)
        with self._lock:
            return self.recommender.recommend(history, cart, kind, k, now, query_category)

    @cached_property
    def brands(self) -> list[str]:
        """The catalog's brand names."""
        return sorted(set(self.products[S.BRAND]) - {""})

    # ---- status ----
    def status(self) -> dict[str, str]:
        """Data set, model and device, for the sidebar and the CLI."""
        from ecomrec.models.encoder import pick_device, resolve_model_path

        cached = "not built"
        if self._embeddings is not None:
            cached = "loaded from cache" if self.embeddings_from_cache else "computed this session"
        model = self._encoder_config().model
        return {"data set": self.data.name, "encoder": model, "encoder path": resolve_model_path(model),
                "device": pick_device(self.config.encoder.device), "catalog embeddings": cached}


def _validated_history(history: pd.DataFrame) -> pd.DataFrame:
    return S.validate(history, "events", file="shopper history") if len(history) else empty("events")


def _attributes(raw: object) -> dict[str, str]:
    if isinstance(raw, str) and raw.strip():
        return {str(k): str(v) for k, v in json.loads(raw).items()}
    return {}


def _tsne(emb: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    n = len(emb)
    if n < 5:  # t-SNE needs more points than its perplexity; a line is honest for tiny catalogs
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    reduced = PCA(n_components=min(50, n - 1, emb.shape[1]), random_state=seed).fit_transform(emb)
    perplexity = float(min(30, max(2, (n - 1) // 3)))
    return TSNE(2, init="pca", perplexity=perplexity, random_state=seed, max_iter=500).fit_transform(reduced)
