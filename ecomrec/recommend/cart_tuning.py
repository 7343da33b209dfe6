"""The cart list's weights and substitute rule, chosen on a data set's own validation baskets and kept with its
models (registry role ``cart``), chosen again when the data changes. No other model needs to be trained.

What is chosen, by HR@10 with one product held out of each validation basket (the log's 20 % before its last
20 %, which stays for test): how much the pair evidence (category and item lift, what is bought within the
category, brand, price), co-purchase similarity, popularity, purchase share in the cart item's own category,
similar text, the EASE basket model (and its λ) and the basket transformer (:mod:`ecomrec.models.basket`,
trained here on the training baskets, its epoch chosen on the validation ones; it joins only when it beats the
rest) count, and
**the rule**: the list keeps the app's promise, complements only (never a substitute of a cart item: a second
phone), and its weights are chosen under that rule. The best setting under the other rule, whatever goes in the
basket (grocery baskets routinely hold two of a kind), is chosen too and kept beside it with its validation HR@10,
so the Shopper page can say what letting alternatives in would find, and a person can switch to it. Only where
complements only finds none of the held-back products (a shop whose kinds cannot be told apart: Groceries has no
categories) does the basket rule become the list's. The defaults
are tried first; another setting must do strictly better.
"""
from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.evaluation.recommendation import exclude_history, hit_metrics
from ecomrec.evaluation.splits import holdout_baskets, split_by_time
from ecomrec.recommend.baselines import EASE
from ecomrec.recommend.complements import CartComplements, ComplementConfig
from ecomrec.recommend.history import baskets, rows_of
from ecomrec.recommend.profile import price_quantiles

CART_ROLE = "cart"
CART_FILE = "cart.json"
METHOD = 5  # how the choice is made (2: with the basket transformer; 3: a category of alike products is one kind,
# every product of it a substitute of any other; 4: with similar text; 5: complements only unless a person switches,
# the best setting of the other rule kept beside it); a choice made the older way is made again
PAIR_SCALE = (0.0, 0.5, 1.0)  # scales the pair parts (category, item, bought, brand, price) together
CO_PURCHASE = (0.0, 1.0, 3.0)
POPULAR = (0.0, 0.3, 1.0, 3.0)
SAME_CATEGORY = (0.0, 1.0)
EASE_LAMBDAS = (1.0, 10.0, 100.0, 1000.0)  # ridge: 1 trusts rare pairs, 1,000 approaches plain co-occurrence
EASE_WEIGHTS = (0.3, 1.0, 3.0, 10.0)
SIMILAR = (0.3, 1.0, 3.0, 10.0)  # similar text's weight on top of the best setting of the pair and popularity parts
BASKET_WEIGHTS = (0.3, 1.0, 3.0, 10.0)  # the basket transformer's weight on top of the best setting without it
BASKET_MIN = 200  # training baskets of 2+ products below which the basket transformer is not trained
BASKET_EVAL = 500  # validation carts that pick its epoch (a seeded sample)
RULES = {True: "complements only", False: "whatever goes in the basket"}
ALL_COLUMNS = 5000  # catalogs up to this size score every product for every validation cart; above, candidates
CANDIDATES = 200  # per validation cart above ALL_COLUMNS: the most bought, in the cart's categories and by EASE
MAX_VAL_BASKETS = 1000  # validation carts at most (a seeded sample): ~1.5 points of HR@10 of sampling error
BASKET_SHARE = 0.6  # of the progress bar: the basket transformer's training (its time budget), the rest the choice

StageFn = Callable[[str, float], None]
"""progress(what is being done, in words; fraction done in [0, 1])."""


