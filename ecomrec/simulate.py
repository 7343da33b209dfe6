"""Shopper personas and the sessions they produce, through a search function and a click model.

A persona has tastes (categories, brands, price level), a budget and patience. A session either
starts from a query — results come from a search function, clicks from a position-biased click
model (people look at top ranks more often, whatever is there) — or from browsing. Purchases pull
in products of complementary categories, so baskets carry real signal for recommenders to learn.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.recommend.profile import price_quantiles

SearchFn = Callable[[str, int], Sequence[int]]
"""search(query_text, k) -> row positions of the top-k products, best first."""
RelevanceFn = Callable[[str, np.ndarray], np.ndarray]
"""relevance(query_text, rows) -> how much each product answers the query (added to a shopper's utility)."""


@dataclass(frozen=True)
class Persona:
    """A simulated shopper's stable tastes."""

    user_id: str
    categories: tuple[str, ...]  # category paths of interest; the first is the main one
    brands: tuple[str, ...]  # preferred brands
    price_level: float  # 0 = always the cheapest in a category .. 1 = always the dearest
    budget: float  # most the shopper spends in one session (USD)
    patience: float  # 0 = looks at the first result only .. 1 = reads the whole page
    buy_propensity: float  # scales add-to-cart and purchase probabilities

    @property
    def label(self) -> str:
        """A short description for pickers: main interest, price level, favourite brands."""
        level = "budget" if self.price_level < 0.35 else "premium" if self.price_level > 0.65 else "mid-range"
        interests = ", ".join(S.leaf(c) for c in self.categories[:3])
        return f"{interests} · {level} · likes {', '.join(self.brands[:2])}"


@dataclass(frozen=True)
class SimulationConfig:
    """Knobs of the click and shopping model."""

    results_per_page: int = 10  # one page, as a shopper sees it
    position_bias: float = 1.0  # examination at rank r (0-based) = 1/(r+1)**(bias*(1.2-0.7*patience))
    click_threshold: float = 2.5  # utility needed for a 50 % click chance once a result is examined
    search_share: float = 0.6  # share of sessions that start with a query
    complement_follow: float = 0.6  # chance to shop a complement after buying something that has one
    start: str = "2026-06-01"
    end: str = "2026-11-15"


def _sigmoid(x: float | np.ndarray) -> float | np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class ShopSimulator:
    """Generates event logs for personas over a product catalog.

    Args:
        products: schema "products" frame.
        search: the search function shoppers use.
        queries: labelled queries (text, category) shoppers draw their search text from.
        complements: category path -> category paths bought with it (simulation knowledge only).
        appeal: per-product latent attractiveness (long-tailed), aligned with ``products`` rows.
        rng: random generator; same seed, same log.
        relevance: how well a product answers a query text; default: 2 for the query's category, else 0.
            The sample generator passes the hidden graded relevance here, so clicks follow it.
    """

    def __init__(self, products: pd.DataFrame, search: SearchFn, queries: pd.DataFrame,
                 complements: Mapping[str, Sequence[str]], appeal: np.ndarray, rng: np.random.Generator,
                 config: SimulationConfig = SimulationConfig(), relevance: RelevanceFn | None = None) -> None:
        self.products = products.reset_index(drop=True)
        self.search = search
        self.relevance = relevance
        self.complements = complements
        self.rng = rng
        self.config = config
        self.appeal = np.log(appeal)
        self.category = self.products[S.CATEGORY].to_numpy()
        self.brand = self.products[S.BRAND].to_numpy()
        self.price = self.products[S.PRICE].to_numpy(dtype=float)
        self.rating = self.products[S.RATING].fillna(3.5).to_numpy(dtype=float)
        # price position within its category: 0 cheapest .. 1 dearest
        self.price_q = price_quantiles(self.products)
        self.by_category = {c: np.flatnonzero(self.category == c) for c in np.unique(self.category)}
        q = queries.dropna(subset=[S.CATEGORY])
        q = q[q[S.INTENT].ne("support")] if S.INTENT in q else q
        self.queries_by_category = {c: g[S.TEXT].tolist() for c, g in q.groupby(S.CATEGORY)}

    # ---- personas ----
    def make_personas(self, n: int) -> list[Persona]:
        """Draw ``n`` personas; main categories favour those with complements (richer baskets)."""
        cats = sorted(self.by_category)
        weight = np.array([3.0 if c in self.complements else 1.0 for c in cats])
        personas = []
        for i in range(n):
            main = str(self.rng.choice(cats, p=weight / weight.sum()))
            drawn = self.rng.choice(cats, size=int(self.rng.integers(1, 4)), replace=False)
            others = [str(c) for c in drawn if c != main]
            related = list(self.complements.get(main, ()))[:1]
            interests = tuple(dict.fromkeys([main, *related, *others]))
            brand_pool = np.unique(self.brand[np.concatenate([self.by_category[c] for c in interests])])
            brands = tuple(str(b) for b in self.rng.choice(brand_pool, size=min(3, len(brand_pool)), replace=False))
            level = float(self.rng.beta(2, 2))
            personas.append(Persona(
                user_id=f"U{i + 1:05d}", categories=interests, brands=brands, price_level=level,
                budget=float(np.exp(self.rng.normal(np.log(150 + 900 * level), 0.6))),
                patience=float(self.rng.beta(2, 3)), buy_propensity=float(self.rng.uniform(0.4, 1.0)),
            ))
        return personas

    # ---- model of one shopper ----
    def utility(self, persona: Persona, idx: np.ndarray) -> np.ndarray:
        """How much ``persona`` likes products ``idx`` (log-odds scale)."""
        in_cat = np.isin(self.category[idx], persona.categories)
        brand = np.isin(self.brand[idx], persona.brands)
        price_fit = -2.0 * np.abs(self.price_q[idx] - persona.price_level)
        return 1.5 * in_cat + 1.0 * brand + price_fit + 0.6 * (self.rating[idx] - 4.0) + 0.8 * self.appeal[idx]

    def _pick(self, persona: Persona, category: str, k: int = 1, exclude: set[int] = frozenset()) -> list[int]:
        idx = np.array([i for i in self.by_category[category] if i not in exclude])
        if len(idx) == 0:
            return []
        p = np.exp(self.utility(persona, idx))
        return [int(i) for i in self.rng.choice(idx, size=min(k, len(idx)), replace=False, p=p / p.sum())]

    def run_session(self, persona: Persona, session_id: str, t0: pd.Timestamp) -> list[dict]:
        """Simulate one session and return its events in time order."""
        cfg, rng = self.config, self.rng
        events: list[dict] = []
        clock = [t0]

        def emit(i: int, kind: str, query: str | None = None, position: int | None = None) -> None:
            clock[0] += pd.Timedelta(seconds=int(rng.integers(4, 120)))
            events.append({S.USER_ID: persona.user_id, S.SESSION_ID: session_id, S.TIMESTAMP: clock[0],
                           S.PRODUCT_ID: self.products.at[i, S.PRODUCT_ID], S.EVENT_TYPE: kind,
                           S.QUERY: query, S.POSITION: position})

        cart: list[int] = []
        seen: set[int] = set()

        def consider(i: int, relevance: float) -> None:
            u = float(self.utility(persona, np.array([i]))[0]) + relevance
            if rng.random() < _sigmoid(u - 3.0) * persona.buy_propensity and i not in cart:
                emit(i, "add_to_cart")
                cart.append(i)

        category = persona.categories[0] if rng.random() < 0.5 else str(rng.choice(persona.categories))
        if rng.random() < cfg.search_share and self.queries_by_category.get(category):
            text = str(rng.choice(self.queries_by_category[category]))
            results = list(self.search(text, cfg.results_per_page))
            decay = cfg.position_bias * (1.2 - 0.7 * persona.patience)
            rows = np.array(results, dtype=int)
            rel = (self.relevance(text, rows) if self.relevance is not None
                   else np.where(self.category[rows] == category, 2.0, 0.0))
            u = self.utility(persona, rows) + rel if results else np.array([])
            for r, i in enumerate(results):
                examined = rng.random() < (1.0 / (r + 1)) ** decay
                if examined and rng.random() < _sigmoid(u[r] - cfg.click_threshold):
                    emit(i, "click", text, r)
                    emit(i, "view")
                    seen.add(i)
                    consider(i, rel[r])
        else:
            current = self._pick(persona, category)
            steps = int(rng.integers(2, 7))
            while current and steps > 0:
                i = current[0]
                emit(i, "view")
                seen.add(i)
                consider(i, 1.0)
                steps -= 1
                r = rng.random()
                if r < 0.65:
                    nxt = category
                elif r < 0.85 and self.complements.get(category):
                    nxt = str(rng.choice(self.complements[category]))
                else:
                    nxt = str(rng.choice(persona.categories))
                current = self._pick(persona, nxt, exclude=seen)
        self._checkout(persona, cart, emit)
        return events

    def _checkout(self, persona: Persona, cart: list[int], emit: Callable[..., None]) -> None:
        rng, spent = self.rng, 0.0
        bought: list[int] = []
        for i in list(cart):
            if rng.random() < 0.15 or spent + self.price[i] > persona.budget:
                emit(i, "remove_from_cart")
                continue
            if rng.random() < 0.75 * persona.buy_propensity:
                emit(i, "purchase")
                spent += self.price[i]
                bought.append(i)
        # after buying, shoppers often fetch what goes with it: a case for the phone
        for i in bought:
            comps = self.complements.get(self.category[i], ())
            if not comps or rng.random() > self.config.complement_follow:
                continue
            target = str(rng.choice(comps))
            picks = self._pick(persona, target, k=int(rng.integers(1, 4)))
            for j in picks:
                emit(j, "view")
            if picks and rng.random() < 0.6 * persona.buy_propensity + 0.3:
                emit(picks[0], "add_to_cart")
                emit(picks[0], "purchase")

    def run_sessions(self, persona: Persona, n: int, start: pd.Timestamp) -> pd.DataFrame:
        """``n`` sessions of one persona from ``start``, a few hours apart; a schema "events" frame."""
        rows: list[dict] = []
        t0 = pd.Timestamp(start)
        for i in range(n):
            events = self.run_session(persona, f"{persona.user_id}-{t0:%Y%m%d%H%M%S}-{i + 1}", t0)
            rows.extend(events)
            last = events[-1][S.TIMESTAMP] if events else t0
            t0 = last + pd.Timedelta(hours=float(self.rng.uniform(2, 30)))
        df = pd.DataFrame(rows, columns=[S.USER_ID, S.SESSION_ID, S.TIMESTAMP, S.PRODUCT_ID, S.EVENT_TYPE,
                                         S.QUERY, S.POSITION])
        df[S.POSITION] = df[S.POSITION].astype("Int64")
        return df

    def simulate(self, personas: Sequence[Persona], sessions_per_user: float = 4.0,
                 progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
        """Run sessions for every persona; returns a schema "events" frame sorted by time."""
        start, end = pd.Timestamp(self.config.start), pd.Timestamp(self.config.end)
        span = (end - start).total_seconds()
        rows: list[dict] = []
        n_session = 0
        for k, persona in enumerate(personas):
            n = 1 + int(self.rng.poisson(sessions_per_user - 1))
            starts = sorted(start + pd.Timedelta(seconds=float(s)) for s in self.rng.uniform(0, span, n))
            for t0 in starts:
                n_session += 1
                rows.extend(self.run_session(persona, f"S{n_session:06d}", t0))
            if progress:
                progress(k + 1, len(personas))
        df = pd.DataFrame(rows, columns=[S.USER_ID, S.SESSION_ID, S.TIMESTAMP, S.PRODUCT_ID,
                                         S.EVENT_TYPE, S.QUERY, S.POSITION])
        df[S.POSITION] = df[S.POSITION].astype("Int64")
        return df.sort_values([S.TIMESTAMP, S.SESSION_ID], kind="stable").reset_index(drop=True)
