"""The shipped sample data meets the shape a realistic demo needs, and regenerates identically."""
import json
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.config import SAMPLE_DATA_DIR
from ecomrec.data.loaders import load_dataset
from ecomrec.data.sample.catalog_spec import CATEGORIES, COMPLEMENTS
from ecomrec.data.sample.generate import SampleConfig, generate


def test_catalog_is_broad_and_varied(sample):
    c = sample.counts()
    assert c["products"] >= 3000 and c["categories"] >= 24 and c["departments"] >= 6 and c["brands"] >= 150
    p = sample.products
    assert p[S.TITLE].is_unique
    # descriptions differ in substance: few products share their whole description
    assert p[S.DESCRIPTION].nunique() >= 0.97 * len(p)
    sentences = p[S.DESCRIPTION].str.count(r"\.")
    assert sentences.between(2, 5).mean() > 0.95
    # prices are category-plausible: a smartphone costs more than a phone case, typically
    med = p.groupby(S.CATEGORY)[S.PRICE].median()
    assert med["Electronics > Phones > Smartphones"] > 5 * med["Electronics > Phone Accessories > Phone Cases"]
    # popularity is long-tailed: the top 10 % of products draw far more than 10 % of interest
    pop = np.sort(p[S.POPULARITY].to_numpy())[::-1]
    assert pop[: len(pop) // 10].sum() > 0.3 * pop.sum()


def test_queries_cover_every_intent_with_a_clean_held_out_split(sample):
    q, t = pd.concat([sample.queries, sample.queries_val]), sample.queries_test
    assert len(q) + len(t) >= 2400
    counts = Counter(q[S.INTENT]) + Counter(t[S.INTENT])
    assert set(counts) == set(S.INTENTS) and min(counts.values()) >= 200
    texts = list(q[S.TEXT]) + list(t[S.TEXT])
    assert 1 - len(set(texts)) / len(texts) <= 0.03
    assert not set(t[S.TEXT]) & set(q[S.TEXT])
    assert q[S.TEXT].str.split().str.len().max() >= 10  # from one word to whole sentences
    assert (q[S.TEXT].str.split().str.len() == 1).any()


def test_events_come_from_many_shoppers_with_position_bias(sample):
    e = sample.events
    assert len(e) >= 40_000 and e[S.USER_ID].nunique() >= 1500
    assert set(e[S.EVENT_TYPE]) == set(S.EVENT_TYPES)
    clicks = e[e[S.EVENT_TYPE] == "click"]
    by_pos = clicks[S.POSITION].value_counts()
    assert by_pos[0] > 2 * by_pos[5]  # people look at the top of the list more
    assert clicks[S.QUERY].notna().all()
    assert len(sample.promotions) >= 60


def test_baskets_carry_complement_signal(sample):
    """Sessions that buy a category buy its complements far more often than other sessions do."""
    path = {c.leaf: c.path for c in CATEGORIES}
    bought = sample.events[sample.events[S.EVENT_TYPE] == "purchase"].merge(
        sample.products[[S.PRODUCT_ID, S.CATEGORY]], on=S.PRODUCT_ID)
    baskets = bought.groupby(S.SESSION_ID)[S.CATEGORY].agg(set)
    base, comps = path["Tents"], {path[c] for c in COMPLEMENTS["Tents"]}
    with_base = baskets[baskets.map(lambda b: base in b)]
    without = baskets[baskets.map(lambda b: base not in b)]
    rate_with = with_base.map(lambda b: bool(b & comps)).mean()
    rate_without = without.map(lambda b: bool(b & comps)).mean()
    assert rate_with > 5 * rate_without


def test_shipped_files_are_small_enough():
    assert sum(f.stat().st_size for f in SAMPLE_DATA_DIR.rglob("*") if f.is_file()) < 20 * 2**20


@pytest.mark.slow
def test_generator_is_deterministic(tmp_path):
    small = SampleConfig(seed=3, n_products=1500, queries_per_intent=30, n_shoppers=60, n_promotions=10)
    generate(tmp_path / "a", small)
    generate(tmp_path / "b", small)
    files = [f for f in (tmp_path / "a").rglob("*") if f.is_file()]
    assert "qrels.csv.gz" in {f.name for f in files}  # the hidden judgments are regenerated too
    for f in files:
        twin = tmp_path / "b" / f.relative_to(tmp_path / "a")
        assert f.read_bytes() == twin.read_bytes(), f.name
    assert load_dataset(tmp_path / "a").counts()["products"] >= 1475


def test_descriptions_use_varied_wording(sample):
    """At least 3,000 distinct words, and no sentence pattern (attribute values and numbers masked) in over 2 %."""
    p = sample.products
    words = {w for d in p[S.DESCRIPTION].fillna("") for w in re.findall(r"[a-z]+", d.lower())}
    assert len(words) >= 3000
    patterns: Counter = Counter()
    for desc, attrs in zip(p[S.DESCRIPTION].fillna(""), p[S.ATTRIBUTES]):
        values = sorted((str(v) for v in json.loads(attrs).values()), key=len, reverse=True)
        for sentence in set(re.split(r"(?<=\.)\s+", desc)):
            for v in values:
                sentence = sentence.replace(v, "{}")
            patterns[re.sub(r"\d+", "#", sentence)] += 1
    pattern, count = patterns.most_common(1)[0]
    assert count <= 0.02 * len(p), pattern


def test_some_queries_describe_a_use_instead_of_the_value(sample):
    """"jacket that keeps me dry in a downpour": its Exact products are rain jackets, a word it never says."""
    from ecomrec.data.qrels import load_qrels
    from ecomrec.data.sample.queries import USE_PHRASES

    phrases = {ph: value for (_, _, value), phs in USE_PHRASES.items() for ph in phs}
    test = sample.queries_test[S.TEXT]
    described = [(q, next(v for ph, v in phrases.items() if ph in q)) for q in test if any(ph in q for ph in phrases)]
    assert len(described) >= 10
    qrels = load_qrels(SAMPLE_DATA_DIR)
    attrs = dict(zip(sample.products[S.PRODUCT_ID], sample.products[S.ATTRIBUTES].map(json.loads)))
    for q, value in described:
        exact = qrels[(qrels[S.QUERY] == q) & (qrels["label"] == "E")][S.PRODUCT_ID]
        assert len(exact) and all(value in attrs[pid].values() for pid in exact), q
        assert value.lower() not in q