@dataclass(frozen=True)
class CartChoice:
    """The chosen cart setting and what chose it."""

    config: ComplementConfig
    val_hr: float  # its HR@10 on the validation baskets
    val_baskets: int
    two_of_a_kind: float  # share of training baskets of 2+ products holding two that could replace each other
    hr_by_rule: dict[str, float] = field(default_factory=dict)  # the best validation HR@10 under each rule
    set_by: str = "validation"  # or "person": the rule was switched by hand on the Shopper page
    alternative: ComplementConfig | None = None  # the best setting under the other rule (what the switch turns to)
    basket_report: dict = field(default_factory=dict)  # the basket transformer: validation HR@10 with and without
    basket: object = field(default=None, compare=False)  # the trained BasketModel when it joined, else None

    @property
    def rule(self) -> str:
        """The rule in words: "complements only" or "whatever goes in the basket"."""
        return RULES[self.config.substitutes_excluded]

    @property
    def basket_rule_gain(self) -> tuple[float, float] | None:
        """(validation HR@10 under complements only, under whatever goes in the basket) when letting alternatives
        in found more of what shoppers went on to buy, else None."""
        only, other = self.hr_by_rule.get(RULES[True]), self.hr_by_rule.get(RULES[False])
        return (only, other) if only is not None and other is not None and other > only else None

    def to_dict(self) -> dict:
        """JSON-ready (what the registry keeps)."""
        return {"config": asdict(self.config), "val_hr": self.val_hr, "val_baskets": self.val_baskets,
                "alternative": None if self.alternative is None else asdict(self.alternative),
                "two_of_a_kind": self.two_of_a_kind, "hr_by_rule": self.hr_by_rule, "set_by": self.set_by,
                "basket_report": self.basket_report}

    @classmethod
    def from_dict(cls, d: dict, basket=None) -> CartChoice:
        alternative = d.get("alternative")
        return cls(ComplementConfig(**d["config"]), float(d["val_hr"]), int(d["val_baskets"]),
                   float(d["two_of_a_kind"]), dict(d.get("hr_by_rule", {})), d.get("set_by", "validation"),
                   None if alternative is None else ComplementConfig(**alternative), dict(d.get("basket_report", {})),
                   basket)

    def switched(self, complements_only: bool) -> CartChoice:
        """This choice under the rule a person picked: the best setting validation found under that rule (its
        weights, and its validation HR@10), the other kept as the alternative to switch back to."""
        if self.config.substitutes_excluded == complements_only:
            return replace(self, set_by="person")
        other = self.alternative or replace(self.config, substitutes_excluded=complements_only)
        return replace(self, config=other, alternative=self.config, set_by="person",
                       val_hr=self.hr_by_rule.get(RULES[complements_only], self.val_hr))


def two_of_a_kind_share(model: CartComplements, groups: Sequence[Sequence[str]]) -> float:
    """Share of baskets with two or more products that hold two substitutes of each other (same category and,
    with embeddings, similar text): how often this shop's shoppers buy two of a kind together."""
    n = hits = 0
    for basket in groups:
        rows = rows_of(list(dict.fromkeys(basket)), model.index)
        if len(rows) < 2:
            continue
        n += 1
        pairs = model.alike(rows, rows)  # the basket against itself, not against the whole catalog
        np.fill_diagonal(pairs, False)
        hits += bool(pairs.any())
    return hits / n if n else 0.0


def _columns(model: CartComplements, rows: np.ndarray, eases: Sequence[EASE], basket: np.ndarray | None = None
             ) -> np.ndarray | None:
    """The products a validation cart's top 10 can come from under any setting (None: all of them)."""
    n = len(model.index)
    if n <= ALL_COLUMNS:
        return None
    raw, paired = model.raw_parts(rows, np.arange(n))
    cols = [np.flatnonzero(paired.any(axis=0)), np.argsort(-model.bought, kind="stable")[:CANDIDATES]]
    for r in rows:
        same = np.flatnonzero(model.cat_code == model.cat_code[r])
        cols.append(same[np.argsort(-model.bought[same], kind="stable")[:CANDIDATES]])
    if model.embeddings is not None:  # the products closest in text to each cart item
        for r in rows:
            cols.append(np.argsort(-(model.embeddings @ model.embeddings[r]), kind="stable")[:CANDIDATES])
    for e in eases:
        cols.append(np.argsort(-e.score_rows(rows).sum(axis=0), kind="stable")[:CANDIDATES])
    if basket is not None:  # the basket model's (N,) scores of this cart
        cols.append(np.argsort(-basket, kind="stable")[:CANDIDATES])
    return np.unique(np.concatenate(cols))


