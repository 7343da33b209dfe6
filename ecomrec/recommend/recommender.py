"""One shopper's recommendations — browse, cart complements, promotions — each with its reasons.

Built once per engine (:attr:`ecomrec.Engine.recommender`) from the data set's events: co-occurrence
over shoppers' sequences, complements over baskets, trending products over the last fortnight,
and the active sequential model when one is trained.

Explanations are leave-one-out: a product's score with the whole history minus its score without
one history product is what that product contributed (browse: all shortened histories scored in
one batch; promotions: the profile rebuilt without each product; cart: the score without each
cart item).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.ranking import rank_changes
from ecomrec.recommend.baselines import ItemKNN
from ecomrec.recommend.browse import BlendWeights, BrowseRecommender
from ecomrec.recommend.complements import CartComplements, ComplementConfig
from ecomrec.recommend.history import baskets, item_sequences, rows_of, sequence_of
from ecomrec.recommend.profile import ProfileConfig, UserProfile, build_profile, leave_one_out, price_quantiles
from ecomrec.recommend.promotions import promoted_products, rank_promoted

KINDS = ("browse", "cart", "promo")
TRENDING_DAYS = 14  # "trending" = most engaged-with over the last two weeks before the clock
EXPLAINED_ITEMS = 30  # leave-one-out over the newest products only: a long history stays fast
BASKET_REASON = 0.02  # the basket model's weighted part below which it is not what put a product in the list
VERBS = {"purchase": "bought", "add_to_cart": "added to your cart", "click": "clicked", "view": "viewed"}


@dataclass(frozen=True)
class RecItem:
    """One recommended product, its score's parts (summing to ``score``) and why."""

    rank: int
    product_id: str
    title: str
    brand: str
    category: str
    price: float
    score: float
    components: dict[str, float]
    reasons: list[str]
    because: dict[str, float] = field(default_factory=dict)  # history product id -> leave-one-out contribution
    complements: str | None = None  # the cart product it goes with (cart kind)
    promotion: str | None = None  # the promotion's title (promo kind)


@dataclass(frozen=True)
class Recommendations:
    """What :meth:`ecomrec.Engine.recommend` returns."""

    kind: str
    items: list[RecItem]
    profile: UserProfile
    fallback: str | None = None  # set when the shopper has too little history: says what is shown instead
    notices: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0

    def ranks(self) -> dict[str, int]:
        """product id -> rank (1-based)."""
        return {it.product_id: it.rank for it in self.items}

    def changes(self, after: Recommendations) -> pd.DataFrame:
        """How each product's rank moves from this list to ``after``; see :func:`ecomrec.ranking.rank_changes`."""
        return rank_changes(self, after)


