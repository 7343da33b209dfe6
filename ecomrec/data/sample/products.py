"""Generate a realistic sample catalog: brands, titles, descriptions, attributes, prices, ratings."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.data.sample.catalog_spec import CATEGORIES, CategorySpec
from ecomrec.data.sample.wording import closer, detail, use_sentence, vary

_SYLLABLES_A = ("Vel", "Nor", "Alt", "Kor", "Zen", "Lum", "Tri", "Mar", "Sol", "Ori", "Bra", "Cal", "Dex",
                "Fen", "Gra", "Hal", "Ix", "Jor", "Kel", "Lin", "Mon", "Nev", "Opt", "Pax", "Quin", "Rho",
                "Sky", "Tor", "Ul", "Vox", "Wen", "Yar", "Zef", "Ash", "Bel", "Cor", "Dun", "Eld", "Fal")
_SYLLABLES_B = ("ora", "vik", "ura", "tex", "ly", "ix", "on", "ana", "era", "io", "ent", "ova", "ar",
                "wick", "stone", "field", "co", "aro", "ine", "ell", "ax", "is", "eon", "ada")
_MODEL_WORDS = ("Summit", "Ridge", "Aurora", "Nomad", "Pulse", "Horizon", "Drift", "Atlas", "Ember",
                "Glacier", "Sierra", "Comet", "Harbor", "Meadow", "Falcon", "Canyon", "Breeze", "Orbit",
                "Cascade", "Timber", "Voyager", "Zephyr", "Solstice", "Tundra", "Coral", "Mesa")
_MODEL_SUFFIX = ("", "", "", " Pro", " Max", " Lite", " Plus", " Air", " 2", " 3", " Elite", " Mini", " Ultra")
def make_brands(rng: np.random.Generator, departments: list[str], per_department: int = 30) -> dict[str, list[str]]:
    """Invent distinct, pronounceable brand names, a pool per department."""
    used: set[str] = set()
    pools: dict[str, list[str]] = {}
    for dep in departments:
        pool: list[str] = []
        while len(pool) < per_department:
            name = str(rng.choice(_SYLLABLES_A)) + str(rng.choice(_SYLLABLES_B))
            if rng.random() < 0.15:
                name += str(rng.choice((" Labs", " & Co", " Works", " Home")))
            if name not in used:
                used.add(name)
                pool.append(name)
        pools[dep] = pool
    return pools


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def _model_name(rng: np.random.Generator, spec: CategorySpec) -> str:
    if spec.model_style == "word":
        return str(rng.choice(_MODEL_WORDS)) + str(rng.choice(("", "", " II", " Trail", " Classic", " Everyday")))
    if spec.model_style == "number":
        return str(int(rng.integers(100, 9999)))
    letters = "".join(rng.choice(list("ABCDEFGHJKLMNPRSTVXZ"), size=int(rng.integers(1, 3))))
    return f"{letters}{int(rng.integers(1, 99))}{rng.choice(_MODEL_SUFFIX)}"


def _price(rng: np.random.Generator, spec: CategorySpec, tier: float) -> float:
    lo, hi = np.log(spec.price[0]), np.log(spec.price[1])
    # brand tier (0 budget .. 1 premium) shifts the centre; noise keeps ranges overlapping
    centre = lo + (hi - lo) * (0.2 + 0.6 * tier)
    value = float(np.exp(np.clip(rng.normal(centre, (hi - lo) / 6), lo, hi)))
    return max(1.99, round(value) - 0.01)  # shop prices end in .99


def generate_products(rng: np.random.Generator, n_products: int) -> pd.DataFrame:
    """Generate ``n_products`` products spread over the spec's categories.

    Brands get a latent quality tier (0 budget .. 1 premium) that shifts their prices and ratings.

    Returns:
        The products frame (schema "products"; popularity is filled later from events).
    """
    departments = sorted({c.department for c in CATEGORIES})
    pools = make_brands(rng, departments)
    brand_tier: dict[str, float] = {}
    weights = rng.uniform(0.6, 1.4, size=len(CATEGORIES))
    counts = np.maximum(25, np.round(weights / weights.sum() * n_products)).astype(int)
    rows: list[dict] = []
    for spec, count in zip(CATEGORIES, counts):
        brands = list(rng.choice(pools[spec.department], size=spec.n_brands, replace=False))
        for b in brands:
            brand_tier.setdefault(b, float(rng.beta(2, 2)))
        brand_share = rng.dirichlet(np.full(len(brands), 0.8))  # a few brands dominate a category
        seen_titles: set[str] = set()
        made = 0
        while made < count:
            brand = str(rng.choice(brands, p=brand_share))
            attrs = {k: str(rng.choice(v)) for k, v in spec.attrs.items()}
            model = _model_name(rng, spec)
            title_bits = [attrs[k] for k in list(spec.attrs)[:2]]
            title = f"{brand} {model} {spec.noun}, " + ", ".join(title_bits)
            if title in seen_titles:
                continue
            seen_titles.add(title)
            n_feat = int(rng.integers(2, min(4, len(spec.features)) + 1))
            picked = rng.choice(len(spec.features), n_feat, replace=False)
            feats = [vary(rng, _sentence(spec.features[i].format(**attrs))) for i in picked][:3]
            if spec.uses and rng.random() < 0.5:
                feats.append(use_sentence(rng, str(rng.choice(spec.uses))))
            if len(feats) < 4 or rng.random() < 0.5:
                feats = feats[:3] + [detail(rng)]
            if len(feats) < 4 or rng.random() < 0.3:  # at most five sentences
                feats.append(closer(rng))
            description = " ".join(feats)
            quality = np.clip(brand_tier[brand] + rng.normal(0, 0.2), 0, 1)
            rating = float(np.clip(rng.normal(3.4 + 1.3 * quality, 0.35), 1.0, 5.0))
            rows.append({
                S.TITLE: title,
                S.DESCRIPTION: description,
                S.CATEGORY: spec.path,
                S.BRAND: brand,
                S.PRICE: _price(rng, spec, brand_tier[brand]),
                S.CURRENCY: "USD",
                S.RATING: round(rating, 1),
                S.RATING_COUNT: int(rng.pareto(1.2) * 20) + int(rng.integers(0, 5)),
                S.ATTRIBUTES: json.dumps({**attrs, "model": model}),
                S.IMAGE_URL: None,
                S.POPULARITY: 0.0,
            })
            made += 1
    df = pd.DataFrame(rows)
    order = rng.permutation(len(df))  # ids carry no category information
    df = df.iloc[order].reset_index(drop=True)
    df.insert(0, S.PRODUCT_ID, [f"P{i:05d}" for i in range(1, len(df) + 1)])
    return df
