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
  chosen on validation baskets per data set (:func:`pick_cart_config`), never taken from the sample.

A candidate in the same leaf category as a cart item whose text embedding is close to it (cosine
at least ``substitute_similarity``) is a **substitute** (a second phone) and is excluded. The
similarity test matters for catalogs with coarse categories (Online Retail's "Kitchen" holds cake
stands and the plates bought with them): there, same-category products are mostly unlike each other
(median cosine 0.28, against 0.66 within a leaf category of the sample shop). Each recommendation
names the cart item it complements (the one that scores it highest).
"""
from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.evaluation.splits import holdout_baskets
from ecomrec.recommend.baselines import ItemKNN, interaction_matrix
from ecomrec.recommend.history import rows_of


@dataclass(frozen=True)
class ComplementConfig:
    """Weights of the complement score's parts; :func:`pick_cart_config` scales them on validation baskets."""

    category: float = 1.0  # log category lift: which kind of product goes with the cart
    item: float = 0.5  # log item lift, for pairs bought together before
    bought: float = 0.6  # log purchase count within its category: what people pick there
    brand: float = 0.3  # same brand as the cart item
    price: float = 0.3  # closeness of price position within category to the cart item's
    co_purchase: float = 1.0  # item-kNN cosine over baskets
    popular: float = 0.3  # log basket count over the whole catalog, scaled to [0, 1]: staples
    same_category: float = 0.0  # purchase share within the cart item's own category (coarse real categories)
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
    """Complement model over a catalog, fitted on baskets of product ids."""

    def __init__(self, baskets: Sequence[Sequence[str]], products: pd.DataFrame, price_q: np.ndarray,
                 config: ComplementConfig = ComplementConfig(), embeddings: np.ndarray | None = None) -> None:
        self.config = config
        self.embeddings = embeddings  # (N, D) unit vectors; None: every same-category product is a substitute
        self.index = pd.Index(products[S.PRODUCT_ID])
        self.category = products[S.CATEGORY].to_numpy()
        self.brand = products[S.BRAND].to_numpy()
        self.price_q = price_q
        self.categories, cat_codes = np.unique(self.category, return_inverse=True)
        self.cat_code = cat_codes  # (N,) category number of each product
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

    def raw_parts(self, cart_rows: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Unweighted parts, name -> (cart, N), and (cart, N) whether pair evidence ties a candidate to a cart item."""
        cat_lift = self.category_lift[self.cat_code[cart_rows]][:, self.cat_code]  # (cart, N)
        item_lift = self.item_lift[cart_rows].toarray()  # (cart, N)
        co = self.knn.sim[cart_rows].toarray()  # (cart, N)
        paired = (cat_lift > 0) | (item_lift > 0) | (co > 0)
        brand = self.brand[cart_rows][:, None]
        raw = {"category": np.log1p(cat_lift), "item": np.log1p(item_lift), "co_purchase": co,
               "bought": self.bought_share[None, :] * paired,
               "brand": (self.brand[None, :] == brand) * (brand != "") * paired,
               "price": (1.0 - np.abs(self.price_q[None, :] - self.price_q[cart_rows][:, None])) * paired,
               "popular": np.broadcast_to(self.popular, paired.shape),
               "same_category": (self.cat_code[None, :] == self.cat_code[cart_rows][:, None]) * self.bought_share}
        return raw, paired

    def scores(self, raw: dict[str, np.ndarray], paired: np.ndarray) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
        """(cart, N) scores under :attr:`config`, and per cart item its weighted parts (name -> (N,))."""
        w = asdict(self.config)
        parts = {name: w[name] * v for name, v in raw.items()}
        score = np.sum(list(parts.values()), axis=0)
        if self.config.popular <= 0:
            score = np.where(paired, score, -np.inf)  # nothing says they go together, and popularity is off
        per_item = [{name: v[c] for name, v in parts.items()} for c in range(paired.shape[0])]
        return score, per_item

    def blocked(self, cart_rows: np.ndarray, exclude: Sequence[str] = ()) -> np.ndarray:
        """(N,) products never to offer with this cart: its items, their substitutes and ``exclude`` (ids)."""
        out = self.substitutes(cart_rows)
        out[cart_rows] = True
        out[rows_of(list(exclude), self.index)] = True
        return out

    def substitutes(self, cart_rows: np.ndarray) -> np.ndarray:
        """(N,) whether each product could replace a cart item: same category and, with embeddings, similar text."""
        same = self.cat_code[None, :] == self.cat_code[cart_rows][:, None]  # (cart, N)
        if self.embeddings is not None:
            same &= (self.embeddings[cart_rows] @ self.embeddings.T) >= self.config.substitute_similarity
        return same.any(axis=0)


CART_FILE = "cart.json"
PAIR_SCALE = (0.0, 0.5, 1.0)  # scales the pair parts (category, item, bought, brand, price) together
CO_PURCHASE = (0.0, 1.0, 3.0)
POPULAR = (0.0, 0.3, 1.0, 3.0)
SAME_CATEGORY = (0.0, 1.0)


def pick_cart_config(train_baskets: Sequence[Sequence[str]], val_baskets: Sequence[Sequence[str]],
                     products: pd.DataFrame, price_q: np.ndarray, embeddings: np.ndarray | None,
                     seed: int, k: int = 10, max_baskets: int = 1000) -> tuple[ComplementConfig, float]:
    """The part weights with the best HR@``k`` on validation baskets (one product held out of each).

    Returns:
        (config, its validation HR@k); the defaults when there are no validation baskets.
    """
    carts, targets = holdout_baskets(val_baskets, seed)
    carts, targets = carts[:max_baskets], targets[:max_baskets]
    if not carts:
        return ComplementConfig(), 0.0
    model = CartComplements(train_baskets, products, price_q, embeddings=embeddings)
    prepared = []  # per validation cart: raw parts, evidence, products never to recommend, target column
    for cart, target in zip(carts, targets):
        rows = rows_of(list(dict.fromkeys(cart)), model.index)
        if len(rows) == 0 or target not in model.index:
            continue
        prepared.append((*model.raw_parts(rows), model.blocked(rows), model.index.get_loc(target)))
    base = ComplementConfig()
    grid = [base] + [replace(base, category=base.category * scale, item=base.item * scale, bought=base.bought * scale,
                             brand=base.brand * scale, price=base.price * scale, co_purchase=co, popular=pop,
                             same_category=same)
                     for scale, co, pop, same in itertools.product(PAIR_SCALE, CO_PURCHASE, POPULAR, SAME_CATEGORY)
                     if scale or co or pop]
    best, best_hr = base, -1.0
    for config in grid:  # the defaults first: another setting must do strictly better on validation
        model.config = config
        hits = []
        for raw, paired, blocked, target in prepared:
            total = np.where(blocked, -np.inf, model.scores(raw, paired)[0].max(axis=0))
            top = np.argsort(-total, kind="stable")[:k]  # ties broken as recommend() breaks them
            hits.append(bool(np.isfinite(total[target])) and target in top)
        hr = float(np.mean(hits)) if hits else 0.0
        if hr > best_hr + 1e-9:
            best, best_hr = config, hr
    return best, best_hr


def save_cart_config(config: ComplementConfig, folder: Path) -> None:
    """Write the cart weights picked on validation baskets beside the sequential model."""
    (Path(folder) / CART_FILE).write_text(json.dumps(asdict(config)) + "\n")


def load_cart_config(folder: Path | None) -> ComplementConfig:
    """The cart weights saved in ``folder`` (defaults when there are none)."""
    path = None if folder is None else Path(folder) / CART_FILE
    return ComplementConfig(**json.loads(path.read_text())) if path is not None and path.exists() \
        else ComplementConfig()
