"""Cart complements: what is bought together with the cart, never another of what is already in it.

Learned from baskets (the products bought in one session):

* **category complements**: lift of two leaf categories in the same basket,
  ``P(A and B) / (P(A) P(B))``: tents go with sleeping bags far more often than chance;
* **item co-purchase**: lift of two products in the same basket, where a pair was seen;
* within a complementary category, products bought more often rank higher, and so do products
  of the cart item's brand and price position (a premium phone's shopper buys a premium case);
* **co-purchase similarity**: item-kNN cosine of the basket co-occurrence, which survives sparse
  pairs better than lift;
* **popularity**: how many baskets hold the product. Real order logs are dominated by staples
  (Online Retail: popularity alone beats category lift by 2x at HR@10), so the blend's weights are
  chosen on validation baskets per data set (:mod:`ecomrec.recommend.cart_tuning`), never taken from the sample;
* **similar text**: cosine of the product's text embedding to the cart item's (clipped at 0). Gift shops sell
  design lines (a "red retrospot" lunch bag, jumbo bag and cake case) bought together; chosen on validation
  baskets like every other part, 0 where it does not help;
* **EASE** (a closed-form basket model), when validation baskets say it helps;
* **the basket model** (:mod:`ecomrec.models.basket`, a transformer over the cart as a set), when it beats
  the rest on validation baskets.

A candidate in the same leaf category as a cart item is a **substitute** (a second phone) and is excluded
under the complements-only rule, when the category's products are alike (median cosine of their text
embeddings at least ``substitute_similarity``); in a category of unlike things, only a candidate whose text
is that close to the cart item is. That rule is the app's promise; shops whose baskets hold two of a kind
(groceries) can switch to the basket rule, whose best setting validation baskets chose too. The
similarity test matters for catalogs with coarse categories (Online Retail's "Kitchen" holds cake
stands and the plates bought with them): there, same-category products are mostly unlike each other
(median cosine 0.28, against 0.66 within a leaf category of the sample shop). Each recommendation
names the cart item it complements (the one that scores it highest).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.recommend.baselines import EASE, ItemKNN, interaction_matrix
from ecomrec.recommend.history import rows_of

BASKET_EVIDENCE = 0.01  # the basket model vouches for a product at 1 % of its favourite's probability or more


@dataclass(frozen=True)
class ComplementConfig:
    """Weights of the complement score's parts and the substitute rule; chosen per data set on validation
    baskets (:func:`ecomrec.recommend.cart_tuning.pick_cart_config`)."""

    category: float = 1.0  # log category lift: which kind of product goes with the cart
    item: float = 0.5  # log item lift, for pairs bought together before
    bought: float = 0.6  # log purchase count within its category: what people pick there
    brand: float = 0.3  # same brand as the cart item
    price: float = 0.3  # closeness of price position within category to the cart item's
    co_purchase: float = 1.0  # item-kNN cosine over baskets
    popular: float = 0.3  # log basket count over the whole catalog, scaled to [0, 1]: staples
    same_category: float = 0.0  # purchase share within the cart item's own category (coarse real categories)
    ease: float = 0.0  # the basket's EASE score, scaled to [0, 1] (0: not built; chosen on validation baskets)
    ease_lambda: float = 100.0  # EASE's ridge λ, chosen on validation baskets with its weight
    basket_model: float = 0.0  # the basket transformer's probability, scaled to [0, 1] (0: not blended in)
    similar: float = 0.0  # text cosine to the cart item, clipped at 0 (0: off; chosen on validation baskets)
    # the rule: True = complements only (never a substitute of a cart item: the app's promise); False = whatever
    # goes in the basket (grocery baskets routinely hold two of a kind), only when a person switches to it
    substitutes_excluded: bool = True
    min_category_baskets: int = 5  # fewer is chance (measured: 2 let "bed sheets go with printer paper" in)
    min_item_baskets: int = 2  # a product pair bought together once is chance; twice: +0.011 NDCG@10
    substitute_similarity: float = 0.5  # 9 in 10 same-leaf pairs of the sample shop are at least this close


@dataclass(frozen=True)
class Complement:
    """One recommended product, the cart item it complements, and its score's parts (summing to ``score``)."""

    row: int
    score: float
    cart_row: int
    components: dict[str, float]
    category_lift: float
    because: dict[int, float]  # cart row -> score lost without that cart item (leave-one-out)


