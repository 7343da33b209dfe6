"""The facade over data and models."""
import pandas as pd
import pytest

from ecomrec import CatalogFilter, Engine
from ecomrec import schema as S


def test_engine_loads_all_tables(tiny_engine):
    c = tiny_engine.catalog.data.counts()
    assert c["products"] == 120 and c["categories"] == 4 and c["events"] > 0


def test_unknown_product_id_is_named(tiny_engine):
    with pytest.raises(KeyError, match="unknown product id 'NOPE'"):
        tiny_engine.catalog.product("NOPE")


def test_browse_filters_and_sorts(tiny_engine):
    tents = tiny_engine.catalog.browse(CatalogFilter(category="Sports & Outdoors > Camping > Tents", sort="price_low",
                                             price_max=300))
    assert len(tents) > 0 and (tents[S.PRICE] <= 300).all()
    assert tents[S.PRICE].is_monotonic_increasing
    assert tiny_engine.catalog.browse(CatalogFilter(text="zzzz-no-such")).empty


def test_similar_products_are_semantically_close(tiny_engine):
    tent = tiny_engine.catalog.browse(CatalogFilter(category="Sports & Outdoors > Camping > Tents")).iloc[0]
    sims = tiny_engine.embeddings.similar_products(tent[S.PRODUCT_ID], k=5)
    assert tent[S.PRODUCT_ID] not in set(sims[S.PRODUCT_ID])
    assert (sims[S.CATEGORY] == tent[S.CATEGORY]).sum() >= 4
    assert sims["similarity"].is_monotonic_decreasing


def test_embedding_map_places_categories_apart(tiny_engine):
    m = tiny_engine.embeddings.embedding_map()
    assert len(m) == 120 and m[["x", "y"]].notna().all().all()
    centres = m.groupby(S.CATEGORY)[["x", "y"]].mean()
    spread = m.groupby(S.CATEGORY)[["x", "y"]].std().mean().mean()
    gaps = pd.DataFrame(centres).diff().dropna().abs().mean().mean()
    assert gaps > spread  # clusters are tighter than the distance between them


def test_a_large_catalog_is_mapped_through_a_seeded_sample(tiny_dir, encoder):
    from dataclasses import replace

    from ecomrec.config import Config

    eng = Engine.load(tiny_dir, replace(Config(), map_points=50), encoder=encoder)
    m = eng.embeddings.embedding_map()
    assert len(m) == 50 and m[S.PRODUCT_ID].is_unique
    assert set(m[S.PRODUCT_ID]) <= set(eng.catalog.products[S.PRODUCT_ID])
    again = Engine.load(tiny_dir, replace(Config(), map_points=50), encoder=encoder).embeddings.embedding_map()
    assert again[S.PRODUCT_ID].tolist() == m[S.PRODUCT_ID].tolist()  # the same products on every start


def test_from_frames_validates_input():
    bad = pd.DataFrame({S.PRODUCT_ID: ["A"], S.TITLE: ["Tent"], S.CATEGORY: ["X"], S.PRICE: ["-3"]})
    with pytest.raises(S.ValidationError, match="column 'price': below minimum 0"):
        Engine.from_frames(products=bad)


def test_product_promotions_say_which_are_live_at_the_clock():
    import pandas as pd

    from ecomrec import Engine
    from ecomrec import schema as S

    products = pd.DataFrame({S.PRODUCT_ID: ["a", "b"], S.TITLE: ["Tent", "Mug"], S.CATEGORY: ["Camp", "Home"],
                             S.PRICE: [100.0, 5.0]})
    promos = pd.DataFrame({S.PROMO_ID: ["P1", "P2", "P3", "P4"], S.TITLE: ["old", "now", "soon", "mugs"],
                           S.PRODUCT_ID: ["a", "a", None, None], S.CATEGORY: [None, None, "Camp", "Home"],
                           S.DISCOUNT: [0.1, 0.2, 0.3, 0.4],
                           S.START: pd.to_datetime(["2026-01-01", "2026-03-01", "2026-03-11", "2026-01-01"]),
                           S.END: pd.to_datetime(["2026-02-01", "2026-03-10", "2026-04-01", "2026-12-01"])})
    engine = Engine.from_frames(products, promotions=promos)
    got = engine.catalog.product_promotions("a", now=pd.Timestamp("2026-03-10"))
    # ends on the 10th: still live that day (inclusive); the category's starts on the 11th
    assert list(zip(got[S.PROMO_ID], got["status"])) == [("P1", "ended"), ("P2", "live"), ("P3", "upcoming")]