def pick_cart_config(train_baskets: Sequence[Sequence[str]], val_baskets: Sequence[Sequence[str]],
                     products: pd.DataFrame, price_q: np.ndarray, embeddings: np.ndarray | None,
                     seed: int, k: int = 10, max_baskets: int = MAX_VAL_BASKETS, basket_model=None,
                     progress: StageFn | None = None) -> CartChoice:
    """The setting with the best HR@``k`` on validation baskets (one product held out of each); the model
    learns from ``train_baskets`` alone. The defaults when there are no validation baskets.

    Args:
        basket_model: a :class:`~ecomrec.models.basket.BasketModel` trained on ``train_baskets``, tried on top
            of the best setting without it and alone; it joins only when it does strictly better.
        progress: told each held-back basket read (the first half) and each setting tried (the second half).
    """
    report = progress or (lambda stage, frac: None)
    model = CartComplements(train_baskets, products, price_q, embeddings=embeddings, basket_model=basket_model)
    share = round(two_of_a_kind_share(model, train_baskets), 4)
    carts, targets = holdout_baskets(val_baskets, seed)
    order = np.random.default_rng(seed).permutation(len(carts))[:max_baskets]  # a seeded sample, not the first
    carts, targets = [carts[i] for i in order], [targets[i] for i in order]
    if not carts:
        return CartChoice(ComplementConfig(), 0.0, 0, share)
    eases = {lam: EASE(train_baskets, model.index, lam) for lam in EASE_LAMBDAS}
    prepared = []  # per cart: raw parts, evidence, blocked under each rule, target column (-1: not a candidate)
    for i, (cart, target) in enumerate(zip(carts, targets)):
        if i % 50 == 0:
            report(f"reading held-back basket {i + 1:,} of {len(carts):,}", 0.5 * i / len(carts))
        rows = rows_of(list(dict.fromkeys(cart)), model.index)
        if len(rows) == 0 or target not in model.index:
            continue
        by_model = model.basket_scores(rows) if basket_model is not None else None  # one forward pass per cart
        cols = _columns(model, rows, list(eases.values()), by_model)
        raw, paired = model.raw_parts(rows, cols)

        def pick(v: np.ndarray, cols=cols) -> np.ndarray:
            return v if cols is None else v[cols]

        own = np.zeros(len(model.index), bool)
        own[rows] = True
        ease = {}
        for lam, e in eases.items():
            basket = e.score_rows(rows).sum(axis=0)
            ease[lam] = np.broadcast_to(pick(basket / basket.max() if basket.max() > 0 else basket), paired.shape)
        if basket_model is not None:
            ease["basket_model"] = np.broadcast_to(pick(by_model), paired.shape)
        t = model.index.get_loc(target)
        at = 0 if cols is None else int(np.searchsorted(cols, t))
        where = t if cols is None else (at if at < len(cols) and cols[at] == t else -1)
        prepared.append((raw, paired, {True: pick(model.substitutes(rows) | own), False: pick(own)}, ease, where))

    def hr(config: ComplementConfig) -> float:
        model.config = config
        hits = []
        for raw, paired, blocked, ease, target in prepared:
            parts = {**raw, "ease": ease[config.ease_lambda]} if config.ease > 0 else raw
            if config.basket_model > 0:
                parts = {**parts, "basket_model": ease["basket_model"]}
            total = np.where(blocked[config.substitutes_excluded], -np.inf, model.scores(parts, paired)[0].max(axis=0))
            top = np.argsort(-total, kind="stable")[:k]  # ties broken as recommend() breaks them
            hits.append(target >= 0 and bool(np.isfinite(total[target])) and target in top)
        return float(np.mean(hits)) if hits else 0.0

    base = ComplementConfig()
    grid = [base] + [replace(base, category=base.category * scale, item=base.item * scale, bought=base.bought * scale,
                             brand=base.brand * scale, price=base.price * scale, co_purchase=co, popular=pop,
                             same_category=same, substitutes_excluded=rule)
                     for scale, co, pop, same, rule in itertools.product(PAIR_SCALE, CO_PURCHASE, POPULAR,
                                                                         SAME_CATEGORY, RULES)
                     if scale or co or pop]
    by_rule, best_of = {}, {}  # each rule's best validation HR@10 and the setting that reached it
    n_settings = len(RULES) * (len(grid) // len(RULES) + len(SIMILAR) + 1 + len(EASE_LAMBDAS) * (len(EASE_WEIGHTS) + 1)
                               + (len(BASKET_WEIGHTS) + 1) * (basket_model is not None))
    tried = 0

    def consider(config: ComplementConfig) -> None:
        nonlocal tried
        tried += 1
        report(f"trying setting {tried} of about {n_settings}", min(1.0, 0.5 + 0.5 * tried / n_settings))
        value, rule = hr(config), RULES[config.substitutes_excluded]
        if value > by_rule.get(rule, -1.0) + 1e-9:
            by_rule[rule], best_of[rule] = value, config

    for config in grid:
        consider(config)
    alone = replace(base, category=0.0, item=0.0, bought=0.0, brand=0.0, price=0.0, co_purchase=0.0, popular=0.0)
    if embeddings is not None:  # then similar text on top of the best of each rule (the text closest to a cart
        for w, rule in itertools.product(SIMILAR, RULES):  # item's is often another of its kind)
            consider(replace(best_of[RULES[rule]], similar=w))
        for rule in RULES:  # and alone: the products described most like a cart item (the content baseline)
            consider(replace(alone, popular=1e-6, similar=1.0, substitutes_excluded=rule))  # popularity: ties
    stages = dict(best_of)  # then the basket model on top of the best of each rule, and alone
    for stage, (lam, w) in itertools.product(stages.values(), itertools.product(EASE_LAMBDAS, EASE_WEIGHTS)):
        consider(replace(stage, ease=w, ease_lambda=lam))
    for lam, rule in itertools.product(EASE_LAMBDAS, RULES):
        consider(replace(alone, ease=1.0, ease_lambda=lam, substitutes_excluded=rule))
    without = {}  # each rule's best validation HR@10 before the basket transformer was tried
    if basket_model is not None:
        without, stages = dict(by_rule), dict(best_of)
        for stage, w in itertools.product(stages.values(), BASKET_WEIGHTS):
            consider(replace(stage, basket_model=w))
        for rule in RULES:
            consider(replace(alone, basket_model=1.0, substitutes_excluded=rule))
    report("chosen", 1.0)
    # the list keeps the promise (complements only) unless complements found none of the held-back products: then
    # this shop's kinds cannot be told apart (a grocer without categories, every product "one kind" with the rest)
    # and the promise would leave the list empty
    promise = by_rule[RULES[True]] > 0.0 or by_rule[RULES[False]] == 0.0
    rule = RULES[promise]
    best, best_hr, other = best_of[rule], by_rule[rule], best_of[RULES[not promise]]
    basket = ({"val_hr_without": round(without[rule], 4), "val_hr_with": round(best_hr, 4),
               "joined": best.basket_model > 0} if without else {})
    keep_basket = best.basket_model > 0 or other.basket_model > 0
    return CartChoice(best, round(best_hr, 4), len(prepared), share, {r: round(v, 4) for r, v in by_rule.items()},
                      alternative=other, basket_report=basket, basket=basket_model if keep_basket else None)


