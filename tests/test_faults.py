"""Faults: a damaged model version (weights cut short, a manifest that is not JSON) never stops search or
recommendations, the last good version is used and every result says so; an import or a training killed halfway
(SIGKILL) leaves every data set and the registry consistent, and the next run works."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from ecomrec import Engine
from ecomrec import schema as S
from ecomrec.annotation.store import Label, Store
from ecomrec.data.loaders import load_dataset, write_dataset
from ecomrec.models.intent import IntentConfig
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


# ---- processes killed halfway (a real SIGKILL, at a chosen point) ----

def _run_killed(code: str, **env) -> None:
    """Run ``code`` in a new Python process that kills itself (SIGKILL: no clean-up runs) where the code says."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env={**os.environ, **env}, timeout=300,
                          capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]


_KILL_ON_NTH = """
    import os, signal
    import pandas as pd
    from ecomrec.data import loaders
    from ecomrec.data.loaders import load_dataset, write_dataset

    calls = [0]
    real = getattr({module}, "{name}")
    def dying(*args, **kwargs):
        calls[0] += 1
        if calls[0] == {n}:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)
    setattr({module}, "{name}", dying)
    source = load_dataset(os.environ["SOURCE"])
    write_dataset(os.environ["INTO"], {{"products": source.products, "events": source.events,
                                        "queries": source.queries}})
"""


def _listed(data_root) -> list[str]:
    from ecomrec.ui.state import available_datasets

    return [Path(folder).name for folder in available_datasets().values() if Path(folder).parent == data_root]


def test_an_import_killed_before_its_files_are_whole_leaves_no_data_set_and_an_old_one_as_it_was(
        tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMREC_DATA", str(tmp_path))
    # a new data set: killed while writing its second file
    _run_killed(_KILL_ON_NTH.format(module="pd.DataFrame", name="to_csv", n=2),
                SOURCE=str(tiny_dir), INTO=str(tmp_path / "new_shop"))
    assert _listed(tmp_path) == []
    assert not (tmp_path / "new_shop" / "products.csv").exists()
    # an existing data set (two products): killed the same way while importing the tiny shop over it
    before = load_dataset(tiny_dir)
    write_dataset(tmp_path / "old_shop", {"products": before.products.head(2), "events": before.events.head(0)})
    _run_killed(_KILL_ON_NTH.format(module="pd.DataFrame", name="to_csv", n=2),
                SOURCE=str(tiny_dir), INTO=str(tmp_path / "old_shop"))
    after = load_dataset(tmp_path / "old_shop")
    assert list(after.products[S.PRODUCT_ID]) == list(before.products[S.PRODUCT_ID].head(2))
    assert len(after.events) == 0 and len(after.queries) == 0
    assert _listed(tmp_path) == ["old_shop"]


def test_an_import_killed_while_moving_its_files_in_is_finished_by_the_next_reader(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMREC_DATA", str(tmp_path))
    # os.replace calls: 1 the ".complete" mark, 2 events.csv moved in, 3 killed before queries.csv (products last)
    _run_killed(_KILL_ON_NTH.format(module="loaders.os", name="replace", n=3),
                SOURCE=str(tiny_dir), INTO=str(tmp_path / "shop"))
    assert not (tmp_path / "shop" / "products.csv").exists()  # products move last: not a data set yet
    assert _listed(tmp_path) == ["shop"]  # listing the data sets finishes the move
    source, got = load_dataset(tiny_dir), load_dataset(tmp_path / "shop")
    assert len(got.products) == len(source.products) and len(got.events) == len(source.events)
    assert len(got.queries) == len(source.queries)
    assert not list((tmp_path / "shop").glob(".staging-*"))


def test_training_killed_mid_epoch_leaves_the_registry_as_it_was_and_the_next_run_works(search_env, encoder,
                                                                                           tmp_path):
    data, registry = search_env
    root = tmp_path / "registry"
    shutil.copytree(registry, root)
    base = root / data.name / "intent"
    before = sorted(p.name for p in base.iterdir())
    active = (base / ACTIVE).read_text()
    _run_killed("""
        import os, signal
        from dataclasses import replace
        from ecomrec import Engine
        from ecomrec.models.intent import IntentConfig

        engine = Engine.load(os.environ["DATA"])
        engine = Engine(engine.catalog.data, replace(engine.config, registry_dir=os.environ["ROOT"]))
        def progress(p):
            if p.step == 2:  # epoch 1 of 2, two steps into it
                os.kill(os.getpid(), signal.SIGKILL)
        engine.models.train("intent", IntentConfig(epochs=2, batch_size=16, val_fraction=0.25), progress)
    """, DATA=str(data), ROOT=str(root))
    assert sorted(p.name for p in base.iterdir()) == before
    assert (base / ACTIVE).read_text() == active
    engine = Engine.load(data)
    engine = Engine(engine.catalog.data, replace(engine.config, registry_dir=root), encoder)
    assert engine.search("tent for 2 people", k=3).items and not engine.search("tent", k=3).notices
    manifest = engine.models.train("intent", IntentConfig(epochs=1, batch_size=16, val_fraction=0.25),
                                   activate=True)
    assert sorted(p.name for p in base.iterdir()) == sorted([*before, manifest.version])
    assert (base / ACTIVE).read_text().strip() == manifest.version


# ---- annotators' processes killed while they write, then restarted ----

_ANNOTATE = """
    import os
    from ecomrec.annotation.store import Store

    store = Store(os.environ["STORE"])
    name = os.environ["ANNOTATOR"]
    input()  # all start together
    while True:
        queue = store.queue_candidates("types", name)
        if queue.empty:
            break
        record = int(queue["id"].iloc[0])
        store.respond(record, "types", name, ("product", "question", "order")[record % 3])
        print("ack", record, flush=True)  # the page shows the next record only once the answer is stored
"""


def _annotators(path, names) -> list[subprocess.Popen]:
    workers = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(_ANNOTATE)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env={**os.environ, "STORE": str(path),
                                                                        "ANNOTATOR": name}) for name in names]
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    return workers