def test_one_role_table_drives_the_cli_and_the_engine(tmp_path):
    from ecomrec.cli import build_parser
    from ecomrec.models.registry import Registry
    from ecomrec.roles import ROLES, get_role

    assert tuple(ROLES) == ("intent", "reranker", "biencoder", "sequential")
    assert [r.name for r in ROLES.values() if r.lora] == ["intent", "reranker"]
    assert [r.name for r in ROLES.values() if r.first_run] == ["intent", "reranker", "sequential"]
    assert ROLES["intent"].config.__name__ == "IntentConfig"
    with pytest.raises(ValueError, match="unknown model role 'nope'; trainable: \\['intent'"):
        get_role("nope")
    with pytest.raises(ValueError, match="lowercase letters and underscores only"):
        Registry(tmp_path).versions("../intent")  # the registry stores any plain role name, never a path
    args = build_parser().parse_args(["train", "sequential"])
    assert args.role == "sequential"


def test_example_queries_come_from_the_data_set_and_read_well(tiny_engine):
    examples = tiny_engine.catalog.example_queries()
    vocab = set(" ".join(tiny_engine.catalog.product_texts()).lower().split())
    queries = set(tiny_engine.catalog.queries[S.TEXT].str.lower())
    assert examples and set(examples) <= queries  # its own queries: none of another shop's
    assert all(3 <= len(e.split()) <= 6 and all(w.strip("?,.!'") in vocab for w in e.split() if len(w) > 2)
               for e in examples)
    assert examples == tiny_engine.catalog.example_queries()  # the same every time


def test_a_shop_without_queries_offers_the_start_of_its_titles():
    products = pd.DataFrame({S.PRODUCT_ID: ["a", "b", "c"], S.TITLE: ["Cotton Kurta Blue Long Sleeve", "Steel Bottle",
                                                                      "Silk Saree Red"],
                             S.CATEGORY: ["Kurtas", "Bottles", "Sarees"], S.PRICE: [1.0, 2.0, 3.0]})
    engine = Engine.from_frames(products, name="tiny-shop")
    assert sorted(engine.catalog.example_queries()) == ["cotton kurta blue long", "silk saree red", "steel bottle"]


def test_warming_does_a_first_searchs_one_time_work_and_never_encodes_a_catalog(tiny_dir, encoder, tmp_path):
    """Warming (the app does it in the background as a data set opens) reads the cached catalog embeddings, builds
    the indexes and answers the data set's first example query; a catalog not encoded yet is left to the page that
    shows the encoding's progress."""
    from dataclasses import replace

    from ecomrec.config import Config

    config = replace(Config(), cache_dir=tmp_path / "cache", registry_dir=tmp_path / "registry")
    cold = Engine.load(tiny_dir, config, encoder=encoder)
    assert cold.warm() is False
    assert not cold.embeddings.ready and not (tmp_path / "cache" / "embeddings").exists()
    cold.embeddings.catalog_embeddings()  # encoded and cached, as `build-cache` does
    engine = Engine.load(tiny_dir, config, encoder=encoder)
    assert engine.warm() is True
    assert engine.embeddings.ready and "searcher" in engine.searches.__dict__  # read and built, once
    first = engine.catalog.example_queries()[0]
    assert len(engine.searches._cache) == 1  # warming searched it: the person's first search of it is a lookup
    assert [p.product_id for p in engine.search(first).items] == \
        [p.product_id for p in cold.search(first).items]  # the same answer as without warming


def test_the_app_warms_each_data_set_it_opens_in_the_background(tiny_dir, monkeypatch):
    import threading

    from ecomrec.ui import loaders

    started = []
    monkeypatch.setattr(loaders, "WARM", True)
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append((self.name, self.daemon)))
    loaders._engine.clear()
    loaders._engine(str(tiny_dir), None)
    assert started == [("warm", True)]
    loaders._engine.clear()
