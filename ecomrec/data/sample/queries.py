"""Generate labelled shopping queries the way people type them.

Each intent has many phrasings (templates) filled from the real catalog (brands, models, terms,
attribute values) and then roughed up: typos, abbreviations, dropped words, word order, casing.
The test split holds out whole phrasings as well as random queries, so a model is measured on
wording it never saw, not only on new fillers of seen wording.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.data.sample.catalog_spec import CATEGORIES, COMPLEMENTS, GIFT_IDEAS, RECIPIENTS

TEMPLATES: dict[str, tuple[str, ...]] = {
    "browse": (
        "{term}", "{colour} {term}", "{term} for {use}", "{attr} {term}", "show me {term}",
        "{brand} {term}", "{brand}", "new {term}", "{term} {attr}", "looking for a {term}",
        "i need a new {term}", "{term} in {colour}", "any {colour} {term}", "{term} collection",
        "browse {term}", "{term} for {use} {colour}", "{attr} {colour} {term}", "latest {term}",
        "{brand} {term} range", "what {term} do you have",
    ),
    "specific_item": (
        "{brand} {model}", "{brand} {model} {noun}", "{model} {noun} {attr}", "{brand} {model} {attr} {colour}",
        "buy {brand} {model}", "{brand} {model} {noun} in {colour}", "where can i buy the {brand} {model}",
        "{brand} {model} {attr}", "{model} by {brand}", "order {brand} {model} {noun}",
        "{brand} {noun} model {model}", "is the {brand} {model} in stock", "{brand} {model} {noun} {attr} version",
        "add {brand} {model} to cart", "{model} {brand} {colour}",
    ),
    "compare": (
        "{brand} vs {brand2} {term}", "{brand} {model} vs {brand2} {model2}", "{model} or {model2}",
        "compare {term}", "{brand} or {brand2} which is better", "difference between {brand} {model} and {model2}",
        "{term} comparison", "which {term} is better {brand} or {brand2}", "{attr} vs {attr2} {term}",
        "{term} side by side", "{brand} {model} compared to {brand2} {model2}", "{model} versus {model2} {noun}",
        "should i get {brand} or {brand2} {term}", "compare {brand} and {brand2}", "{brand} {term} vs {brand2}",
        "pros and cons {model} vs {model2}",
    ),
    "deal_seeking": (
        "cheap {term}", "{term} under ${price}", "{term} under {price} dollars", "{term} on sale",
        "{brand} {term} discount", "best deal {term}", "clearance {term}", "budget {term}",
        "affordable {term}", "{term} less than {price}", "{term} black friday", "{term} coupon",
        "inexpensive {term}", "{term} promo code", "{term} bargain", "{term} below ${price}",
        "lowest price {brand} {model}", "{brand} {term} sale", "discounted {colour} {term}",
        "{term} deals this week", "cheapest {term} with {attr}", "{term} max ${price}",
    ),
    "gift": (
        "gift for {recipient} who likes {hobby}", "{term} gift for {recipient}",
        "birthday present for {recipient} {hobby}",
        "christmas gift {term}", "gift ideas for {hobby} lovers", "what to get {recipient} who loves {hobby}",
        "{hobby} gift", "present for {recipient} into {hobby}", "xmas present {term}", "bday gift for {recipient}",
        "anniversary gift {term}", "stocking stuffer {term}", "gift for {recipient}", "{term} as a gift",
        "something for {recipient} who is into {hobby}", "fathers day gift {term}", "mothers day {term} gift",
        "graduation gift {term}", "housewarming gift {term}", "gift set {term} for {recipient}",
    ),
    "accessory": (
        "{comp} for {base}", "{comp} for my {brand} {base}", "{comp} compatible with {brand} {model}",
        "{base} {comp}", "accessories for {base}", "what goes with {base}", "{comp} that fits {brand} {model}",
        "replacement {comp} for {base}", "{base} accessories", "need {comp} for new {base}",
        "{comp} to go with my {base}", "best {comp} for {brand} {base}", "add ons for {base}",
        "{comp} for {model}", "matching {comp} for {base}", "extra {comp} for {base}",
    ),
    "review_info": (
        "{brand} {model} review", "is {brand} {model} worth it", "{term} reviews", "best rated {term}",
        "top {term} 2026", "how long does {brand} {model} last", "{brand} {model} specs", "{brand} {term} any good",
        "is {brand} a good brand", "{term} buying guide", "what size {term} do i need", "{brand} {model} battery life",
        "how to choose a {term}", "{model} pros and cons", "which {term} do experts recommend",
        "{brand} {term} ratings", "what do people say about {brand} {model}", "{term} recommendations",
        "is {attr} good for {term}", "how good is the {brand} {model}",
    ),
    "support": (
        "return {term}", "how do i return my {term}", "{brand} {term} warranty", "my {term} wont turn on",
        "{brand} {model} not working", "track my order", "where is my order", "refund for {term}",
        "cancel my order", "change delivery address", "{brand} {model} manual", "reset {brand} {model}",
        "{term} broken after a week", "how to contact customer service", "damaged {term} arrived",
        "exchange {term} for a different size", "order hasnt arrived", "missing parts {brand} {model}",
        "how do i set up my {brand} {model}", "warranty claim {term}", "{brand} {model} stopped charging",
        "my package is late", "wrong item delivered {term}", "invoice for my order",
    ),
}
# phrasings without a product in them have no category
NO_CATEGORY = {"track my order", "where is my order", "cancel my order", "change delivery address",
               "how to contact customer service", "order hasnt arrived", "my package is late",
               "invoice for my order", "bday gift for {recipient}", "gift for {recipient}"}
ABBREVIATIONS = {"for": "4", "with": "w/", "birthday": "bday", "christmas": "xmas", "versus": "vs",
                 "you": "u", "please": "pls", "headphones": "headphone", "television": "tv",
                 "inch": "in", "dollars": "bucks", "compare": "cmp", "review": "rvw"}
WRAPPERS = ("{q}", "{q}", "{q}", "{q}", "hi, {q}", "{q} please", "can you help me, {q}", "{q}?",
            "i was wondering, {q}", "{q} asap", "hey {q}", "{q} thanks")
LONG_WRAPPERS = ("hello, {q} because the old one broke last week and i need something soon",
                 "{q}, ideally something that ships fast and is easy to use",
                 "my friend recommended asking here: {q}")
_BY_LEAF = {c.leaf: c for c in CATEGORIES}
HELD_OUT_EVERY = 10  # every 10th phrasing of each intent appears only in the test split


def _typo(rng: np.random.Generator, text: str) -> str:
    words = text.split()
    candidates = [i for i, w in enumerate(words) if len(w) > 3 and w.isalpha()]
    if not candidates:
        return text
    i = int(rng.choice(candidates))
    w = words[i]
    j = int(rng.integers(1, len(w) - 1))
    op = rng.integers(0, 3)
    if op == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]  # swap
    elif op == 1:
        w = w[:j] + w[j + 1:]  # drop
    else:
        w = w[:j] + w[j] + w[j:]  # double
    words[i] = w
    return " ".join(words)


def _roughen(rng: np.random.Generator, text: str) -> str:
    """Make a clean query look typed: abbreviations, typos, casing, wrappers, word order."""
    if rng.random() < 0.15:
        text = " ".join(ABBREVIATIONS.get(w, w) if rng.random() < 0.7 else w for w in text.split())
    if rng.random() < 0.12:
        text = _typo(rng, text)
    words = text.split()
    if 2 <= len(words) <= 3 and rng.random() < 0.08:
        text = " ".join(words[::-1])
    r = rng.random()
    if r < 0.03:
        text = str(rng.choice(LONG_WRAPPERS)).format(q=text)
    elif r < 0.25:
        text = str(rng.choice(WRAPPERS)).format(q=text)
    r = rng.random()
    if r < 0.15:
        text = text.capitalize()
    elif r < 0.18:
        text = text.title()
    elif r < 0.19:
        text = text.upper()
    return re.sub(r"\s+", " ", text).strip()


def _fill(rng: np.random.Generator, template: str, products: pd.DataFrame) -> tuple[str, str | None]:
    """Fill one template; returns (text, category path or None)."""
    ctx: dict[str, str] = {}
    spec = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
    if "{hobby}" in template:
        hobby = str(rng.choice(list(GIFT_IDEAS)))
        spec = _BY_LEAF[str(rng.choice(GIFT_IDEAS[hobby]))]
        ctx["hobby"] = hobby
    if "{comp}" in template or "{base}" in template:
        base_leaf = str(rng.choice(list(COMPLEMENTS)))
        base = _BY_LEAF[base_leaf]
        spec = _BY_LEAF[str(rng.choice(COMPLEMENTS[base_leaf]))]
        ctx["base"] = str(rng.choice(base.terms))
        ctx["comp"] = str(rng.choice(spec.terms))
        pool = products[products[S.CATEGORY] == base.path]
    else:
        pool = products[products[S.CATEGORY] == spec.path]
    a, b = pool.sample(2, random_state=int(rng.integers(1 << 31))).to_dict("records")
    attrs_a, attrs_b = json.loads(a[S.ATTRIBUTES]), json.loads(b[S.ATTRIBUTES])
    plain = [k for k in spec.attrs if k != "colour"]
    attr_key = str(rng.choice(plain)) if plain else "colour"
    values = spec.attrs.get(attr_key, ("",))
    ctx.update(
        term=str(rng.choice(spec.terms)), noun=spec.noun.lower(), brand=a[S.BRAND], brand2=b[S.BRAND],
        model=attrs_a["model"], model2=attrs_b["model"],
        colour=str(rng.choice(spec.attrs.get("colour", ("black", "white")))),
        attr=str(rng.choice(values)), attr2=str(rng.choice(values)),
        use=str(rng.choice(spec.uses or ("everyday use",))),
        recipient=str(rng.choice(RECIPIENTS)),
        price=str(int(round(float(np.exp(rng.uniform(np.log(spec.price[0]), np.log(spec.price[1])))), -1) or 10)),
    )
    if ctx["brand"] == ctx["brand2"] and "{brand2}" in template:
        ctx["brand2"] = str(products[S.BRAND].sample(1, random_state=int(rng.integers(1 << 31))).iloc[0])
    text = template.format(**ctx).lower()
    category = None if template in NO_CATEGORY else spec.path
    return text, category


def generate_queries(rng: np.random.Generator, products: pd.DataFrame, per_intent: int = 400,
                     test_fraction: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate ``per_intent`` unique queries per intent and split them into train and test.

    Returns:
        (train, test): schema "queries" frames plus a ``template`` column naming the phrasing.
        No test text occurs in train.
    """
    rows: list[dict] = []
    seen: set[str] = set()
    for intent, templates in TEMPLATES.items():
        made, tries = 0, 0
        while made < per_intent and tries < per_intent * 50:
            tries += 1
            t_idx = int(rng.integers(len(templates)))
            text, category = _fill(rng, templates[t_idx], products)
            text = _roughen(rng, text)
            if text in seen:
                continue
            seen.add(text)
            rows.append({S.TEXT: text, S.INTENT: intent, S.CATEGORY: category,
                         "template": f"{intent}/{t_idx}", "held_out": t_idx % HELD_OUT_EVERY == HELD_OUT_EVERY - 1})
            made += 1
    df = pd.DataFrame(rows).sample(frac=1.0, random_state=int(rng.integers(1 << 31))).reset_index(drop=True)
    df.insert(0, S.QUERY_ID, [f"Q{i:05d}" for i in range(1, len(df) + 1)])
    # held-out phrasings all go to test; random other queries top the test split up to its size
    n_test = int(round(test_fraction * len(df)))
    held = df.index[df["held_out"]]
    rest = df.index[~df["held_out"]]
    n_random = max(0, n_test - len(held))
    test_idx = held.append(pd.Index(rng.choice(rest, size=n_random, replace=False)))
    is_test = df.index.isin(test_idx)
    df = df.drop(columns="held_out")
    return df[~is_test].reset_index(drop=True), df[is_test].reset_index(drop=True)
