"""The search pipeline: understand -> retrieve (BM25 + dense) -> fuse -> filter by slots -> rerank -> rank.

:class:`Searcher` holds what is built once per catalog (indexes, per-product features, active
promotions at the data set's clock); :meth:`Searcher.search` runs one query. Presets switch parts off
so the same code measures BM25 alone, dense alone, hybrid, hybrid + rerank and the full ranking.

The ranking profile (``SearchModels.profile``) supplies every parameter: BM25 fields, k1 and b (one
lexical index per combination, built on first use and kept), fusion, the dense similarity floor,
candidates per retriever, rerank depth and the weights. :class:`SearchSettings` is per call: its
preset switches parts off, and a fusion, candidates or rerank depth given there wins over the profile's
for that call (None: the profile's). A :class:`SearchMemo` handed to :meth:`Searcher.search` keeps what
tuned settings do not change (query embedding, understanding, each retriever's hits per setting,
reranker scores per product), so the ranking profile's tuner can search the same queries many times
cheaply with exactly the code every search runs.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.explain import reasons_for
from ecomrec.ranking import COMPONENTS, RankingWeights, rank, rank_changes
from ecomrec.recommend.profile import price_quantiles
from ecomrec.recommend.promotions import promoted_products
from ecomrec.search.help import HELP_CENTRE, HelpArticle
from ecomrec.search.ranking_profile import BM25_FIELDS, FUSIONS, ProfileSettings, RankingProfile
from ecomrec.search.retrieval import (
    DenseIndex,
    Hits,
    LexicalIndex,
    reciprocal_rank_fusion,
    tokenize_corpus,
    weighted_fusion,
)
from ecomrec.search.slots import keeps_slots, slot_texts
from ecomrec.search.understanding import CATEGORY_HEAD, QueryUnderstander, QueryUnderstanding

MIN_SIMILARITY = ProfileSettings().min_similarity  # the default floor; the ranking profile holds the one in force
MAX_QUERY_CHARS = 300  # longer text is cut: no shopper types more, and the models read 32-128 pieces
SLOT_NAMES = ("price_min", "price_max", "brand", "colour", "size")
LEXICAL_INDEXES = 8  # BM25 indexes kept per searcher (fields, k1, b): a tuner tries many; ~5 MB each per 10k products
TOKENIZED_FIELDS = 2  # tokenized texts kept (per field selection): ~20 MB of Python ints each per 10k products

PRESETS: dict[str, tuple[str, bool, tuple[str, ...] | None]] = {
    # name -> (retrieval, rerank, components kept; None = every component with the intent's weights)
    "bm25": ("bm25", False, ("lexical",)),
    "dense": ("dense", False, ("semantic",)),
    "hybrid": ("hybrid", False, ("lexical", "semantic")),
    "hybrid_rerank": ("hybrid", True, ("lexical", "semantic", "rerank")),
    "full": ("hybrid", True, None),
}
PRESET_LABELS = {"bm25": "BM25 only", "dense": "Dense (bi-encoder) only", "hybrid": "Hybrid (BM25 + dense)",
                 "hybrid_rerank": "Hybrid + cross-encoder rerank", "full": "Full: hybrid + rerank + all signals"}


@dataclass(frozen=True)
class SearchSettings:
    """How one call searches; hashable, so results can be cached per setting.

    The preset switches parts off (BM25 only, no rerank, ...). ``fusion``, ``candidates`` and
    ``rerank_depth`` given here win for this call; None takes the ranking profile's
    (:class:`~ecomrec.search.ranking_profile.ProfileSettings`: "rrf", 100 and 30 unless tuned), as does
    everything else (BM25 fields, k1, b, the RRF constant, weighted fusion's alpha, the dense floor).
    ``SearchResult.settings`` holds the values in force.
    """

    preset: str = "full"
    fusion: str | None = None  # "rrf", "weighted", "dense" or "bm25": how the candidate pool is formed
    candidates: int | None = None  # per retriever
    rerank_depth: int | None = None  # pool size: every pooled product is reranked and scored
    use_slots: bool = True  # price bounds filter; brand and colour become components

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"unknown search preset {self.preset!r}; use one of {list(PRESETS)}")
        if self.fusion is not None and self.fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {self.fusion!r}; use one of {list(FUSIONS)}")
        for name in ("candidates", "rerank_depth"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")

    def resolved(self, profile: ProfileSettings) -> SearchSettings:
        """These settings with every value left None taken from the ranking ``profile``'s."""
        return replace(self, fusion=self.fusion or profile.fusion,
                       candidates=profile.candidates if self.candidates is None else self.candidates,
                       rerank_depth=profile.rerank_depth if self.rerank_depth is None else self.rerank_depth)


class SearchMemo:
    """What searches of the same queries share while only tuned settings change (one memo per searcher and
    models): query embeddings and understanding, each retriever's hits per (query, setting), reranker
    scores per (query, product). Unbounded: meant for tuning runs over a fixed set of queries.

    With ``collect`` on, the reranker is not called: missing pairs score 0 and are noted, so that
    :meth:`score_pending` scores every pair a round of searches needs in large batches across queries
    (twice the pairs per second of one query's batch on 2 CPU cores), before the round is searched again.
    """

    def __init__(self) -> None:
        self._values: dict[Hashable, object] = {}
        self._rerank: dict[tuple, float] = {}
        self._pending: dict[tuple, tuple[object, str]] = {}  # (reranker id, query, row) -> (reranker, text)
        self.collect = False
        self.rerank_pairs = 0  # pairs the reranker actually scored

    def get(self, key: Hashable, make: Callable[[], object]):
        """The value kept under ``key``, made (once) by ``make``."""
        if key not in self._values:
            self._values[key] = make()
        return self._values[key]

    def put(self, key: Hashable, value: object) -> None:
        self._values[key] = value

    def __contains__(self, key: Hashable) -> bool:
        return key in self._values

    def __len__(self) -> int:
        """Values and reranker scores kept."""
        return len(self._values) + len(self._rerank)

    def rerank(self, reranker, query: str, rows: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """Reranker logits (C,) of ``rows`` for ``query``, scoring only the pairs not kept yet (in one batch;
        while collecting, noting them and answering 0)."""
        tag = id(reranker)
        todo = [int(r) for r in dict.fromkeys(rows.tolist()) if (tag, query, int(r)) not in self._rerank]
        if todo and self.collect:
            self._pending.update({(tag, query, r): (reranker, texts[r]) for r in todo})
            return np.array([self._rerank.get((tag, query, int(r)), 0.0) for r in rows], dtype=np.float32)
        if todo:
            for r, v in zip(todo, reranker.score(query, [texts[r] for r in todo])):
                self._rerank[(tag, query, r)] = float(v)
            self.rerank_pairs += len(todo)
        return np.array([self._rerank[(tag, query, int(r))] for r in rows], dtype=np.float32)

    def pending(self) -> int:
        """Pairs noted while collecting and not scored yet."""
        return len(self._pending)

    def score_pending(self, chunk: int = 128, lock=None, stop: Callable[[], bool] | None = None) -> bool:
        """Score the noted pairs, ``chunk`` at a time (``lock`` held around each chunk); False when ``stop``
        said so between chunks (what was scored is kept)."""
        from contextlib import nullcontext

        while self._pending:
            if stop is not None and stop():
                return False
            # pairs of similar length side by side: batches pad less
            keys = sorted(self._pending, key=lambda k: len(k[1]) + len(self._pending[k][1]))[:chunk]
            reranker = self._pending[keys[0]][0]
            keys = [k for k in keys if k[0] == keys[0][0]]  # one reranker per call
            with lock or nullcontext():
                scores = reranker.score_pairs([k[1] for k in keys], [self._pending[k][1] for k in keys],
                                              batch_size=128)
            for k, v in zip(keys, scores):
                self._rerank[k] = float(v)
                self._pending.pop(k, None)
            self.rerank_pairs += len(keys)
        return True


VARIANT_DEPTH = 3  # a list is ranked this many times deeper than shown, so folding same-title variants still fills it


@dataclass(frozen=True)
class SearchItem:
    """One ranked product with every score behind its rank."""

    rank: int
    product_id: str
    title: str
    brand: str
    category: str
    price: float
    rating: float | None
    rating_count: int
    promotion: str | None  # the active promotion's title
    score: float
    components: dict[str, float]  # each already times its weight; they sum to ``score``
    reasons: list[str]
    variants: tuple[str, ...] = ()  # product ids of lower-ranked products with the same title, folded into this card


@dataclass(frozen=True)
class SearchResult:
    """What the search page shows for one query."""

    query: str
    intent: object | None  # IntentPrediction, None without an intent model
    category: str | None
    category_confidence: float | None
    category_source: str | None  # "category head" or "catalog names" (zero-shot, no trained head)
    slots: dict[str, object]  # the slots in force (after the ones the user removed)
    parsed_slots: dict[str, object]  # every slot read from the text
    weights: RankingWeights
    settings: SearchSettings
    items: list[SearchItem]
    help: list[HelpArticle] = field(default_factory=list)  # for support questions, shown before any product
    notices: list[str] = field(default_factory=list)  # what was changed about the query, and why
    suggestions: list[str] = field(default_factory=list)  # other queries to try when nothing matched
    timings_ms: dict[str, float] = field(default_factory=dict)

    def ranks(self) -> dict[str, int]:
        """Product id -> rank (1 = first), for :func:`ecomrec.ranking.rank_changes`."""
        return {it.product_id: it.rank for it in self.items}

    def moves_from(self, baseline: SearchResult) -> dict[str, int | str]:
        """Each listed product's move against ``baseline``: places gained (negative = lost) or "new"."""
        changes = rank_changes(baseline, self)
        return dict(zip(changes["product_id"], changes["change"]))

    def best_per_brand(self, n: int = 3) -> list[SearchItem]:
        """The best-ranked product of each brand, in rank order, at most ``n``: what "compare" sets side by side."""
        best: dict[str, SearchItem] = {}
        for it in self.items:
            best.setdefault(it.brand, it)
        return list(best.values())[:n]


@dataclass(frozen=True)
class SearchModels:
    """The active models a search reads, resolved once per registry change (None where none is trained).

    Attributes:
        intent: the intent classifier; None: the general ranking weights, intent unknown.
        category: the category head; None: the category is read zero-shot from the catalog's names.
        reranker: the cross-encoder; None: no rerank component.
        profile: the ranking profile (settings, weights per intent) searches start from.
        versions: the versions above, in that order: part of every cache key.
        notices: what every search should say about these models (a damaged version replaced).
        training: roles the first run trains in the background now: a search without one of them says so, instead
            of pointing at the Train page.
    """

    intent: object | None = None
    category: object | None = None
    reranker: object | None = None
    profile: RankingProfile = field(default_factory=RankingProfile)
    versions: tuple[str | None, ...] = ()
    notices: tuple[str, ...] = ()  # a damaged version replaced by its last good one (Models.usable)
    training: frozenset[str] = frozenset()  # ecomrec.first_run: being trained in the background now

    def remedy(self, role: str) -> str:
        """What a person can do about ``role`` having no model (:func:`remedy`)."""
        return remedy(role, self.training)


def remedy(role: str, training: frozenset[str]) -> str:
    """What a person can do about ``role`` having no model: wait for the background run that is ``training`` it, or
    train one."""
    return ("it is being trained in the background now: how far, in the sidebar" if role in training
            else "train one on the Train page")


@dataclass(frozen=True)
class SearchCatalog:
    """What a searcher indexes, built once per catalog.

    Attributes:
        products, promotions: the data set's tables; promotions live at ``clock`` count.
        clock: the data set's "now".
        embeddings: (N, D) unit-normalised catalog embeddings by the retrieval encoder, catalog order.
        rerank_texts: what the cross-encoder reads of each product, catalog order.
        brands: the catalog's brand names (slot parsing).
        currency: the sign its prices are written with ("$", "₹").
    """

    products: pd.DataFrame
    promotions: pd.DataFrame
    clock: pd.Timestamp
    embeddings: np.ndarray
    rerank_texts: Sequence[str]
    brands: Sequence[str]
    currency: str = "$"


class Searcher:
    """Indexes and per-product features of one catalog, built once.

    Args:
        catalog: what it indexes.
        encoder: encodes queries into the catalog's embedding space.
        base_encoder: the packaged encoder the query's category is read with (often ``encoder`` itself:
            then a query is encoded once).
    """

    def __init__(self, catalog: SearchCatalog, encoder, base_encoder) -> None:
        p = catalog.products.reset_index(drop=True)
        self.products = p
        self.encoder = encoder
        self.encoder_is_base = base_encoder is encoder
        self.understander = QueryUnderstander(base_encoder, catalog.brands, p[S.CATEGORY].unique())
        self.rerank_texts = catalog.rerank_texts
        self.ids = p[S.PRODUCT_ID].to_numpy()
        self._lexical: OrderedDict[tuple, LexicalIndex] = OrderedDict()  # (fields, k1, b) -> index, newest last
        self._tokens: OrderedDict[tuple[str, ...], object] = OrderedDict()  # fields -> tokenized texts
        self.embeddings = catalog.embeddings
        self.dense = DenseIndex(self.embeddings)
        self.category = p[S.CATEGORY].to_numpy()
        self.category_rows = p.groupby(S.CATEGORY, sort=False).indices  # category -> its catalog rows
        self.brand = p[S.BRAND].fillna("").str.lower().to_numpy()
        self.price = p[S.PRICE].to_numpy(dtype=float)
        self.rating = p[S.RATING].to_numpy(dtype=float)
        self.rating_count = p[S.RATING_COUNT].fillna(0).to_numpy(dtype=float)
        self.title_key = p[S.TITLE].str.lower().str.split().str.join(" ").to_numpy()  # variants share it
        self.colour_text, self.size_text = slot_texts(p[S.TITLE], p[S.ATTRIBUTES])
        self.cheapness = 1.0 - price_quantiles(p)  # 1 = cheapest of its kind
        self.cheaper_than = p.groupby(S.CATEGORY)[S.PRICE].rank(pct=True, ascending=False).to_numpy()
        confidence = np.minimum(1.0, np.log1p(self.rating_count) / np.log1p(200))  # 200 ratings = full trust
        self.rating_feat = np.clip((np.nan_to_num(self.rating, nan=3.0) - 3.0) / 2.0, 0, 1) * confidence
        pop = p[S.POPULARITY].fillna(0).to_numpy(dtype=float)
        self.popularity = np.log1p(pop) / np.log1p(pop.max()) if pop.max() > 0 else np.zeros(len(p))
        self.promo_discount, self.promo_text = self._promotions(catalog.promotions, p, catalog.clock)
        self.clock = catalog.clock
        self.currency = catalog.currency
        self.help_embeddings = encoder.encode([f"{a.title}. {a.body}" for a in HELP_CENTRE])

    def lexical_texts(self, fields: Sequence[str] = BM25_FIELDS) -> list[str]:
        """One text per product from ``fields`` (of title, brand, category, description), joined in that
        order by spaces; the category path's separators become spaces."""
        p = self.products
        parts = {S.TITLE: lambda: p[S.TITLE], S.BRAND: lambda: p[S.BRAND],
                 S.CATEGORY: lambda: p[S.CATEGORY].str.replace(S.CATEGORY_SEP, " "),
                 S.DESCRIPTION: lambda: p[S.DESCRIPTION].fillna("")}
        chosen = [parts[f]() for f in BM25_FIELDS if f in fields]
        words = chosen[0]
        for col in chosen[1:]:
            words = words + " " + col
        return words.tolist()

    def lexical_index(self, settings: ProfileSettings | None = None) -> LexicalIndex:
        """The BM25 index of ``settings``' fields, k1 and b (default: the default profile's): built on first
        use (~0.4 s per 10k products on 2 cores, half of it tokenizing, which indexes of the same fields share),
        then kept; the least recently used of more than :data:`LEXICAL_INDEXES` is dropped."""
        key = (settings or ProfileSettings()).lexical_key
        if key in self._lexical:
            self._lexical.move_to_end(key)
            return self._lexical[key]
        fields, k1, b = key
        if fields not in self._tokens:
            self._tokens[fields] = tokenize_corpus(self.lexical_texts(fields))
            while len(self._tokens) > TOKENIZED_FIELDS:
                self._tokens.popitem(last=False)
        self._tokens.move_to_end(fields)
        index = LexicalIndex(None, k1=k1, b=b, tokens=self._tokens[fields])
        self._lexical[key] = index
        while len(self._lexical) > LEXICAL_INDEXES:
            self._lexical.popitem(last=False)
        return index

    def prepare(self, texts: Sequence[str], models: SearchModels, memo: SearchMemo) -> None:
        """Put the embeddings and understanding of ``texts`` in ``memo`` with one encoder call and one intent
        model call for all of them (many times faster on CPU than one query at a time); what a search then
        reads from the memo equals what it would compute alone, to float rounding."""
        queries = list(dict.fromkeys(q for q in (self._clean(t)[0] for t in texts) if q and ("encode", q) not in memo))
        if not queries:
            return
        embeddings = self.encoder.encode(queries)  # (Q, D)
        intents = [None] * len(queries) if models.intent is None else \
            models.intent.predict(queries, embeddings=embeddings if self.encoder_is_base else None)
        for q, emb, intent in zip(queries, embeddings, intents):
            memo.put(("encode", q), emb)
            memo.put(("understand", q, id(models.intent), id(models.category)),
                     self.understander.understand(q, None, models.category, emb if self.encoder_is_base else None,
                                                  intent=intent))

    @staticmethod
    def _clean(text: str) -> tuple[str, list[str]]:
        """The query as searched (whitespace collapsed, cut to :data:`MAX_QUERY_CHARS`) and what was changed."""
        query = " ".join(str(text).split())  # collapse whitespace and newlines
        if len(query) > MAX_QUERY_CHARS:
            return query[:MAX_QUERY_CHARS], [f"Your query had {len(query):,} characters; only the first "
                                             f"{MAX_QUERY_CHARS} were used."]
        return query, []

    def understand(self, text: str, models: SearchModels = SearchModels(),
                   embedding: np.ndarray | None = None) -> QueryUnderstanding:
        """Intent, category and slots of ``text`` with ``models``; ``embedding`` is the query's by
        :attr:`encoder`, when the caller has it (used only when that is also the base encoder)."""
        return self.understander.understand(text, models.intent, models.category,
                                            embedding if self.encoder_is_base else None)

    @staticmethod
    def _promotions(promos: pd.DataFrame, p: pd.DataFrame, clock: pd.Timestamp) -> tuple[np.ndarray, list]:
        """Best live discount per product at ``clock``, and the promotion's words for reasons."""
        offers = promoted_products(promos, p, clock)
        discount = np.zeros(len(p))
        text: list[str | None] = [None] * len(p)
        for row, title, d, end in offers[["row", "title", "discount", "end"]].itertuples(index=False):
            discount[row], text[row] = d, f"{title} (until {pd.Timestamp(end):%d %b})"
        return discount, text

    # ---- one query ----
    def search(self, text: str, models: SearchModels = SearchModels(), k: int = 10,
               overrides: dict[str, float] | None = None, settings: SearchSettings = SearchSettings(),
               ignore_slots: frozenset[str] = frozenset(), personal: np.ndarray | None = None, *,
               memo: SearchMemo | None = None) -> SearchResult:
        """Rank products for ``text`` with ``models``; see :meth:`ecomrec.Engine.search`.

        Args:
            settings: per call; values left None come from ``models.profile.settings``.
            personal: (N,) the active shopper's affinity to every product, in [0, 1], or None.
            memo: keeps what does not depend on the ranking profile across calls (the tuner's trials);
                results are the same as without it.
        """
        def kept_in_memo(key: tuple, make: Callable[[], object]):
            return make() if memo is None else memo.get(key, make)

        t0 = time.perf_counter()
        query, notices = self._clean(text)
        notices = [*models.notices, *notices]
        if not query:
            raise ValueError("the query is empty: type a few words, e.g. 'waterproof tent'")
        profile = models.profile.settings
        settings = settings.resolved(profile)
        retrieval, use_rerank, kept = PRESETS[settings.preset]
        q_emb = kept_in_memo(("encode", query), lambda: self.encoder.encode([query])[0])  # (D,)
        u = kept_in_memo(("understand", query, id(models.intent), id(models.category)),
                         lambda: self.understand(query, models, q_emb))
        if u.intent is None:
            notices.append("No intent model is trained for this data set yet, so the general ranking weights are "
                           f"used and the category is read from the catalog's category names "
                           f"({models.remedy('intent')}).")
        intent = u.intent.label if u.intent else None
        slots = {} if not settings.use_slots else \
            {k_: v for k_, v in u.slots.as_dict().items() if k_ not in ignore_slots}
        weights = models.profile.weights(intent if kept is None else None).with_overrides(overrides)
        if kept is not None:  # a preset that measures some parts alone: everything else is off
            weights = RankingWeights(**{c: (getattr(weights, c) if c in kept else 0.0) for c in COMPONENTS})
            if settings.preset in ("bm25", "dense"):
                weights = replace(weights, **{kept[0]: 1.0})
        t1 = time.perf_counter()
        articles = []
        if intent == "support" and kept is None:  # help first; products stay below, in case the intent is wrong
            articles = [HELP_CENTRE[i] for i in np.argsort(-(self.help_embeddings @ q_emb))[:3]]
        n = settings.candidates
        bm25 = kept_in_memo(("bm25", query, profile.lexical_key, n),
                            lambda: self.lexical_index(profile).search(query, n)
                            ) if retrieval in ("bm25", "hybrid") else Hits.empty()
        dense = kept_in_memo(("dense", query, n), lambda: self.dense.search(q_emb, n)
                             ) if retrieval in ("dense", "hybrid") else Hits.empty()
        floor = dense.scores >= profile.min_similarity
        dense = Hits(dense.rows[floor], dense.scores[floor])
        fused = self._fuse(bm25, dense, settings.fusion if retrieval == "hybrid" else "rrf", profile)
        pool = np.array(sorted(fused, key=lambda r: -fused[r]), dtype=int)
        # all signals, and a category read by a model trained on the shop's labelled queries: read from the
        # catalog's names alone it is a guess, and on Flipkart's known items it cost NDCG@10 0.667 -> 0.614
        if u.category_source == CATEGORY_HEAD and kept is None:
            pool = self._with_category(pool, u.category, q_emb, round(profile.category_share * settings.rerank_depth),
                                       settings.rerank_depth, profile.min_similarity)
        pool, filter_note = self._filter(pool, slots)
        kept_slots = self.slot_mask(pool, slots) if len(pool) else None  # (C,) every size/colour/brand slot holds
        if kept_slots is not None:
            # the slots narrow the kind of product asked for (the query's category, else those of the three
            # best-fused), never swap it: "black tent" lists black tents, not black ink cartridges
            kinds = np.array([u.category]) if u.category in set(self.category[pool]) else self.category[pool[:3]]
            kept_slots &= np.isin(self.category[pool], kinds)
            order = np.argsort(~kept_slots, kind="stable")  # products that keep the slots first, then the nearest
            pool, kept_slots = pool[order], kept_slots[order]
            if kept_slots.sum() < k:
                kind = max(dict.fromkeys(kinds), key=list(kinds).count)  # the most common; a tie: the best-fused
                notices.append(self._slot_note(slots, int(kept_slots.sum()), S.leaf(kind)))
        pool = pool[:settings.rerank_depth]
        t2 = time.perf_counter()
        timings = {"understand": t1 - t0, "retrieve": t2 - t1}
        if len(pool) == 0:
            if not articles:
                notices.append(filter_note or "No product matches these words closely enough; try one of the "
                               "categories below or fewer words.")
            return self._result(query, u, slots, weights, settings, [], notices, t0, timings, help=articles,
                                suggestions=[] if articles else self._suggest(q_emb))
        reranker = models.reranker if use_rerank and weights.rerank != 0 else None
        if use_rerank and weights.rerank != 0 and reranker is None:
            notices.append("No reranker is trained for this data set yet, so products are ranked without the "
                           f"rerank component ({models.remedy('reranker')}).")
        features = self._features(pool, query, q_emb, bm25, slots, u, reranker, memo)
        if personal is not None:
            features["personal"] = personal[pool]
        t3 = time.perf_counter()
        deep = min(len(pool), VARIANT_DEPTH * k)  # ranked further than shown: folded variants leave room
        if kept_slots is None:
            ranked = rank(features, weights, self.embeddings[pool], pool, deep)
        else:  # those that keep every slot first, then the nearest of the rest
            keep = kept_slots[:len(pool)]
            ranked = [r for part in (keep, ~keep) if part.any() for r in
                      rank({c: f[part] for c, f in features.items()}, weights, self.embeddings[pool[part]],
                           pool[part], deep)]
        ranked, variants = self._fold_variants(ranked, k)
        items = [replace(self._item(i + 1, r, features, pool, u, slots), variants=variants[i])
                 for i, r in enumerate(ranked)]
        timings.update({"rerank": t3 - t2, "rank": time.perf_counter() - t3})
        return self._result(query, u, slots, weights, settings, items, notices, t0, timings, help=articles)

    def _with_category(self, pool: np.ndarray, category: str, q_emb: np.ndarray, n: int, depth: int,
                       floor: float) -> np.ndarray:
        """``pool`` holding at least ``n`` products of ``category`` in its first ``depth`` (what is reranked): the
        category's products nearest the query in meaning (at or above the dense ``floor``: gibberish brings
        none) take the places of the last others there, which move down."""
        head = pool[:depth]
        in_category = self.category[head] == category
        missing = n - int(in_category.sum())
        if missing <= 0:
            return pool
        rows = self.category_rows.get(category, np.empty(0, int))
        rows = rows[~np.isin(rows, head)]
        sims = self.embeddings[rows] @ q_emb
        nearest = np.argsort(-sims, kind="stable")[:missing]
        best = rows[nearest[sims[nearest] >= floor]]
        rest = pool[depth:][~np.isin(pool[depth:], best)]
        drop = np.sort(np.flatnonzero(~in_category)[::-1][:max(0, len(best) - (depth - len(head)))])
        kept = np.delete(head, drop)
        return np.concatenate([kept, best, head[drop], rest]).astype(int)

    @staticmethod
    def _fuse(bm25: Hits, dense: Hits, fusion: str, profile: ProfileSettings) -> dict[int, float]:
        """Row -> pool score: RRF or weighted fusion of both runs, or one run's own order ("bm25", "dense").
        A preset that retrieves with one retriever only hands the other as empty, so any fusion keeps its order."""
        if fusion in ("bm25", "dense"):
            return reciprocal_rank_fusion([bm25 if fusion == "bm25" else dense], [1.0], k=profile.rrf_k)
        if fusion == "weighted":
            return weighted_fusion([bm25, dense], profile.fusion_weights())
        return reciprocal_rank_fusion([bm25, dense], [1.0, 1.0], k=profile.rrf_k)

    def _filter(self, pool: np.ndarray, slots: dict) -> tuple[np.ndarray, str | None]:
        """Apply price bounds; returns the kept pool and, when nothing is left, why."""
        lo, hi = slots.get("price_min"), slots.get("price_max")
        if lo is None and hi is None:
            return pool, None
        keep = np.ones(len(pool), dtype=bool)
        if lo is not None:
            keep &= self.price[pool] >= lo
        if hi is not None:
            keep &= self.price[pool] <= hi
        note = None
        if len(pool) and not keep.any():
            prices = self.price[pool][~np.isnan(self.price[pool])]  # products without a price never match a bound
            sign = self.currency
            cheapest = f"the cheapest match costs {sign}{prices.min():,.2f}" if len(prices) else "no match has a price"
            note = (f"Nothing that matches is priced {f'under {sign}{hi:,.0f}' if hi is not None else ''}"
                    f"{' and ' if lo is not None and hi is not None else ''}"
                    f"{f'over {sign}{lo:,.0f}' if lo is not None else ''}; {cheapest}. "
                    "Remove the price chip to see them.")
        return pool[keep], note

    def _fold_variants(self, ranked: list, k: int) -> tuple[list, list[tuple[str, ...]]]:
        """The first ``k`` of ``ranked`` with distinct titles, and for each, the ids of the lower-ranked products
        with the same title (variants: sizes, colours, sellers) folded into its card."""
        keep, variants, at = [], [], {}
        for r in ranked:
            title = self.title_key[r.row]
            if title in at:
                variants[at[title]].append(str(self.ids[r.row]))
            elif len(keep) < k:
                at[title] = len(keep)
                keep.append(r)
                variants.append([])
        return keep, [tuple(v) for v in variants]

    def slot_mask(self, pool: np.ndarray, slots: dict) -> np.ndarray | None:
        """(len(pool),) whether each pooled product keeps every brand, colour and size slot in force; None when
        the query has none (:func:`ecomrec.search.slots.keeps_slots`)."""
        return keeps_slots(slots, self.brand[pool], self.colour_text[pool], self.size_text[pool])

    @staticmethod
    def _slot_note(slots: dict, kept: int, kind: str) -> str:
        """What the page says when fewer products keep the slots than the list shows."""
        asked = ", ".join(f"{name} {slots[name]}" for name in ("brand", "colour", "size") if slots.get(name))
        if not kept:
            return (f"None of the {kind} found has {asked}, so the nearest are shown; remove the chip to rank "
                    "without it.")
        return (f"Only {kept} of the {kind} found {'have' if kept > 1 else 'has'} {asked}: "
                f"{'they come' if kept > 1 else 'it comes'} first, then the nearest.")

    def _features(self, pool: np.ndarray, query: str, q_emb: np.ndarray, bm25: Hits, slots: dict,
                  u: QueryUnderstanding, reranker, memo: SearchMemo | None = None) -> dict[str, np.ndarray]:
        """Every component's feature in [0, 1] for the pooled candidates (C,)."""
        lex = dict(zip(bm25.rows.tolist(), bm25.scores.tolist()))
        raw = np.array([lex.get(int(r), 0.0) for r in pool])
        cat = np.zeros(len(pool))
        if u.category:  # the category itself only: crediting its department lifted accessories (laptop bags for a
            # laptop), and on the sample's validation queries NDCG@10 rose without it (0.706 -> 0.717)
            cat = (self.category[pool] == u.category) * (u.category_confidence or 0.0)
        brand = slots.get("brand")
        colour = slots.get("colour")
        f = {"lexical": raw / raw.max() if raw.max() > 0 else raw,
             "semantic": np.clip(self.embeddings[pool] @ q_emb, 0.0, 1.0),
             "category": cat,
             "brand": (self.brand[pool] == brand.lower()).astype(float) if brand else np.zeros(len(pool)),
             "colour": keeps_slots({"colour": colour}, self.brand[pool], self.colour_text[pool],
                                   self.size_text[pool]).astype(float) if colour else np.zeros(len(pool)),
             "price": self.cheapness[pool], "rating": self.rating_feat[pool],
             "promotion": np.minimum(1.0, self.promo_discount[pool] / 0.5),  # 50 % off counts fully
             "popularity": self.popularity[pool], "personal": np.zeros(len(pool)),
             "rerank": np.zeros(len(pool))}
        if reranker is not None:
            logits = reranker.score(query, [self.rerank_texts[r] for r in pool]) if memo is None else \
                memo.rerank(reranker, query, pool, self.rerank_texts)
            f["rerank"] = 1.0 / (1.0 + np.exp(-logits))
        return f

    def _item(self, rank_: int, r, features: dict[str, np.ndarray], pool: np.ndarray, u, slots: dict) -> SearchItem:
        row = r.row
        i = int(np.flatnonzero(pool == row)[0])
        facts = {name: float(v[i]) for name, v in features.items()}
        facts.update({"category_name": S.leaf(self.category[row]),
                      "category_confidence": u.category_confidence or 0.0,
                      "brand": slots.get("brand"), "colour": slots.get("colour"),
                      "rating_value": None if np.isnan(self.rating[row]) else float(self.rating[row]),
                      "rating_count": int(self.rating_count[row]), "promotion": self.promo_text[row],
                      "cheaper_than": float(self.cheaper_than[row])})
        p = self.products.iloc[row]
        return SearchItem(rank=rank_, product_id=str(self.ids[row]), title=str(p[S.TITLE]), brand=str(p[S.BRAND]),
                          category=str(p[S.CATEGORY]), price=float(p[S.PRICE]),
                          rating=facts["rating_value"], rating_count=facts["rating_count"],
                          promotion=self.promo_text[row], score=r.score, components=r.components,
                          reasons=reasons_for(r.components, facts))

    def _suggest(self, q_emb: np.ndarray) -> list[str]:
        """Category names closest in meaning to the query: something to try instead."""
        leaf, emb = self._category_names
        return [leaf[i].lower() for i in np.argsort(-(emb @ q_emb))[:3]]

    @cached_property
    def _category_names(self) -> tuple[list[str], np.ndarray]:
        """Leaf category names and their embeddings (C, D), encoded on the first empty result only."""
        leaf = [S.leaf(c) for c in sorted(set(self.category))]
        return leaf, self.encoder.encode(leaf)

    def _result(self, query, u, slots, weights, settings, items, notices, t0, timings, help=(),
                suggestions=()) -> SearchResult:
        timings = {k: round(v * 1000, 2) for k, v in timings.items()}
        timings["total"] = round((time.perf_counter() - t0) * 1000, 2)
        return SearchResult(query=query, intent=u.intent, category=u.category,
                            category_confidence=u.category_confidence, category_source=u.category_source,
                            slots=slots, parsed_slots=u.slots.as_dict(),
                            weights=weights, settings=settings, items=items, help=list(help), notices=notices,
                            suggestions=list(suggestions), timings_ms=timings)