def _acks(out: str) -> list[int]:
    return [int(line.split()[1]) for line in out.splitlines() if line.startswith("ack ")]


def test_annotators_killed_while_writing_lose_no_stored_answer_and_two_tabs_of_one_answer_each_record_once(tmp_path):
    path = tmp_path / "labels.sqlite"
    store = Store(path)
    store.create_label_set("types", "custom", [Label("product"), Label("question"), Label("order")])
    store.add_records([f"query {k}" for k in range(300)], source="test")
    names = ["ana", "ana", "ben"]  # ana works in two browser tabs at once
    workers = _annotators(path, names)
    acked: dict[str, list[int]] = {"ana": [], "ben": []}
    for _ in range(30):  # let them get well into their queues, then kill them all at once
        for name, worker in zip(names, workers):
            acked[name].extend(_acks(worker.stdout.readline()))
    for worker in workers:
        worker.send_signal(signal.SIGKILL)
    for name, worker in zip(names, workers):
        acked[name].extend(_acks(worker.stdout.read()))
        worker.wait(30)
        assert worker.returncode == -signal.SIGKILL
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    answers = store.responses("types")
    assert not answers.duplicated(["record_id", "annotator"]).any()
    for name, records in acked.items():  # every answer a tab saw stored is there, once
        assert set(records) <= set(answers.loc[answers["annotator"] == name, "record_id"])
    # the server comes back: each annotator goes on where they were and finishes the queue
    for worker in _annotators(path, names):
        worker.communicate(timeout=120)
        assert worker.returncode == 0
    answers = store.responses("types")
    assert not answers.duplicated(["record_id", "annotator"]).any()
    assert answers.groupby("annotator")["record_id"].nunique().to_dict() == {"ana": 300, "ben": 300}
    assert (answers["label"] == answers["record_id"].map(lambda r: ("product", "question", "order")[r % 3])).all()
