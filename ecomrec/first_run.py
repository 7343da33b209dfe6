"""The first run's default models, trained in a background process while the app already serves.

`make run` encodes the catalog (search works from then on), starts :func:`start` and serves the app at once. The
background process (``python -m ecomrec build-cache --models-only``) chooses the cart setting and trains every
first-run role (:attr:`ecomrec.roles.Role.first_run`) that has no active version, one after the other, at a
lower CPU priority than the app, and writes where it is to ``<registry>/first_run.json`` (atomically). The
sidebar and the pages read that file; each model is used by the app from the search after it is activated.

Whether that process is still at work is told by ``<registry>/first_run.lock``: :func:`start` locks it and hands the
lock to the process, and the system releases it when the process ends, however it ends (a pid in a file can be
reused, or come from another machine sharing the registry).
"""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ecomrec.files import write_atomic
from ecomrec.roles import ROLES

STATUS_FILE = "first_run.json"
LOG_FILE = "first_run.log"
LOCK_FILE = "first_run.lock"
CART = "cart"  # the stage that chooses the cart setting, before the roles
WRITE_EVERY_S = 1.0  # progress is written at most this often: a reader polls it, the trainer should not wait on disk
NICENESS = 10  # the trainer yields the cores to the app (searches stay quick while it trains)


@dataclass(frozen=True)
class FirstRunStatus:
    """Where the background first run is.

    Attributes:
        pid: the training process.
        stages: what it does, in order: :data:`CART` and role names.
        done: stages finished (trained, chosen, or refused: see ``errors``).
        current: the stage running now (None before the first and after the last).
        fraction: how far the current stage is, 0..1.
        detail: what the current stage is doing, in words ("epoch 2 · step 120/400").
        errors: stage -> why it was not done.
        seconds: stage -> how long it took.
        started: ``time.time()`` of the start.
        finished: the process has ended by itself (:func:`running` tells whether it is still at work).
    """

    pid: int
    stages: tuple[str, ...]
    done: tuple[str, ...] = ()
    current: str | None = None
    fraction: float = 0.0
    detail: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    finished: bool = False

    @property
    def overall(self) -> float:
        """Fraction of all stages done, counting the current one's part."""
        return min(1.0, (len(self.done) + (self.fraction if self.current else 0.0)) / max(1, len(self.stages)))

    def label(self, stage: str) -> str:
        """A stage for people: "cart list" or the role's label in lower case ("reranker (cross-encoder)")."""
        return "cart list" if stage == CART else ROLES[stage].label.lower()


def status_path(registry_root: Path) -> Path:
    """The status file of the data set whose registry folder is ``registry_root``."""
    return Path(registry_root) / STATUS_FILE


def read_status(registry_root: Path) -> FirstRunStatus | None:
    """The last status written for this data set, or None when there is none or it cannot be read (cut short,
    or written by another version of the app); the pages then offer to train in the page."""
    try:
        raw = json.loads(status_path(registry_root).read_text())
        status = FirstRunStatus(**{**raw, "stages": tuple(raw["stages"]), "done": tuple(raw["done"])})
    except (OSError, ValueError, TypeError, KeyError):
        return None
    known = {CART, *ROLES}
    if not isinstance(status.pid, int) or not set(status.stages) <= known or not set(status.done) <= known:
        return None
    return status


def running(registry_root: Path) -> bool:
    """Whether this data set's background process is at work (it holds the lock :func:`start` gave it)."""
    path = Path(registry_root) / LOCK_FILE
    if not path.exists():
        return False
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


def active(registry_root: Path) -> FirstRunStatus | None:
    """The status of this data set's background process while it is at work, else None."""
    status = read_status(registry_root)
    return status if status is not None and not status.finished and running(registry_root) else None


def write_status(registry_root: Path, status: FirstRunStatus) -> None:
    """Write ``status`` so that a reader never sees half of it."""
    Path(registry_root).mkdir(parents=True, exist_ok=True)
    write_atomic(status_path(registry_root),
                 lambda tmp: tmp.write_text(json.dumps(asdict(status))))


def stages(engine) -> list[str]:
    """What a first run still has to do for ``engine``'s data set: the cart setting when the shop has purchases
    and none is chosen, then each first-run role with no active version that this data can train."""
    from ecomrec import schema as S

    out = [CART] if engine.catalog.events[S.EVENT_TYPE].eq("purchase").any() and not engine.recs.cart_ready() else []
    return out + [r.name for r in ROLES.values() if r.first_run and engine.models.active(r.name) is None
                  and engine.models.cannot_train(r.name) is None]


def start(data_dir: str | Path, registry_root: Path, todo: list[str]) -> FirstRunStatus | None:
    """Start the background process for ``todo`` (from :func:`stages`) unless one is already at work for this
    data set; returns the status it starts with (or the running one's; None when there is nothing to do). Its
    output goes to ``<registry>/first_run.log``."""
    if not todo:
        return None
    root = Path(registry_root)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "a") as lock:
        for _ in range(20):  # a page may be testing the lock for a moment
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.05)
        else:  # held all along: a background process is at work
            return read_status(root)
        with open(root / LOG_FILE, "ab") as log:  # the process inherits the locked file, which outlives this one
            proc = subprocess.Popen([sys.executable, "-m", "ecomrec", "build-cache", "--data", str(data_dir),
                                     "--models-only"], stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True, pass_fds=(lock.fileno(),))
    status = FirstRunStatus(pid=proc.pid, stages=tuple(todo))
    write_status(root, status)  # the sidebar shows it from the first page on
    return status


def run(engine, train: Callable[[str, Callable], object]) -> FirstRunStatus:
    """Do :func:`stages` of ``engine``'s data set in this process (the background one), writing progress.

    Args:
        train: ``train(role, progress)`` trains and registers one role (``progress`` takes a
            :class:`~ecomrec.models.training.TrainProgress`); a ValueError is recorded as the role's error.
    """
    try:
        os.nice(NICENESS)
    except OSError:  # not permitted here: train at the normal priority
        pass
    root = engine.models.registry.root
    status = FirstRunStatus(pid=os.getpid(), stages=tuple(stages(engine)))
    written = 0.0  # time.monotonic() of the last write

    def report(fraction: float, detail: str, force: bool = False) -> None:
        nonlocal status, written
        status = replace(status, fraction=max(0.0, min(1.0, fraction)), detail=detail)
        if force or time.monotonic() - written >= WRITE_EVERY_S:
            written = time.monotonic()
            write_status(root, status)

    for stage in status.stages:
        began = time.monotonic()
        status = replace(status, current=stage)
        report(0.0, "preparing", force=True)
        try:
            if stage == CART:
                engine.recs.cart_choice(lambda what, frac: report(frac, what))
            else:
                train(stage, lambda p: report(p.step / max(1, p.total_steps),
                                              f"epoch {p.epoch} · step {p.step:,}/{p.total_steps:,}"))
        except ValueError as exc:  # this data cannot train it after all: the pages say what they use instead
            status = replace(status, errors={**status.errors, stage: str(exc)})
        status = replace(status, done=(*status.done, stage), current=None, fraction=0.0, detail="",
                         seconds={**status.seconds, stage: round(time.monotonic() - began, 1)})
        write_status(root, status)
    status = replace(status, finished=True)
    write_status(root, status)
    return status