class CartComplements:
    """Complement model over a catalog, fitted on baskets of product ids.

    Args:
        ease: the EASE model to score with (default: built from ``baskets`` when ``config.ease`` > 0).
        basket_model: a trained :class:`~ecomrec.models.basket.BasketModel` (scored when
            ``config.basket_model`` > 0); products it was not trained on score 0.
    """

    def __init__(self, baskets: Sequence[Sequence[str]], products: pd.DataFrame, price_q: np.ndarray,
                 config: ComplementConfig = ComplementConfig(), embeddings: np.ndarray | None = None,
                 ease: EASE | None = None, basket_model=None) -> None:
        self.config = config
        self.basket_model = basket_model
        self.ease = ease if ease is not None or config.ease <= 0 else EASE(baskets, pd.Index(products[S.PRODUCT_ID]),
                                                                         config.ease_lambda)
        self.embeddings = embeddings  # (N, D) unit vectors; None: every same-category product is a substitute
        self.index = pd.Index(products[S.PRODUCT_ID])
        self.category = products[S.CATEGORY].to_numpy()
        self.brand = products[S.BRAND].to_numpy()
        self.price_q = price_q
        self.categories, cat_codes = np.unique(self.category, return_inverse=True)
        self.cat_code = cat_codes  # (N,) category number of each product
        self.one_kind = self._one_kind()  # (C,) categories whose products are alike: each replaces any other
        x = interaction_matrix(baskets, self.index)  # (B, N)
        n = max(x.shape[0], 1)
        self.bought = np.asarray(x.sum(axis=0)).ravel()  # (N,) baskets containing each product
        item_co = (x.T @ x).tocsr()
        item_co.setdiag(0)
        item_co.data[item_co.data < config.min_item_baskets] = 0
        item_co.eliminate_zeros()
        self.item_lift = item_co.multiply(n).multiply(1.0 / np.maximum(self.bought, 1)[:, None]) \
            .multiply(1.0 / np.maximum(self.bought, 1)[None, :]).tocsr()  # (N, N) sparse
        onehot = np.zeros((len(self.index), len(self.categories)), dtype=np.float32)
        onehot[np.arange(len(self.index)), cat_codes] = 1.0
        xc = (x @ onehot > 0).astype(np.float32)  # (B, C) categories in each basket
        cat_n = xc.sum(axis=0)
        cat_co = xc.T @ xc  # (C, C)
        lift = cat_co * n / np.maximum(np.outer(cat_n, cat_n), 1.0)
        lift[(cat_co < config.min_category_baskets) | (lift <= 1.0)] = 0.0  # only pairs above chance
        np.fill_diagonal(lift, 0.0)  # the same category is a substitute, never a complement
        self.category_lift = lift  # (C, C)
        # purchase count within category, scaled to [0, 1] by the category's best seller
        best = pd.Series(self.bought).groupby(cat_codes).transform("max").to_numpy()
        self.bought_share = np.log1p(self.bought) / np.log1p(np.maximum(best, 1))
        self.popular = np.log1p(self.bought) / np.log1p(max(self.bought.max(), 1))  # (N,)
        self.knn = ItemKNN(baskets, self.index)

    def _one_kind(self, sample: int = 50) -> np.ndarray:
        """(C,) whether a category's products are one kind: the median cosine of its products' text embeddings
        (up to ``sample`` of them, the first in catalog order) reaches ``substitute_similarity``. Then any two
        of them could replace each other (a sample shop's "Coffee Makers"); a coarse category of unlike things
        (Online Retail's "Kitchen": cake stands and plates) is judged pair by pair instead."""
        out = np.zeros(len(self.categories), dtype=bool)
        if self.embeddings is None:
            return out | True
        for c in range(len(self.categories)):
            rows = np.flatnonzero(self.cat_code == c)[:sample]
            if len(rows) < 2:
                out[c] = True
                continue
            sims = self.embeddings[rows] @ self.embeddings[rows].T
            out[c] = float(np.median(sims[np.triu_indices(len(rows), 1)])) >= self.config.substitute_similarity
        return out

    def complementary_categories(self, top: int = 3) -> dict[str, tuple[str, ...]]:
        """Each category's ``top`` most-lifted partner categories (lift above 1), categories without one left out."""
        cats = self.categories
        out = {str(c): tuple(str(cats[j]) for j in np.argsort(-self.category_lift[i])[:top]
                             if self.category_lift[i, j] > 1.0) for i, c in enumerate(cats)}
        return {c: v for c, v in out.items() if v}

    def recommend(self, cart: Sequence[str], k: int = 10, exclude: Sequence[str] = ()) -> list[Complement]:
        """Complements of ``cart`` (product ids; unknown ids are ignored), best first.

        Args:
            exclude: more product ids never to recommend (e.g. already bought).
        """
        cart_rows = rows_of(list(dict.fromkeys(cart)), self.index)
        if len(cart_rows) == 0:
            return []
        raw, paired = self.raw_parts(cart_rows)
        scores, parts_per_item = self.scores(raw, paired)  # (cart, N)
        best_cart = scores.argmax(axis=0)  # (N,) which cart item each candidate complements most
        total = scores[best_cart, np.arange(scores.shape[1])]
        total[self.blocked(cart_rows, exclude)] = -np.inf
        order = np.argsort(-total, kind="stable")[:k]
        out = []
        for j in order:
            if not np.isfinite(total[j]):
                break
            c = int(best_cart[j])
            comps = {name: float(v[j]) for name, v in parts_per_item[c].items()}
            others = np.delete(scores[:, j], c)  # its score as a complement of the rest of the cart
            rest = others.max() if len(others) and np.isfinite(others.max()) else 0.0
            out.append(Complement(int(j), float(total[j]), int(cart_rows[c]), comps,
                                  float(self.category_lift[self.cat_code[cart_rows[c]], self.cat_code[j]]),
                                  {int(cart_rows[c]): float(total[j] - rest)}))
        return out

    def raw_parts(self, cart_rows: np.ndarray, cols: np.ndarray | None = None
                  ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Unweighted parts, name -> (cart, N), and (cart, N) whether pair evidence ties a candidate to a cart item.

        Args:
            cols: only these products' columns (catalog rows; default all): what choosing weights on many
                validation baskets of a large catalog keeps in memory.
        """
        every = cols is None  # the whole catalog: its arrays as they are (a copy of 50,000 embeddings costs ~30 ms)
        sel = slice(None) if every else cols
        cat_lift = self.category_lift[self.cat_code[cart_rows]][:, self.cat_code[sel]]  # (cart, C)
        item_lift = (self.item_lift[cart_rows] if every else self.item_lift[cart_rows][:, cols]).toarray()  # (cart, C)
        co = (self.knn.sim[cart_rows] if every else self.knn.sim[cart_rows][:, cols]).toarray()  # (cart, C)
        paired = (cat_lift > 0) | (item_lift > 0) | (co > 0)
        brand = self.brand[cart_rows][:, None]
        share = self.bought_share[sel]
        raw = {"category": np.log1p(cat_lift), "item": np.log1p(item_lift), "co_purchase": co,
               "bought": share[None, :] * paired,
               "brand": (self.brand[sel][None, :] == brand) * (brand != "") * paired,
               "price": (1.0 - np.abs(self.price_q[sel][None, :] - self.price_q[cart_rows][:, None])) * paired,
               "popular": np.broadcast_to(self.popular[sel], paired.shape),
               "same_category": (self.cat_code[sel][None, :] == self.cat_code[cart_rows][:, None]) * share}
        if self.embeddings is not None:
            raw["similar"] = np.clip(self.embeddings[cart_rows] @ self.embeddings[sel].T, 0.0, None)
        if self.ease is not None:  # a basket-level part: the whole cart's EASE score, the same for each cart item
            basket = self.ease.score_rows(cart_rows).sum(axis=0)
            top = basket.max()
            raw["ease"] = np.broadcast_to((basket / top if top > 0 else basket)[sel], paired.shape)
        if self.basket_model is not None and self.config.basket_model > 0:
            raw["basket_model"] = np.broadcast_to(self.basket_scores(cart_rows)[sel], paired.shape)
        return raw, paired

    def basket_scores(self, cart_rows: np.ndarray) -> np.ndarray:
        """(N,) the basket model's probability of each product completing the cart, over the most likely
        one (1 for the best, 0 for products it was not trained on)."""
        log_p = self.basket_model.score([self.index[cart_rows].tolist()])[0]  # (M,) over its own product ids
        p = np.exp(log_p - log_p.max())
        out = np.zeros(len(self.index), dtype=np.float32)
        cols = self.index.get_indexer(self.basket_model.product_ids)
        out[cols[cols >= 0]] = p[cols >= 0]
        return out

    def scores(self, raw: dict[str, np.ndarray], paired: np.ndarray) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
        """(cart, N) scores under :attr:`config`, and per cart item its weighted parts (name -> (N,))."""
        w = asdict(self.config)
        parts = {name: w[name] * v for name, v in raw.items()}
        score = np.sum(list(parts.values()), axis=0)
        if self.config.popular <= 0:  # popularity off: only what something ties to the cart
            evidence = paired
            if self.config.similar > 0 and "similar" in raw:  # text this close ties a product to the cart item
                evidence = evidence | (raw["similar"] >= self.config.substitute_similarity)
            for part, floor in (("ease", 0.0), ("basket_model", BASKET_EVIDENCE)):  # basket-level parts
                if getattr(self.config, part) > 0 and part in raw:
                    evidence = evidence | (raw[part] > floor)
            score = np.where(evidence, score, -np.inf)
        per_item = [{name: v[c] for name, v in parts.items()} for c in range(paired.shape[0])]
        return score, per_item

    def blocked(self, cart_rows: np.ndarray, exclude: Sequence[str] = ()) -> np.ndarray:
        """(N,) products never to offer with this cart: its items, ``exclude`` (ids) and, under the
        complements-only rule (``config.substitutes_excluded``), their substitutes."""
        out = self.substitutes(cart_rows) if self.config.substitutes_excluded else np.zeros(len(self.index), bool)
        out[cart_rows] = True
        out[rows_of(list(exclude), self.index)] = True
        return out

    def substitutes(self, cart_rows: np.ndarray) -> np.ndarray:
        """(N,) whether each product could replace a cart item: same category and, with embeddings, similar text."""
        return self.alike(cart_rows).any(axis=0)

    def alike(self, rows: np.ndarray, others: np.ndarray | None = None) -> np.ndarray:
        """(len(rows), len(others)) whether each of ``others`` (default: the whole catalog) could replace each of
        ``rows`` (catalog rows): the same category, and for a category of unlike things (:meth:`_one_kind`),
        similar text as well."""
        sel = slice(None) if others is None else others  # the whole catalog: no copy of its embeddings
        same = self.cat_code[sel][None, :] == self.cat_code[rows][:, None]
        if self.embeddings is not None:
            close = (self.embeddings[rows] @ self.embeddings[sel].T) >= self.config.substitute_similarity
            same &= close | self.one_kind[self.cat_code[rows]][:, None]
        return same