def choose(events: pd.DataFrame, products: pd.DataFrame, embeddings: np.ndarray | None, seed: int,
           progress: StageFn | None = None) -> CartChoice:
    """The setting for a data set's purchase ``events``: the log's last 20 % is test (never read), the 20 % of
    the whole span before it validation, and what comes before trains.

    Args:
        progress: told what is being done, from the basket transformer's training to the last setting tried.
    """
    report = progress or (lambda stage, frac: None)
    train, _ = split_by_time(events)
    fit, val = split_by_time(train, 0.25)  # 20 % of the whole span
    fit_baskets, val_baskets = baskets(fit).tolist(), baskets(val).tolist()
    basket_model, info = train_basket_model(fit_baskets, val_baskets, products, embeddings, seed,
                                            lambda stage, frac: report(stage, BASKET_SHARE * frac))
    choice = pick_cart_config(fit_baskets, val_baskets, products, price_quantiles(products), embeddings, seed,
                              basket_model=basket_model,
                              progress=lambda stage, frac: report(stage, BASKET_SHARE + (1 - BASKET_SHARE) * frac))
    return replace(choice, basket_report={**info, **choice.basket_report})


def train_basket_model(train_baskets: Sequence[Sequence[str]], val_baskets: Sequence[Sequence[str]],
                       products: pd.DataFrame, embeddings: np.ndarray | None, seed: int,
                       progress: StageFn | None = None):
    """The basket transformer trained on ``train_baskets``, its epoch chosen by HR@10 alone on validation carts
    (one product held out of each); (None, why) when there are too few baskets or no catalog embeddings.

    Args:
        progress: told after every training step, the fraction being the larger of steps and time budget used.
    """
    from ecomrec.models.basket import BasketConfig, BasketModel

    usable = sum(len(set(b)) >= 2 for b in train_baskets)
    if embeddings is None or usable < BASKET_MIN:
        return None, {"skipped": f"{usable} training baskets of two or more products (needs {BASKET_MIN})"}
    index = pd.Index(products[S.PRODUCT_ID])
    carts, targets = holdout_baskets(val_baskets, seed)
    keep = [i for i in np.random.default_rng(seed).permutation(len(carts)) if targets[i] in index][:BASKET_EVAL]
    carts, cols = [carts[i] for i in keep], index.get_indexer([targets[i] for i in keep])
    if not carts:  # nothing to choose its epoch on, nor to say whether it helps
        return None, {"skipped": "no validation baskets of two or more known products"}

    def evaluate(m) -> float:
        return float(hit_metrics(exclude_history(m.score(carts), carts, index), cols)[0].mean())

    config, t0 = BasketConfig(seed=seed), time.perf_counter()

    def step(p) -> None:
        if progress is not None:
            used = max(p.step / p.total_steps, (time.perf_counter() - t0) / config.budget_s)
            progress(f"training the basket model on {usable:,} baskets: epoch {p.epoch}", min(1.0, used))

    model, info = BasketModel.train(train_baskets, index.tolist(), embeddings, config, evaluate, progress=step)
    return model, {"trained_on": usable, "epochs": info["epochs_run"], "val_hr_alone": info["best_val_hr@10"],
                   "train_s": info["train_s"]}


