"""The recommendation service: browse, cart and promotion lists for one shopper, their profile, the
shopper simulator, with the active sequential model."""
from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.data.loaders import empty
from ecomrec.recommend import cart_tuning
from ecomrec.recommend.browse import BlendWeights, load_blend
from ecomrec.recommend.cart_tuning import CartChoice
from ecomrec.recommend.history import timeline_events
from ecomrec.recommend.profile import UserProfile
from ecomrec.recommend.recommender import Recommendations, Recommender
from ecomrec.services.catalog import Catalog
from ecomrec.services.embeddings import Embeddings
from ecomrec.services.models import Models
from ecomrec.simulate import ShopSimulator

BROWSE_PARTS = {"sequential": "what the sequence model expects next",
                "co_occurrence": "what shoppers who looked at these products also looked at",
                "content": "products described alike", "category": "the last product's category",
                "popularity": "popularity"}
CART_PARTS = {"category": "categories that baskets hold together", "co_purchase": "products bought together before",
              "popular": "what sells most", "same_category": "best sellers of the cart item's own category",
              "similar": "products described like a cart item", "ease": "a model of whole baskets (EASE)",
              "basket_model": "the basket transformer"}


class Recs:
    """Recommendations over one data set.

    Args:
        catalog, embeddings, models: the services it reads (tables, catalog embeddings, the active
            sequential model and the blend weights saved beside it, the cart setting).
        seed: the simulator's default seed.
        lock: the engine's lock.
    """

    def __init__(self, catalog: Catalog, embeddings: Embeddings, models: Models, seed: int,
                 lock: threading.RLock) -> None:
        self.catalog = catalog
        self.embeddings = embeddings
        self.models = models
        self.seed = seed
        self._lock = lock
        self._recommenders: dict[str | None, Recommender] = {}  # active sequential version -> Recommender
        self._cart: CartChoice | None = None
        self._job: threading.Thread | None = None  # the cart choice running in the background, if any
        self._job_progress: tuple[str, float] = ("", 0.0)

    @property
    def recommender(self) -> Recommender:
        """Browse, cart and promotion recommenders with the active sequential model, or its last good version when
        its files cannot be read (built once per version)."""
        version, _ = self.models.usable("sequential", self.models.sequential)  # a damaged one: its last good one
        cart = self.cart_choice()  # before the lock: choosing it may take a while the first time
        with self._lock:
            if version not in self._recommenders:
                folder = self.models.registry.path("sequential", version) if version else None
                c = self.catalog
                self._recommenders[version] = Recommender(
                    c.products, c.events, c.promotions, c.clock, self.embeddings.catalog_embeddings(),
                    self.models.sequential(version) if version else None,
                    load_blend(folder) if version else BlendWeights(), cart.config, cart.basket)
            return self._recommenders[version]

    def cart_ready(self) -> bool:
        """Whether the cart setting is chosen for this very data (else :meth:`cart_choice` chooses it: minutes on
        a large shop)."""
        with self._lock:
            return self._active() is not None

    def _active(self) -> CartChoice | None:
        """The cart setting chosen for this data, read from the registry once (None: not chosen yet); under the
        lock."""
        if self._cart is None:
            self._cart = cart_tuning.load_active(self.models.registry, self.catalog.fingerprint)
        return self._cart

    def start_cart_choice(self) -> None:
        """Choose the cart setting in a background thread (as an import finishes), so that no page waits for it
        unless it needs it; nothing when it is chosen or being chosen. :meth:`cart_progress` follows it."""
        with self._lock:
            if self._cart is not None or (self._job is not None and self._job.is_alive()):
                return
            self._job_progress = ("starting", 0.0)
            self._job = threading.Thread(target=self._choose_in_background, name="cart-choice", daemon=True)
            self._job.start()

    def _choose_in_background(self) -> None:
        try:
            self.cart_choice(lambda stage, frac: setattr(self, "_job_progress", (stage, frac)))
        except Exception:  # noqa: BLE001 - the page that needs it then chooses itself, and shows the error
            pass

    def cart_progress(self) -> tuple[str, float] | None:
        """(what is being done, fraction done) of the background cart choice while it runs, else None."""
        job = self._job
        return self._job_progress if job is not None and job.is_alive() else None

    def cart_choice(self, progress: cart_tuning.StageFn | None = None) -> CartChoice:
        """The cart list's weights and substitute rule: chosen on this data set's own validation baskets the
        first time they are needed (no other model needed), kept in the registry, chosen again when the data
        changes; the defaults for a data set without purchases. While a background choice runs
        (:meth:`start_cart_choice`), waits for it rather than choosing a second time.

        Args:
            progress: told what is being done while it is chosen (not called when it is already chosen).
        """
        job = self._job
        if job is not None and job.is_alive() and job is not threading.current_thread():
            job.join()
        with self._lock:
            if self._active() is not None:
                return self._cart
            fingerprint = self.catalog.fingerprint
            embeddings = self.embeddings.catalog_embeddings()
        # outside the engine's lock: other sessions keep searching meanwhile
        choice = cart_tuning.choose(self.catalog.events, self.catalog.products, embeddings, self.seed, progress)
        with self._lock:
            if self._cart is None:  # the first to finish wins; a second choice on the same data is the same
                if choice.val_baskets and cart_tuning.load_active(self.models.registry, fingerprint) is None:
                    cart_tuning.save(self.models.registry, choice, fingerprint)
                self._cart = choice
            return self._cart

    def browse_mix(self) -> str:
        """The browse list's parts and weights in plain words (chosen on validation shoppers when the sequential
        model was trained)."""
        model = self.recommender.browse_model
        weights = {name: w for name, w in model.weights.signal_weights().items()
                   if w and (name != "sequential" or model.sequential is not None)}
        parts = ", ".join(f"{BROWSE_PARTS[name]} ×{w:g}" for name, w in sorted(weights.items(), key=lambda x: -x[1]))
        how = ("as shoppers held back when the sequence model was trained said works best" if model.sequential
               is not None else "with the default weights (no sequence model is trained yet)")
        cap = model.weights.category_cap
        range_ = (f" It shows at most {cap} products of one category, so the list shows the range: on those "
                  "shoppers, that cap found as much of what they went on to look at as no cap." if cap else "")
        cover = model.weights.interest_cover
        interests = (f" It keeps a product of each of the shopper's {cover} main interests (the kinds of product they "
                     "looked at, most recent and most frequent first), which cost those shoppers nothing either."
                     if cover else "")
        return f"Browse mixes {parts}, {how}.{range_}{interests}"

    def cart_mix(self) -> str:
        """The cart list's parts and weights in plain words (chosen on this shop's held-back baskets)."""
        choice = self.cart_choice()
        weights = {name: getattr(choice.config, name) for name in CART_PARTS}
        parts = ", ".join(f"{CART_PARTS[name]} ×{w:g}" for name, w in sorted(weights.items(), key=lambda x: -x[1])
                          if w > 0)
        how = ("as this shop's held-back baskets said works best" if choice.val_baskets else
               "with the default weights (this shop has no baskets to learn from yet)")
        return f"The cart list mixes {parts}, {how}."

    def set_cart_rule(self, complements_only: bool) -> CartChoice:
        """Switch the cart list's rule (complements only, or whatever goes in the basket) to the best setting
        validation found under it; saved as the data set's cart setting (a person's choice, said so) and used at
        once."""
        with self._lock:
            choice = self.cart_choice().switched(complements_only)
            cart_tuning.save(self.models.registry, choice, self.catalog.fingerprint)
            self._cart = choice
            self._recommenders.clear()
            return choice

    def recommend(self, history: pd.DataFrame, cart: list[str] | tuple[str, ...] = (), kind: str = "browse",
                  k: int = 10, now: pd.Timestamp | None = None, query_category: str | None = None) -> Recommendations:
        """See :meth:`ecomrec.Engine.recommend`."""
        history = _validated(history)
        with self._lock:
            recs = self.recommender.recommend(history, cart, kind, k, now, query_category, self.models.remedy)
        _, notice = self.models.usable("sequential", self.models.sequential)
        if notice:
            recs.notices.insert(0, notice)
        return recs

    def profile(self, history: pd.DataFrame, now: pd.Timestamp | None = None) -> UserProfile:
        """A shopper's profile from their ``history`` (schema events) as of ``now`` (default: the data set's clock).

        Raises:
            ecomrec.schema.ValidationError: naming the bad row and column of ``history``.
        """
        history = _validated(history)
        with self._lock:
            return self.recommender.profile(history, now)

    def affinity(self, profile: UserProfile) -> np.ndarray:
        """(N,) the profile's affinity to every product, in [0, 1] (what personal search adds)."""
        with self._lock:
            return self.recommender.affinity(profile)

    def timeline_events(self, table: pd.DataFrame, user: str, session: str) -> pd.DataFrame:
        """A shopper's events from an edited timeline (columns ``time``, ``event``, ``product_id``).

        Raises:
            ecomrec.schema.ValidationError: naming each bad row and column (unknown product id, missing time
                or event); nothing is applied.
        """
        return timeline_events(table, self.catalog.index, user, session)

    def simulator(self, search: Callable[[str, int], list[str]], queries: pd.DataFrame,
                  seed: int | None = None) -> ShopSimulator:
        """Personas and sessions over this catalog; shoppers search with ``search(text, k) -> product ids``.

        Which categories go together comes from this data set's baskets (category lift), so it works for
        imported data too.
        """
        complements = self.recommender.complements.complementary_categories()
        index = self.catalog.index
        p = self.catalog.products
        appeal = 1.0 + p[S.POPULARITY].fillna(0).to_numpy(dtype=float)
        return ShopSimulator(p, lambda text, k: [index.get_loc(pid) for pid in search(text, k)], queries,
                             complements, appeal, np.random.default_rng(self.seed if seed is None else seed))


def _validated(history: pd.DataFrame) -> pd.DataFrame:
    return S.validate(history, "events", file="shopper history") if len(history) else empty("events")