class Recommender:
    """Browse, cart and promotion recommendations over one data set's catalog and events.

    Args:
        products, events, promotions: the data set's tables.
        clock: the data set's "now" (trending window, promotions live by default).
        embeddings: (N, D) catalog embeddings, catalog order.
        sequential: the active sequential model, or None (browse then blends co-occurrence and content).
        blend, cart_config: the weights picked on validation when the sequential model was trained.
        basket_model: the cart setting's basket transformer, or None.
    """

    def __init__(self, products: pd.DataFrame, events: pd.DataFrame, promotions: pd.DataFrame,
                 clock: pd.Timestamp, embeddings: np.ndarray, sequential=None, blend: BlendWeights | None = None,
                 cart_config: ComplementConfig | None = None, basket_model=None) -> None:
        p = products
        self.products = p
        self.index = pd.Index(p[S.PRODUCT_ID])
        self.embeddings = embeddings
        self.price_q = price_quantiles(p)
        self.profile_config = ProfileConfig()
        self.browse_model = BrowseRecommender(self.index, self.embeddings, p[S.CATEGORY].to_numpy(),
                                              ItemKNN(list(item_sequences(events).values()), self.index),
                                              sequential, blend or BlendWeights())
        self.complements = CartComplements(baskets(events).tolist(), p, self.price_q,
                                           cart_config or ComplementConfig(), embeddings=self.embeddings,
                                           basket_model=basket_model)
        self.promotions = promotions
        self._offers_at: dict[pd.Timestamp, pd.DataFrame] = {}  # clock -> live offers
        self.clock = clock
        recent = events[events[S.TIMESTAMP] > self.clock - pd.Timedelta(days=TRENDING_DAYS)]
        counts = recent[S.PRODUCT_ID].value_counts()
        self.trending = np.zeros(len(p))
        self.trending[rows_of(counts.index.tolist(), self.index)] = counts[counts.index.isin(self.index)].to_numpy()
        self._fallback_pop = np.log1p(p[S.POPULARITY].fillna(0).to_numpy(dtype=float))
        # categorical once: affinity then looks each category and brand up once, not once per product
        self._categories, self._brands = pd.Categorical(p[S.CATEGORY]), pd.Categorical(p[S.BRAND])

    # ---- profile ----
    def profile(self, history: pd.DataFrame, now: pd.Timestamp | None = None) -> UserProfile:
        """The shopper's profile at ``now`` (default: the data set's clock)."""
        return build_profile(history, self.products, self.embeddings, now or self.clock, self.profile_config,
                             self.price_q, self.index)

    def affinity(self, profile: UserProfile, rows: np.ndarray | None = None) -> np.ndarray:
        """(C,) the profile's affinity to catalog ``rows`` (default: all), in [0, 1]."""
        if rows is None:  # the whole catalog: no copies (the embeddings alone are 77 MB at 50,000 products)
            return profile.affinity(self._categories, self._brands, self.price_q, self.embeddings)
        return profile.affinity(self._categories[rows], self._brands[rows], self.price_q[rows], self.embeddings[rows])

    # ---- the three kinds ----
    def recommend(self, history: pd.DataFrame, cart: Sequence[str] = (), kind: str = "browse", k: int = 10,
                  now: pd.Timestamp | None = None, query_category: str | None = None,
                  remedy: Callable[[str], str] = lambda role: "train one on the Train page") -> Recommendations:
        """Recommendations of ``kind`` for a shopper's ``history`` (schema events) and ``cart`` (product ids).

        Args:
            now: the simulated clock (default: the data set's); events after it are ignored and
                promotions must be live at it.
            query_category: the category of the shopper's last search, for cold-start fallbacks.
            remedy: what a person can do about a role with no model (the notice's words): the engine says when
                the background run is training it.

        Raises:
            ValueError: for an unknown kind or k < 1.
            KeyError: naming cart product ids the catalog does not have.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown recommendation kind {kind!r}; use one of {KINDS}")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        unknown = [c for c in cart if c not in self.index]
        if unknown:
            raise KeyError(f"unknown product id(s) in the cart: {unknown}")
        t0 = time.perf_counter()
        now = now or self.clock
        history = history[pd.to_datetime(history[S.TIMESTAMP]) <= now]
        profile = self.profile(history, now)
        run = {"browse": self._browse, "cart": self._cart, "promo": self._promo}[kind]
        items, fallback, notices = run(history, list(cart), k, now, profile, query_category)
        if kind == "browse" and fallback is None and self.browse_model.sequential is None:
            notices.append("No sequential model is trained yet: browse recommendations blend co-occurrence and "
                           f"content only ({remedy('sequential')}).")
        return Recommendations(kind, items, profile, fallback, notices, round((time.perf_counter() - t0) * 1e3, 1))

    def _browse(self, history, cart, k, now, profile, query_category):
        seq = [p for p in sequence_of(history) if p in self.index]
        if not seq:
            return self._cold_start(k, query_category, exclude=cart)
        first = max(0, len(seq) - EXPLAINED_ITEMS)  # older items: recency weight under 0.8 ** 30 ~ 0.001
        variants = [seq] + [seq[:i] + seq[i + 1:] for i in range(first, len(seq))]  # full, then without each
        parts = self.browse_model.blend(self.browse_model.signals(variants, self.browse_model.weighed()))  # (1 + H, N)
        total = np.sum(list(parts.values()), axis=0)  # (1 + H, N)
        full = total[0].copy()
        full[rows_of(cart, self.index)] = -np.inf
        # at most the cap of one category, and a product of each main interest, where validation chose them
        full, lifted = self.browse_model.shown(full, seq, k)
        top = [int(j) for j in np.argsort(-full, kind="stable")[:k] if np.isfinite(full[j])]
        verbs = _verbs(history)
        items = []
        for rank, j in enumerate(top, 1):
            loo = np.where(np.isfinite(total[1:, j]), total[0, j] - total[1:, j], 0.0)  # (H,)
            because = {seq[first + i]: float(loo[i]) for i in np.argsort(-loo) if loo[i] > 0}
            reasons = [self._because_sentence(because, verbs)] if because else []
            if j in lifted:
                leaf = S.leaf(str(self.products.iat[j, self.products.columns.get_loc(S.CATEGORY)]))
                reasons.insert(0, f"one of your main interests, {leaf}: kept in the list so it shows all you look at")
            reasons += [_SIGNAL_WORDS[name].format(v=float(v[0, j])) for name, v in parts.items() if v[0, j] > 0.5]
            items.append(self._item(rank, j, {n: float(v[0, j]) for n, v in parts.items()}, reasons, because))
        return items, None, []

    def _cold_start(self, k, query_category, exclude):
        """Labelled fallbacks: popular in the searched category, else trending, else popular overall."""
        pop = self._fallback_pop
        in_cat = self.products[S.CATEGORY].to_numpy() == query_category if query_category else None
        if in_cat is not None and in_cat.any():
            score = np.where(in_cat, pop, -np.inf)
            label = f"Popular in {S.leaf(query_category)} (the category of this shopper's search; no history yet)"
            reason = "popular in {leaf}: popularity {pop:.1f} (log scale)"
        elif self.trending.any():
            score = np.log1p(self.trending) + 0.1 * pop / max(pop.max(), 1e-9)  # popularity breaks ties
            label = (f"Trending: most engaged-with products of the last {TRENDING_DAYS} days "
                     "(this shopper has no history yet)")
            reason = f"trending: {{trend:.0f}} shopper actions in the last {TRENDING_DAYS} days"
        else:  # a data set without recent events
            score = pop.copy()
            label = "Popular: the catalog's most popular products (this shopper has no history yet)"
            reason = "popular: popularity {pop:.1f} (log scale)"
        score[rows_of(list(exclude), self.index)] = -np.inf
        top = [int(j) for j in np.argsort(-score, kind="stable")[:k] if np.isfinite(score[j])]
        items = [self._item(r, j, {"popularity": float(score[j])},
                            [reason.format(leaf=S.leaf(query_category or ""), pop=pop[j], trend=self.trending[j])])
                 for r, j in enumerate(top, 1)]
        return items, label, []

    def _cart(self, history, cart, k, now, profile, query_category):
        if not cart:
            return [], None, ["The cart is empty: add a product to see what goes with it."]
        bought = history[history[S.EVENT_TYPE].eq("purchase")][S.PRODUCT_ID].tolist()
        in_cart = {self.products.iat[self.index.get_loc(p), self.products.columns.get_loc(S.CATEGORY)]
                   for p in cart if p in self.index}
        items = [self._another_of_a_kind(self._complement(rank, c), in_cart)
                 for rank, c in enumerate(self.complements.recommend(cart, k, exclude=bought), 1)]
        notices = [] if items else ["Nothing in the baskets goes with this cart yet."]
        return items, None, notices

    def _another_of_a_kind(self, item: RecItem, cart_categories: set[str]) -> RecItem:
        """``item`` with its first reason saying so when it could replace a cart item (the same leaf category):
        the shop's rule then lets such products in (its baskets hold two of a kind), and the list says it."""
        if item.category not in cart_categories or self.complements.config.substitutes_excluded:
            return item  # under complements only, a same-category product is no substitute (unlike things)
        note = (f"another {S.leaf(item.category)}, like one in your cart: this shop's shoppers often buy two of a "
                "kind together")
        return replace(item, reasons=[note, *item.reasons])

    def _complement(self, rank: int, c) -> RecItem:
        """One cart recommendation with its reasons in words."""
        anchor = self.products.iloc[c.cart_row]
        paired = any(c.components.get(n, 0) > 0 for n in ("category", "item", "co_purchase"))
        if not paired and c.components.get("ease", 0) > 0:  # the basket model, not one cart item, vouches
            return self._item(rank, c.row, c.components, ["bought in baskets like yours (all of your cart together)"])
        if not paired and c.components.get("basket_model", 0) >= BASKET_REASON:
            return self._item(rank, c.row, c.components, ["the basket model expects it in a basket like yours (all "
                                                          "of your cart together)"])
        staple = max(c.components.get("popular", 0), c.components.get("same_category", 0))
        if not paired and c.components.get("similar", 0) > staple:  # its text ties it to the cart item
            return self._item(rank, c.row, c.components, [f"described like the {anchor[S.TITLE]} in your cart"],
                              complements=str(anchor[S.PRODUCT_ID]))
        if not paired:  # nothing ties it to this cart: say what it is, a staple
            n = int(self.complements.bought[c.row])
            baskets_n = f"in {n} basket{'s' * (n != 1)}"
            reason = (f"popular among {S.leaf(anchor[S.CATEGORY])} like your {anchor[S.TITLE]}: {baskets_n}"
                      if c.components.get("same_category", 0) > 0 else
                      f"popular with every kind of basket: {baskets_n}")
            return self._item(rank, c.row, c.components, [reason])
        reason = f"goes with the {anchor[S.TITLE]} in your cart"
        if c.category_lift > 0:
            leaf = S.leaf(self.products.iat[c.row, self.products.columns.get_loc(S.CATEGORY)])
            reason += (f": baskets with {S.leaf(anchor[S.CATEGORY])} hold {leaf} {c.category_lift:.1f}x "
                       "more often than chance")
        reasons = [reason]
        if c.components.get("item", 0) > 0 or c.components.get("co_purchase", 0) > 0:
            reasons.append("bought together with it before")
        if c.components.get("brand", 0) > 0:
            reasons.append(f"same brand ({anchor[S.BRAND]})")
        because = {str(self.index[r]): v for r, v in c.because.items() if v > 0}
        return self._item(rank, c.row, c.components, reasons, because, complements=str(anchor[S.PRODUCT_ID]))

    def _offers(self, now: pd.Timestamp) -> pd.DataFrame:
        """:func:`promoted_products` at ``now``, kept for the last few clock settings (the clock moves rarely)."""
        if now not in self._offers_at:
            if len(self._offers_at) >= 8:
                self._offers_at.pop(next(iter(self._offers_at)))
            self._offers_at[now] = promoted_products(self.promotions, self.products, now)
        return self._offers_at[now]

    def _promo(self, history, cart, k, now, profile, query_category):
        offers = self._offers(now)
        if offers.empty:
            return [], None, [f"No promotion is live on {now:%d %b %Y}: move the clock."]
        fallback = None
        if profile.is_empty:
            interest = self._fallback_pop / max(self._fallback_pop.max(), 1e-9)
            fallback = "No history yet: promotions ranked by product popularity x discount"
        else:
            interest = self.affinity(profile)
            # a real interest: a promotion is offered only in a category the shopper has shown interest in (a coffee
            # maker in the cart is no reason for a vacuum cleaner, however close the two are in the embedding space)
            wanted = self._categories[offers["row"].to_numpy(dtype=int)]
            shown = np.isin(wanted, [c for c, share in profile.categories.items() if share > 0])
            if not shown.any():
                return [], None, [f"None of the {offers['promo_id'].nunique()} live promotions is in a category this "
                                  "shopper has shown interest in, so none is offered."]
            offers = offers[shown]
        ranked = rank_promoted(offers, interest, k)
        rows = ranked["row"].to_numpy(dtype=int)
        loss: dict[str, np.ndarray] = {}  # history product -> (k,) score lost without it (leave-one-out)
        if not fallback:
            for pid, without in leave_one_out(profile, self.products, self.embeddings, self.price_q).items():
                loss[pid] = ranked["score"].to_numpy() - self.affinity(without, rows) * ranked["discount"].to_numpy()
        verbs = _verbs(history)
        items = []
        for rank, o in enumerate(ranked.itertuples(index=False), 1):
            because = {pid: float(v[rank - 1]) for pid, v in loss.items() if v[rank - 1] > 0}
            because = dict(sorted(because.items(), key=lambda kv: -kv[1]))
            reasons = [f"{o.discount:.0%} off ({o.title}) until {pd.Timestamp(o.end):%d %b}"]
            if because:
                reasons.insert(0, self._because_sentence(because, verbs))
            reasons.append(f"{'popularity' if fallback else 'your interest'} {o.interest:.2f}")
            if not fallback:
                cat = self.products.iat[int(o.row), self.products.columns.get_loc(S.CATEGORY)]
                share = profile.categories.get(cat, 0.0)
                if share:
                    reasons.append(f"{S.leaf(cat)} is {share:.0%} of your interest")
            items.append(self._item(rank, int(o.row), {"interest x discount": float(o.score)}, reasons, because,
                                    promotion=o.title))
        return items, fallback, []

    # ---- helpers ----
    def _item(self, rank: int, row: int, components: dict[str, float], reasons: list[str],
              because: dict[str, float] | None = None, complements: str | None = None,
              promotion: str | None = None) -> RecItem:
        r = self.products.iloc[row]
        return RecItem(rank, str(r[S.PRODUCT_ID]), str(r[S.TITLE]), str(r[S.BRAND]), str(r[S.CATEGORY]),
                       float(r[S.PRICE]), float(sum(components.values())), components, reasons, because or {},
                       complements, promotion)

    def _because_sentence(self, because: dict[str, float], verbs: dict[str, str]) -> str:
        names = []
        for pid in list(because)[:2]:
            title = self.products.iat[self.index.get_loc(pid), self.products.columns.get_loc(S.TITLE)]
            names.append(f"{verbs.get(pid, 'viewed')} {title}")
        return "because you " + " and ".join(names)


_SIGNAL_WORDS = {
    "sequential": "the sequence model expects it next ({v:+.2f})",
    "co_occurrence": "shoppers who looked at your products looked at it too ({v:+.2f})",
    "content": "similar to what you looked at ({v:+.2f})",
    "category": "in the category of the last product you looked at ({v:+.2f})",
    "popularity": "popular with shoppers ({v:+.2f})",
}


def _verbs(history: pd.DataFrame) -> dict[str, str]:
    """product id -> the strongest thing the shopper did with it, as words."""
    out: dict[str, str] = {}
    for kind in ("view", "click", "add_to_cart", "purchase"):  # later kinds overwrite: strongest wins
        for pid in history.loc[history[S.EVENT_TYPE].eq(kind), S.PRODUCT_ID]:
            out[pid] = VERBS[kind]
    return out

