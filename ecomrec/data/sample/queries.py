"""Generate labelled shopping queries the way people type them.

Each intent has many phrasings (templates) filled from the real catalog (brands, models, terms,
attribute values) and then roughed up: typos, abbreviations, dropped words, word order, casing.
The split is by phrasing: every fourth template of each intent is held out, and all of its
queries form the test split, so no test template, phrasing or template-noun pairing occurs in
training. Queries of the training templates are split at random into training and validation (the
validation split is where choices are made, and where the seen-phrasing score is measured).

Each query also records what it asks for (:class:`~ecomrec.data.sample.relevance.Asks`: category,
brand, model, attribute values, price bound), from which the hidden graded relevance is derived.
A share of queries names colours by a synonym the catalog never uses ("crimson" for red): lexically
hard on purpose.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.data.sample.catalog_spec import CATEGORIES, COMPLEMENTS, GIFT_IDEAS, RECIPIENTS
from ecomrec.data.sample.relevance import Asks

TEMPLATES: dict[str, tuple[str, ...]] = {
    "browse": (
        "{term}", "{colour} {term}", "{term} for {use}", "{attr} {term}", "show me {term}",
        "{brand} {term}", "{brand}", "new {term}", "{term} {attr}", "looking for a {term}",
        "i need a new {term}", "{term} in {colour}", "any {colour} {term}", "{term} collection",
        "browse {term}", "{term} for {use} {colour}", "{attr} {colour} {term}", "latest {term}",
        "{brand} {term} range", "what {term} do you have", "need a {term} {attr}", "recommend a {term} {attr}",
        "best {term} {attr}",
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
        "{term} deals this week", "cheapest {term} with {attr}", "{term} max ${price}", "cheap {term} {attr}",
        "{term} {attr} on sale",
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
        "is {attr} good for {term}", "how good is the {brand} {model}", "which {term} {attr} is best",
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
# what a shopper says when they describe the use instead of naming the attribute value: none of these
# phrases shares a word with the value it stands for, so only meaning connects them
USE_PHRASES: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("Tents", "season", "4-season"): ("that survives a winter storm", "for snow camping", "for winter mountaineering"),
    ("Tents", "season", "3-season"): ("for summer festivals", "for fair-weather camping"),
    ("Tents", "capacity", "2-person"): ("for me and my partner", "for a couple"),
    ("Tents", "capacity", "6-person"): ("for a big family", "that sleeps the whole family"),
    ("Sleeping Bags", "rating", "-5°C"): ("for freezing nights", "warm enough for winter"),
    ("Sleeping Bags", "rating", "10°C"): ("for warm summer nights",),
    ("Running Shoes", "terrain", "trail"): ("for muddy forest paths", "for off-road runs"),
    ("Running Shoes", "terrain", "road"): ("for pavement running", "for city marathons"),
    ("Bikes", "type", "electric"): ("with pedal assist", "that helps me up hills"),
    ("Bikes", "type", "mountain"): ("for downhill singletrack",),
    ("Jackets", "type", "rain"): ("that keeps me dry in a downpour",),
    ("Jackets", "type", "puffer"): ("warm enough for snow",),
    ("Moisturisers", "skin", "dry skin"): ("for flaky cheeks", "for tight itchy faces"),
    ("Moisturisers", "skin", "oily skin"): ("for a shiny t-zone",),
    ("Moisturisers", "skin", "sensitive skin"): ("that won't cause redness",),
    ("Shampoo", "hair", "curly hair"): ("for ringlets and coils",),
    ("Shampoo", "hair", "coloured hair"): ("that keeps dye from fading",),
    ("Coffee Makers", "type", "espresso"): ("for making lattes at home",),
    ("Coffee Makers", "type", "pod"): ("that takes capsules",),
    ("Coffee Beans", "roast", "dark roast"): ("bold and smoky",),
    ("Vacuum Cleaners", "type", "robot"): ("that cleans while i'm out",),
    ("Vacuum Cleaners", "type", "cordless stick"): ("without a cable",),
    ("Headphones", "type", "in-ear"): ("buds for the gym",),
    ("Headphones", "type", "over-ear"): ("that cover my ears fully",),
    ("Printers", "type", "laser"): ("for hundreds of pages a day",),
    ("Cat Litter", "type", "clumping clay"): ("that forms scoopable lumps",),
    ("Dog Food", "recipe", "grain-free turkey"): ("for a dog with a wheat allergy",),
    ("Office Chairs", "material", "mesh"): ("that keeps my back cool",),
    ("Yoga Mats", "thickness", "8mm"): ("with extra cushioning for bad knees",),
    ("Sunscreen", "spf", "SPF 50"): ("with maximum protection for a beach holiday",),
}
USE_RATE = 0.8  # share of eligible queries (an attribute and a product word) that describe the use instead
_BY_LEAF = {c.leaf: c for c in CATEGORIES}
_USE_LEAVES = sorted({leaf for leaf, _, _ in USE_PHRASES})
HELD_OUT_EVERY = 4  # every 4th phrasing of each intent appears only in the test split (~25 % of queries)
VAL_FRACTION = 0.12  # of the training phrasings' queries: where choices are made and seen phrasings are scored
SYNONYM_RATE = 0.35  # share of colour mentions written with a word no product uses
# colour words shoppers use that the catalog never does (it says "red", they type "crimson")
COLOUR_SYNONYMS = {"black": ("jet", "ebony", "onyx"), "white": ("ivory", "snow", "cream"),
                   "silver": ("chrome", "metallic"), "navy": ("dark blue", "midnight"),
                   "red": ("crimson", "scarlet", "cherry"), "blue": ("cobalt", "azure", "sky"),
                   "green": ("olive", "emerald", "sage"), "grey": ("charcoal", "slate", "ash"),
                   "pink": ("rose", "blush", "fuchsia"), "beige": ("tan", "sand", "camel"),
                   "clear": ("transparent", "see-through")}


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


def _fill(rng: np.random.Generator, template: str, products: pd.DataFrame) -> tuple[str, str | None, Asks | None]:
    """Fill one template; returns (text, category path or None, what the query asks for or None)."""
    ctx: dict[str, str] = {}
    spec = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
    if "{hobby}" in template:
        hobby = str(rng.choice(list(GIFT_IDEAS)))
        spec = _BY_LEAF[str(rng.choice(GIFT_IDEAS[hobby]))]
        ctx["hobby"] = hobby
    accessory = "{comp}" in template or "{base}" in template
    if "{attr}" in template and "{term}" in template and "{hobby}" not in template and rng.random() < 0.5:
        spec = _BY_LEAF[str(rng.choice(_USE_LEAVES))]  # an attribute shoppers often describe by its use
    if accessory:
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
    colour = str(rng.choice(spec.attrs.get("colour", ("black", "white"))))
    ctx.update(
        term=str(rng.choice(spec.terms)), noun=spec.noun.lower(), brand=a[S.BRAND], brand2=b[S.BRAND],
        model=attrs_a["model"], model2=attrs_b["model"], colour=colour,
        attr=str(rng.choice(values)), attr2=str(rng.choice(values)),
        use=str(rng.choice(spec.uses or ("everyday use",))),
        recipient=str(rng.choice(RECIPIENTS)),
        price=str(int(round(float(np.exp(rng.uniform(np.log(spec.price[0]), np.log(spec.price[1])))), -1) or 10)),
    )
    if ctx["brand"] == ctx["brand2"] and "{brand2}" in template:
        ctx["brand2"] = str(products[S.BRAND].sample(1, random_state=int(rng.integers(1 << 31))).iloc[0])
    if "{colour}" in template and colour in COLOUR_SYNONYMS and rng.random() < SYNONYM_RATE:
        ctx["colour"] = str(rng.choice(COLOUR_SYNONYMS[colour]))
    uses = [(k, v) for (leaf, k, v) in USE_PHRASES if leaf == spec.leaf]
    if uses and not accessory and "{attr}" in template and "{term}" in template and "{attr2}" not in template \
            and rng.random() < USE_RATE:  # describe the use instead of naming the value
        attr_key, ctx["attr"] = uses[int(rng.integers(len(uses)))]
        ctx["use_phrase"] = str(rng.choice(USE_PHRASES[(spec.leaf, attr_key, ctx["attr"])]))
        template = re.sub(r"\s*(with )?\{attr\}\s*", " ", template).strip()
        template = template.replace("{term}", "{term} {use_phrase}", 1)
    text = template.format(**ctx).lower()
    if template in NO_CATEGORY:
        return text, None, None
    return text, spec.path, _asks(template, spec, ctx, colour, attr_key, accessory)


def _asks(template: str, spec, ctx: dict[str, str], colour: str, attr_key: str, accessory: bool) -> Asks:
    """What a filled template asks of a product (brand and model of an accessory's base are context, not asks)."""
    either = "{brand2}" in template or "{model2}" in template or "{attr2}" in template  # compare: either one
    brands = models = ()
    attrs: dict[str, tuple[str, ...]] = {}
    if not accessory:
        if "{brand}" in template:
            brands = (ctx["brand"], ctx["brand2"]) if either and "{brand2}" in template else (ctx["brand"],)
        if "{model}" in template:
            models = (ctx["model"], ctx["model2"]) if either and "{model2}" in template else (ctx["model"],)
        if ("{attr}" in template or "use_phrase" in ctx) and attr_key in spec.attrs:
            attrs[attr_key] = (ctx["attr"], ctx["attr2"]) if "{attr2}" in template else (ctx["attr"],)
        if "{colour}" in template and "colour" in spec.attrs:
            attrs["colour"] = (colour,)
    bound = re.search(r"(under|less than|below|max) \$?\{price\}", template)
    price_max = float(ctx["price"]) if bound else None
    return Asks(category=spec.path, brands=brands, models=models, attributes=attrs, price_max=price_max)


def generate_queries(rng: np.random.Generator, products: pd.DataFrame, per_intent: int = 400
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Asks]]:
    """Generate ``per_intent`` unique queries per intent and split them by phrasing.

    Returns:
        (train, validation, test, asks): schema "queries" frames plus a ``template`` column naming
        the phrasing; test holds exactly the held-out templates' queries; ``asks`` maps each query
        text with a category to what it asks for. No text occurs in two splits.
    """
    rows: list[dict] = []
    seen: set[str] = set()
    asks: dict[str, Asks] = {}
    for intent, templates in TEMPLATES.items():
        made, tries = 0, 0
        while made < per_intent and tries < per_intent * 50:
            tries += 1
            t_idx = int(rng.integers(len(templates)))
            text, category, ask = _fill(rng, templates[t_idx], products)
            text = _roughen(rng, text)
            if text in seen:
                continue
            seen.add(text)
            if ask is not None:
                asks[text] = ask
            rows.append({S.TEXT: text, S.INTENT: intent, S.CATEGORY: category,
                         "template": f"{intent}/{t_idx}", "held_out": t_idx % HELD_OUT_EVERY == HELD_OUT_EVERY - 1})
            made += 1
    df = pd.DataFrame(rows).sample(frac=1.0, random_state=int(rng.integers(1 << 31))).reset_index(drop=True)
    df.insert(0, S.QUERY_ID, [f"Q{i:05d}" for i in range(1, len(df) + 1)])
    is_test = df["held_out"].to_numpy()
    is_val = ~is_test & (rng.random(len(df)) < VAL_FRACTION)
    df = df.drop(columns="held_out")
    train, val, test = (df[m].reset_index(drop=True) for m in (~is_test & ~is_val, is_val, is_test))
    return train, val, test, asks
