"""The shipped sample data meets the shape a realistic demo needs, and regenerates identically."""
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
    assert p[S.DESCRIPTION].nunique() > 0.95 * len(p)
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
