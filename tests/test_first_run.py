"""The first run's background training: what it does, what it writes, and what the app shows meanwhile."""
import fcntl
import os
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from ecomrec import first_run
from ecomrec.first_run import CART, FirstRunStatus, read_status, write_status
from ecomrec.models.training import TrainProgress
from tests.app.conftest import open_app


@contextmanager
def _held(root: Path):
    """Hold the data set's first-run lock, as its background process does while it works."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / first_run.LOCK_FILE, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _fresh_engine(tiny_engine, registry: Path):
    from ecomrec import Engine

    return Engine(tiny_engine.catalog.data, replace(tiny_engine.config, registry_dir=registry),
                  tiny_engine.embeddings.encoder)


def test_the_background_run_does_each_missing_stage_in_order_and_writes_where_it_is(tiny_engine, tmp_path):
    engine = _fresh_engine(tiny_engine, tmp_path)
    root = engine.models.registry.root
    assert first_run.stages(engine) == [CART, "intent", "reranker", "sequential"]  # nothing trained, purchases
    seen = []

    def train(role, progress):
        progress(TrainProgress(step=3, total_steps=4, epoch=1, loss=0.5))
        progress(TrainProgress(step=4, total_steps=4, epoch=1, loss=0.4))
        now = read_status(root)  # the file while this role trains
        seen.append((role, now.current, now.done, now.pid == os.getpid()))
        if role == "reranker":
            raise ValueError("no clicks to learn from")

    status = first_run.run(engine, train)
    assert seen == [("intent", "intent", (CART,), True), ("reranker", "reranker", (CART, "intent"), True),
                    ("sequential", "sequential", (CART, "intent", "reranker"), True)]
    assert read_status(root) == status
    assert status.finished and status.done == (CART, "intent", "reranker", "sequential")
    assert status.errors == {"reranker": "no clicks to learn from"}
    assert list(status.seconds) == list(status.stages) and all(v >= 0 for v in status.seconds.values())
    assert engine.recs.cart_ready()  # the cart stage really chose and saved the cart setting
    assert first_run.stages(engine) == ["intent", "reranker", "sequential"]  # (the fake trained nothing)


def test_progress_counts_the_stages_done_and_the_current_ones_part():
    now = FirstRunStatus(pid=1, stages=(CART, "intent", "reranker", "sequential"), done=(CART,), current="intent",
                         fraction=0.5)
    assert now.overall == 1.5 / 4
    assert now.label(CART) == "cart list" and now.label("reranker") == "reranker (cross-encoder)"


def test_a_run_is_at_work_only_while_its_lock_is_held_whatever_its_status_file_says(tmp_path):
    """The lock, not a pid (pids are reused, or come from another machine sharing the registry)."""
    write_status(tmp_path, FirstRunStatus(pid=os.getpid(), stages=("intent",)))  # a live pid
    assert not first_run.running(tmp_path)
    with _held(tmp_path):
        assert first_run.running(tmp_path)
    assert not first_run.running(tmp_path)
    assert not first_run.running(tmp_path / "nothing here")


def test_a_status_file_cut_short_or_from_another_version_reads_as_none(tmp_path):
    (tmp_path / first_run.STATUS_FILE).write_text('{"pid": 1, "stag')  # cut short
    assert read_status(tmp_path) is None
    write_status(tmp_path, FirstRunStatus(pid=1, stages=("intent", "a_role_of_tomorrow")))
    assert read_status(tmp_path) is None
    write_status(tmp_path, replace(FirstRunStatus(pid=1, stages=("intent",)), pid=None))
    assert read_status(tmp_path) is None
    assert read_status(tmp_path / "nothing here") is None


def test_a_second_start_while_one_is_at_work_starts_nothing(tmp_path):
    running = FirstRunStatus(pid=12345, stages=("intent",))
    write_status(tmp_path, running)
    with _held(tmp_path):
        assert first_run.start("unused", tmp_path, ["intent"]) == running
    assert first_run.start("unused", tmp_path / "other", []) is None  # nothing to do: no process
    assert not (tmp_path / "other").exists()


def _own_copy(tiny_dir, tmp_path, name: str) -> Path:
    """A copy of the tiny data set: the app caches one engine (and so one registry) per data set folder."""
    import shutil

    return Path(shutil.copytree(tiny_dir, tmp_path / name))


def test_every_page_shows_the_background_training_and_home_does_not_offer_to_train_it_again(
        tiny_dir, tmp_path, monkeypatch):
    data = _own_copy(tiny_dir, tmp_path, "shop_training")
    root = tmp_path / data.name
    write_status(root, FirstRunStatus(pid=12345, stages=(CART, "intent", "reranker"), done=(CART,),
                                      current="intent", fraction=0.5, detail="epoch 1 · step 5/10"))
    at = open_app(data, tmp_path, monkeypatch)
    with _held(root):
        at.run()
    assert not at.exception
    bar = at.sidebar.get("progress")[0].proto
    assert bar.text == ("**Training the default models in the background** (2 of 3): intent classifier · "
                        "epoch 1 · step 5/10")
    assert bar.value == 50  # (1 + 0.5) of 3 stages, in percent
    assert [i.value for i in at.info if "background" in i.value] == [
        "Training in the background now: intent classifier, reranker (cross-encoder) (how far: in the sidebar). "
        "Nothing to do here; each one is used as soon as it is ready."]
    assert not [b for b in at.button if b.label.startswith("Train the models")]
    with _held(root):
        at.switch_page("app_pages/catalog.py").run()
    assert at.sidebar.get("progress")[0].proto.text.startswith("**Training the default models in the background**")


def test_a_background_run_that_died_is_said_and_home_offers_to_train_again(tiny_dir, tmp_path, monkeypatch):
    data = _own_copy(tiny_dir, tmp_path, "shop_stopped")
    root = tmp_path / data.name
    write_status(root, FirstRunStatus(pid=os.getpid(), stages=("intent",), current="intent"))  # no lock held
    at = open_app(data, tmp_path, monkeypatch)
    at.run()
    assert not at.exception
    assert at.sidebar.warning[0].value.startswith(
        f"The background training of the default models stopped before it finished (its log: `{root}/first_run.log`)")
    assert [b for b in at.button if b.label.startswith("Train the models")]


def test_the_started_process_holds_the_lock_until_it_ends_however_it_ends(tmp_path, monkeypatch):
    """`start` hands its lock to the process it starts; the system frees it when that process ends (here a stand-in
    for the trainer that sleeps a moment and exits without writing anything)."""
    import sys
    import time
    from types import SimpleNamespace

    fake = tmp_path / "trainer"
    fake.write_text("#!/bin/sh\nsleep 2\n")
    fake.chmod(0o755)
    monkeypatch.setattr(first_run, "sys", SimpleNamespace(executable=str(fake), argv=sys.argv))
    root = tmp_path / "registry"
    status = first_run.start("some data", root, ["intent"])
    assert status.stages == ("intent",) and read_status(root) == status and first_run.running(root)
    assert first_run.start("some data", root, ["intent"]) == status  # no second process
    deadline = time.time() + 30
    while first_run.running(root) and time.time() < deadline:
        time.sleep(0.1)
    assert not first_run.running(root) and not read_status(root).finished  # ended without finishing: "stopped"


def test_a_search_without_a_model_the_background_run_is_training_says_so_instead_of_pointing_at_the_train_page(
        tiny_engine, tmp_path):
    engine = _fresh_engine(tiny_engine, tmp_path)
    root = engine.models.registry.root
    write_status(root, FirstRunStatus(pid=12345, stages=(CART, "intent", "reranker"), done=(CART, "intent"),
                                      current="reranker"))
    with _held(root):
        notices = engine.search("two person tent").notices
    assert "No reranker is trained for this data set yet, so products are ranked without the rerank component (it " \
           "is being trained in the background now: how far, in the sidebar)." in notices
    assert any(n.endswith("category names (train one on the Train page).") for n in notices)  # not in training
    after = engine.search("two person tent").notices  # the run stopped: the page says what to do again
    assert "No reranker is trained for this data set yet, so products are ranked without the rerank component " \
           "(train one on the Train page)." in after


def test_browse_recommendations_without_the_sequential_model_the_background_run_is_training_say_so(
        tiny_engine, tmp_path):
    engine = _fresh_engine(tiny_engine, tmp_path)
    root = engine.models.registry.root
    events = engine.catalog.data.events
    history = events[events["user_id"] == events["user_id"].iloc[0]]
    write_status(root, FirstRunStatus(pid=12345, stages=(CART, "intent", "sequential"), done=(CART,),
                                      current="intent"))
    with _held(root):
        notices = engine.recommend(history).notices
    assert "No sequential model is trained yet: browse recommendations blend co-occurrence and content only (it " \
           "is being trained in the background now: how far, in the sidebar)." in notices
    assert "No sequential model is trained yet: browse recommendations blend co-occurrence and content only " \
           "(train one on the Train page)." in engine.recommend(history).notices  # the run stopped
