"""Faults on disk: a damaged model version (weights cut short, a manifest that is not JSON) never stops search or
recommendations; the last good version is used and every result says so."""
import json
import shutil
from dataclasses import replace

import pytest

from ecomrec import Engine
from ecomrec.models.registry import ACTIVE, MANIFEST


def _damaged_copy(registry, role: str, damage) -> tuple[str, str]:
    """A newer copy of ``role``'s active version, made active and then damaged by ``damage(folder)``.
    Returns (good version, damaged version)."""
    base = registry / role
    good = (base / ACTIVE).read_text().strip()
    bad = good + "-copy"  # sorts after the good one: the newest version
    shutil.copytree(base / good, base / bad)
    manifest = json.loads((base / bad / MANIFEST).read_text())
    (base / bad / MANIFEST).write_text(json.dumps({**manifest, "version": bad}))
    (base / ACTIVE).write_text(bad + "\n")
    damage(base / bad)
    return good, bad


def _cut_weights(folder):
    for weights in folder.rglob("*.safetensors"):
        weights.write_bytes(weights.read_bytes()[:100])  # a copy that stopped early


@pytest.fixture
def engine_with(search_env, encoder, tmp_path):
    """An engine over a private copy of ``search_env``'s registry, after ``damage`` was done to it."""
    data, registry = search_env

    def make(role: str, damage):
        root = tmp_path / "registry"
        shutil.copytree(registry, root)
        versions = _damaged_copy(root / data.name, role, damage)
        engine = Engine.load(data)
        return Engine(engine.catalog.data, replace(engine.config, registry_dir=root), encoder), versions

    return make


def test_a_reranker_cut_short_gives_way_to_the_last_good_one_and_search_says_so(engine_with, search_engine):
    engine, (good, bad) = engine_with("reranker", _cut_weights)
    result = engine.search("waterproof tent", k=5)
    expected = search_engine.search("waterproof tent", k=5)  # the same models, undamaged
    assert [it.product_id for it in result.items] == [it.product_id for it in expected.items]
    assert result.notices[0].startswith(f"The active Reranker (cross-encoder) version {bad} cannot be read "
                                        "(SafetensorError")
    assert f"the last good version {good} is used" in result.notices[0]
    assert engine.models.active("reranker") == bad  # the marker is left for the user to change


def test_a_sequential_model_with_a_broken_manifest_is_skipped_and_recommendations_say_so(engine_with, search_engine):
    engine, (good, bad) = engine_with("sequential", lambda folder: (folder / MANIFEST).write_text("{not json"))
    assert [m.version for m in engine.models.versions("sequential")] == [good]
    history = search_engine.catalog.events.head(5)
    recs = engine.recommend(history, kind="browse", k=5)
    expected = search_engine.recommend(history, kind="browse", k=5)
    assert [it.product_id for it in recs.items] == [it.product_id for it in expected.items]
    assert recs.notices[0].startswith("The active ")
    assert f"version {bad} cannot be read" in recs.notices[0] and good in recs.notices[0]