def save(registry, choice: CartChoice, dataset_fingerprint: str) -> str:
    """Keep ``choice`` as the data set's active cart setting; returns its version."""
    def write(folder) -> None:
        (folder / CART_FILE).write_text(json.dumps(choice.to_dict(), indent=1, sort_keys=True) + "\n")
        if choice.basket is not None:
            choice.basket.save(folder)

    version = registry.save(CART_ROLE, write, {
        "base_model": "", "data_fingerprint": "", "seed": 0, "device": "", "train_s": 0.0,
        "hyperparameters": {"rule": choice.rule, "set_by": choice.set_by, **asdict(choice.config)},
        "metrics": {"val_hr@10": choice.val_hr, "val_baskets": float(choice.val_baskets),
                    **{f"basket model {k}": float(v) for k, v in choice.basket_report.items()
                       if k in ("val_hr_alone", "val_hr_with", "val_hr_without") and v is not None},
                    "two_of_a_kind": choice.two_of_a_kind,
                    **{f"val_hr@10 {rule}": v for rule, v in choice.hr_by_rule.items()}},
        "dataset": registry.root.name, "dataset_fingerprint": f"{dataset_fingerprint}:{METHOD}"})
    registry.activate(CART_ROLE, version)
    return version


def load_active(registry, dataset_fingerprint: str) -> CartChoice | None:
    """The active cart setting when it was chosen on this very data (None: none yet, or the data changed)."""
    version = registry.active(CART_ROLE)
    expected = f"{dataset_fingerprint}:{METHOD}"
    if version is None or registry.manifest(CART_ROLE, version).dataset_fingerprint != expected:
        return None
    from ecomrec.models.basket import BasketModel

    folder = registry.path(CART_ROLE, version)
    basket = BasketModel.load(folder) if BasketModel.exists(folder) else None
    return CartChoice.from_dict(json.loads((folder / CART_FILE).read_text()), basket)

