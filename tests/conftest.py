"""Shared fixtures: the packaged MiniLM once per session, tiny data sets, a private cache."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

# before ecomrec is imported: never touch the network, never write the developer's cache
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["ECOMREC_CACHE"] = tempfile.mkdtemp(prefix="ecomrec-test-cache-")
os.environ["ECOMREC_REGISTRY"] = tempfile.mkdtemp(prefix="ecomrec-test-registry-")
os.environ["ECOMREC_ANNOTATIONS"] = tempfile.mkdtemp(prefix="ecomrec-test-annotations-")
# scores checked by hand are PyTorch fp32's; the ONNX runtimes (the app's CPU default) have tests of their own
os.environ["ECOMREC_RUNTIME"] = "torch"
# no engine warms itself in the background while a test searches (tests/test_engine.py checks the warming itself)
os.environ["ECOMREC_WARM"] = "0"

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ecomrec import schema as S  # noqa: E402
from ecomrec.config import SAMPLE_DATA_DIR, SHARED_DATA_DIR  # noqa: E402
from ecomrec.data.loaders import load_dataset, write_dataset  # noqa: E402


@pytest.fixture(scope="session")
def encoder():
    """The packaged all-MiniLM-L6-v2, loaded once."""
    from ecomrec.models.encoder import Encoder

    return Encoder()


@pytest.fixture(scope="session")
def sample():
    """The shipped sample data set."""
    return load_dataset(SAMPLE_DATA_DIR)


@pytest.fixture(scope="session")
def tiny_dir(sample, tmp_path_factory) -> Path:
    """A small real slice of the sample shop: 4 categories, their events, queries, promotions."""
    cats = ["Sports & Outdoors > Camping > Tents", "Sports & Outdoors > Camping > Sleeping Bags",
            "Electronics > Phones > Smartphones", "Home & Kitchen > Coffee > Coffee Makers"]
    p = sample.products[sample.products[S.CATEGORY].isin(cats)].groupby(S.CATEGORY).head(30)
    ids = set(p[S.PRODUCT_ID])
    e = sample.events[sample.events[S.PRODUCT_ID].isin(ids)]
    q = sample.queries[sample.queries[S.CATEGORY].isin(cats)].head(60)
    qt = sample.queries_test[sample.queries_test[S.CATEGORY].isin(cats)].head(20)
    pr = sample.promotions[sample.promotions[S.PRODUCT_ID].isin(ids) | sample.promotions[S.CATEGORY].isin(cats)]
    out = tmp_path_factory.mktemp("tiny")
    write_dataset(out, {"products": p, "events": e, "queries": q, "queries_test": qt, "promotions": pr})
    return out


SHOP_LEAVES = ("Tents", "Sleeping Bags", "Camping Lights", "Smartphones", "Phone Cases", "Coffee Makers",
               "Coffee Beans", "Dog Food", "Dog Toys", "Yoga Mats", "Yoga Blocks", "Bikes", "Bike Lights")


@pytest.fixture(scope="session")
def shop_dir(sample, tmp_path_factory) -> Path:
    """A slice of the sample shop with enough categories that baskets show complements (tents with
    sleeping bags bought together above chance): 13 categories of 30 products and their events."""
    cats = [c for c in sample.products[S.CATEGORY].unique() if c.split(" > ")[-1] in SHOP_LEAVES]
    p = sample.products[sample.products[S.CATEGORY].isin(cats)].groupby(S.CATEGORY).head(30)
    ids = set(p[S.PRODUCT_ID])
    out = tmp_path_factory.mktemp("shop")
    write_dataset(out, {
        "products": p, "events": sample.events[sample.events[S.PRODUCT_ID].isin(ids)],
        "queries": sample.queries[sample.queries[S.CATEGORY].isin(cats)].head(60),
        "queries_test": sample.queries_test[sample.queries_test[S.CATEGORY].isin(cats)].head(20),
        "promotions": sample.promotions[sample.promotions[S.PRODUCT_ID].isin(ids)
                                        | sample.promotions[S.CATEGORY].isin(cats)]})
    return out


@pytest.fixture(scope="session")
def shop_engine(shop_dir, search_env, encoder):
    """An Engine over ``shop_dir`` with a sequential model of its own (in ``search_env``'s registry root, under
    the shop's name: models belong to a data set), sharing the session's encoder."""
    from dataclasses import replace

    from ecomrec import Engine
    from ecomrec.models.sequential import SequentialConfig

    engine = Engine.load(shop_dir)
    engine = Engine(engine.catalog.data, replace(engine.config, registry_dir=search_env[1]), encoder)
    if engine.models.registry.active("sequential") is None:
        engine.models.train("sequential", SequentialConfig(epochs=2, batch_size=32))
    return engine


@pytest.fixture(scope="session")
def tiny_engine(tiny_dir, encoder):
    """An Engine over the tiny data set, sharing the session's encoder."""
    from ecomrec import Engine

    return Engine.load(tiny_dir, encoder=encoder)  # one model load per session


@pytest.fixture(scope="session")
def search_env(tiny_dir, tmp_path_factory):
    """A copy of the tiny data set with its own registry: quickly trained intent model, reranker and sequential model.

    Returns (data folder, registry folder). Separate from the session registry, so pages that start
    from an empty registry (Train) still do.
    """
    import shutil
    from dataclasses import replace

    from ecomrec import Engine
    from ecomrec.models.intent import IntentConfig
    from ecomrec.models.reranker import RerankerConfig
    from ecomrec.models.sequential import SequentialConfig

    data = tmp_path_factory.mktemp("search") / "tiny_search"
    shutil.copytree(tiny_dir, data)
    registry = tmp_path_factory.mktemp("search_registry")
    engine = Engine.load(data)
    engine = Engine(engine.catalog.data, replace(engine.config, registry_dir=registry))
    engine.models.train("intent", IntentConfig(epochs=2, batch_size=16, val_fraction=0.25))
    engine.models.train("reranker", RerankerConfig(epochs=1, batch_size=16, student_layers=0))
    engine.models.train("sequential", SequentialConfig(epochs=2, batch_size=32))
    return data, registry


@pytest.fixture(scope="session")
def search_engine(search_env, encoder):
    """An Engine over ``search_env`` with its trained models, sharing the session's encoder."""
    from dataclasses import replace

    from ecomrec import Engine

    data, registry = search_env
    engine = Engine.load(data)
    engine = Engine(engine.catalog.data, replace(engine.config, registry_dir=registry), encoder)
    return engine


def shared(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test when it is absent."""
    path = SHARED_DATA_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


def write_csv(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path
