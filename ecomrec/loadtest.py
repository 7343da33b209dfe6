"""Many people at once: real Chromium sessions (Playwright contexts) against one running app on loopback.

Each session does what a person in a demo or a labelling morning does: opens a search link, types two more
queries, opens the Shopper page (recommendations), labels one query on the Annotate page and goes Home, moving
between pages by the sidebar as people do (a shared link loads the whole app; a sidebar click runs only the next
page). Every step is timed from the action to the page having finished drawing, and the CPU seconds the server
and the browsers spent are counted (:class:`CpuMeter`): on one machine they share the cores. :func:`run_load` runs
one session alone, then ``sessions`` at once, on the same server, and reports both; the bench section ``load``
adds the engine's own searches from that many threads (no browser, no Streamlit) to tell the server's share from
the engine's.
"""
from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

import numpy as np

from ecomrec.config import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
BUSY = "[data-testid='stStatusWidget'], [data-testid='stSpinner'], [data-testid='stSkeleton']"
LOAD_ANNOTATOR = "load session {}"


@dataclass(frozen=True)
class LoadConfig:
    """How big the load is, and how long anything may take."""

    sessions: int = 8  # the goal: eight people at once
    searches: int = 3  # per session: a link, then two typed queries (new queries: nothing cached for them)
    quiet_s: float = 0.4  # the page counts as drawn after this long with no spinner, skeleton or status widget
    step_timeout_s: float = 240.0  # one step that takes longer is an error (a first search may encode the catalog)
    total_timeout_s: float = 1500.0  # the whole run is bounded: 8 sessions that stall end as errors, not hangs


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(env: dict[str, str], timeout_s: float = 120) -> Iterator[str]:
    """The app (``streamlit run app.py``) on a free loopback port with ``env`` added; yields its URL and stops it.

    Raises:
        RuntimeError: with the end of its error output when it does not answer its health check in time.
    """
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=REPO_ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout_s
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    proc.kill()
                    raise RuntimeError(f"the app did not start: {proc.stderr.read()[-2000:]}") from None
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _drawn(page, cfg: LoadConfig) -> None:
    """Wait until the run the last action started has finished drawing."""
    await asyncio.sleep(0.3)  # a run starts a moment after the action
    quiet, deadline = None, time.time() + cfg.step_timeout_s
    while time.time() < deadline:
        if await page.locator(BUSY).count() == 0:
            quiet = quiet or time.time()
            if time.time() - quiet >= cfg.quiet_s:
                return
        else:
            quiet = None
        await asyncio.sleep(0.1)
    raise TimeoutError(f"still drawing after {cfg.step_timeout_s:.0f} s")


async def _switch(page, title: str) -> None:
    """Go to another page as a person does once the app is open: its link in the sidebar, by its title (the app
    stays loaded in the browser; only the page's script runs). A shared link is a whole new load instead."""
    await page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title, exact=True).click()


async def _session(browser, url: str, n: int | str, queries: list[str], cfg: LoadConfig, steps: list[dict]) -> None:
    """One person's visit; each step appended to ``steps`` as {session, step, ms, error}."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda e: page_errors.append(str(e)))

    async def step(name: str, action, done) -> None:
        t0 = time.perf_counter()
        error = None
        try:
            await action()
            await done()
            await _drawn(page, cfg)
            if await page.locator("[data-testid='stException']").count():
                error = "the page shows an exception"
        except Exception as exc:  # noqa: BLE001 - any failure of a step is counted, never fatal to the others
            error = f"{type(exc).__name__}: {str(exc)[:200]}"
        if page_errors:
            error, page_errors[:] = error or f"JavaScript error: {page_errors[0][:200]}", []
        steps.append({"session": n, "step": name, "ms": (time.perf_counter() - t0) * 1000 - cfg.quiet_s * 1000,
                      "error": error})

    visible = {"visible": True}
    timeout = cfg.step_timeout_s * 1000
    box = page.locator("input[aria-label='Search']")
    await step("search link", lambda: page.goto(f"{url}/search?q={quote_plus(queries[0])}"),
               lambda: page.get_by_text("Intent:").filter(**visible).first.wait_for(timeout=timeout))
    for q in queries[1:cfg.searches]:
        async def typed(q=q):
            await box.fill(q)
            await box.press("Enter")
        await step("search", typed, lambda q=q: page.wait_for_function(
            "q => new URLSearchParams(location.search).get('q') === q", arg=q, timeout=timeout))
    await step("shopper page", lambda: _switch(page, "Shopper"),
               lambda: page.get_by_text("Browse (").filter(**visible).first.wait_for(timeout=timeout))

    async def open_annotate():
        await _switch(page, "Annotate")
        name = page.locator("input[aria-label='Your name']")
        await name.wait_for(timeout=timeout)
        await name.fill(LOAD_ANNOTATOR.format(n))
        await name.press("Enter")
        queue, fill = page.get_by_text("You: 0 answered").filter(**visible).first, \
            page.get_by_role("button", name="training queries").filter(**visible).first
        await queue.or_(fill).wait_for(timeout=timeout)  # the first annotator fills the empty queue; others find it
        if await fill.is_visible():
            await fill.click(timeout=timeout)
    await step("annotate page", open_annotate,
               lambda: page.get_by_text("You: 0 answered").filter(**visible).first.wait_for(timeout=timeout))

    async def label():
        await page.evaluate("document.activeElement && document.activeElement.blur()")
        await page.keyboard.press("1")
        await page.get_by_role("button", name=re.compile("^Submit: ")).filter(**visible).first.wait_for(timeout=timeout)
        await page.keyboard.press("Enter")
    await step("label a query", label,
               lambda: page.get_by_text("You: 1 answered").filter(**visible).first.wait_for(timeout=timeout))
    await step("home page", lambda: _switch(page, "Home"),
               lambda: page.locator(".js-plotly-plot").first.wait_for(timeout=timeout))
    await context.close()


async def _sessions(url: str, queries: list[list[str]], cfg: LoadConfig, names: list[str] | None = None
                    ) -> tuple[list[dict], float]:
    from playwright.async_api import async_playwright

    steps: list[dict] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        t0 = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.gather(*(_session(browser, url, n, q, cfg, steps) for n, q in
                                                    zip(names or range(len(queries)), queries))), cfg.total_timeout_s)
        except TimeoutError:
            steps.append({"session": None, "step": "the whole run", "ms": float("nan"),
                          "error": f"not over after {cfg.total_timeout_s:.0f} s"})
        wall = time.perf_counter() - t0
        await browser.close()
    return steps, wall


def summary(steps: list[dict], wall_s: float, prefix: str = "") -> dict[str, float | int]:
    """Counts and times of ``steps``: requests, errors, p50/p95 (ms, steps that did not fail) and throughput."""
    ok = [s["ms"] for s in steps if s["error"] is None]
    return {f"{prefix}requests": len(steps), f"{prefix}errors": sum(s["error"] is not None for s in steps),
            f"{prefix}p50_ms": round(float(np.median(ok)), 0) if ok else float("nan"),
            f"{prefix}p95_ms": round(float(np.percentile(ok, 95)), 0) if ok else float("nan"),
            f"{prefix}throughput_rps": round(len(steps) / wall_s, 3)}


class CpuMeter:
    """CPU seconds this process's children use while it is running, split into the app server (``streamlit run``)
    and everything else (the browsers: Chromium's processes and Playwright's driver). Children are sampled every
    ``every_s`` in a thread, each one's last reading kept, so processes that end before the meter stops still count
    (up to their last ``every_s``)."""

    def __init__(self, every_s: float = 0.25) -> None:
        import threading

        self._every, self._seen, self._stop = every_s, {}, threading.Event()
        self._server: dict[int, bool] = {}  # pid -> whether it is the app server (read once per process)
        self._base = self._read()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _read(self) -> dict[int, tuple[bool, float]]:
        import psutil

        out = {}
        for proc in psutil.Process().children(recursive=True):
            try:
                if proc.pid not in self._server:
                    self._server[proc.pid] = "streamlit" in " ".join(proc.cmdline())
                times = proc.cpu_times()
                out[proc.pid] = (self._server[proc.pid], times.user + times.system)
            except psutil.Error:  # ended meanwhile
                continue
        return out

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._seen.update(self._read())

    def stop(self) -> dict[str, float]:
        """Stop sampling; the CPU seconds used since the meter started: ``server`` and ``browsers``."""
        self._stop.set()
        self._thread.join()
        self._seen.update(self._read())
        used = {"server": 0.0, "browsers": 0.0}
        for pid, (server, cpu) in self._seen.items():
            used["server" if server else "browsers"] += cpu - self._base.get(pid, (server, 0.0))[1]
        return {side: round(cpu, 1) for side, cpu in used.items()}


def _measured(sessions) -> tuple[list[dict], float, dict[str, float]]:
    """``sessions`` (a :func:`_sessions` coroutine) run to its end, with the CPU seconds it cost on each side (a
    :class:`CpuMeter`)."""
    meter = CpuMeter()
    try:
        steps, wall = asyncio.run(sessions)
    finally:
        used = meter.stop()
    return steps, wall, used


def run_load(url: str, queries: list[str], cfg: LoadConfig = LoadConfig()) -> tuple[dict, list[dict]]:
    """One session alone, then ``cfg.sessions`` at once, against the app at ``url``; each session searches its own
    ``cfg.searches`` of ``queries``. Returns (figures, every step with its session, time and error). ``cpu_s`` and
    ``single_cpu_s``: CPU seconds the server and the browsers used in each run (on one machine they share its
    cores: when the browsers use most of them, the server cannot make the steps much faster)."""
    per = cfg.searches
    alone, alone_wall, alone_cpu = _measured(_sessions(url, [queries[:per]], cfg, names=[f"alone {time.time():.0f}"]))
    many_queries = [queries[per * (i + 1):per * (i + 2)] for i in range(cfg.sessions)]
    many, many_wall, many_cpu = _measured(_sessions(url, many_queries, cfg))
    out = {"sessions": cfg.sessions, **summary(many, many_wall), **summary(alone, alone_wall, "single_"),
           "wall_s": round(many_wall, 1), "single_wall_s": round(alone_wall, 1), "cpu_s": many_cpu,
           "single_cpu_s": alone_cpu, "cores": os.cpu_count()}
    by_step = {}
    for name in dict.fromkeys(s["step"] for s in many):
        ms = [s["ms"] for s in many if s["step"] == name and s["error"] is None]
        single = [s["ms"] for s in alone if s["step"] == name and s["error"] is None]
        by_step[name] = {"p50_ms": round(float(np.median(ms)), 0) if ms else None,
                         "single_ms": round(float(np.median(single)), 0) if single else None}
    out["by_step"] = by_step
    out["first_errors"] = [f"session {s['session']}, {s['step']}: {s['error']}" for s in many + alone
                           if s["error"]][:5]
    return out, alone + many


# the run that searched q is over: the page wrote q into the address (after searching) and Streamlit's own
# run state, on its root element, says no script is running (every element of the run has reached the page)
DONE = ("q => new URLSearchParams(location.search).get('q') === q && document.querySelector("
        "\"[data-testid='stApp']\").getAttribute('data-test-script-state') === 'notRunning'")
NEXT_FRAME = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
CAPTION = re.compile(r"results in (\d+) ms \(understand (\d+), retrieve (\d+), rerank (\d+), rank (\d+) ms\)")


async def _typed_searches(url: str, queries: list[str], cfg: LoadConfig, warm: int = 0,
                          read_s: float = 0.0) -> list[dict]:
    """One person on the Search page typing ``queries`` one after another: for each, the time from Enter to the
    page having drawn its results, and the page's own caption figures (the engine's time inside the app); the
    first ``warm`` are marked ``warm`` (the browser's and the session's first runs)."""
    from playwright.async_api import async_playwright

    out: list[dict] = []
    timeout = cfg.step_timeout_s * 1000
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await (await browser.new_context(viewport={"width": 1400, "height": 1000})).new_page()
        await page.goto(f"{url}/search")
        box = page.locator("input[aria-label='Search']")
        await box.wait_for(timeout=timeout)
        await _drawn(page, cfg)
        await asyncio.sleep(read_s)
        for n, q in enumerate(queries):
            await box.fill(q)
            t0 = time.perf_counter()
            await box.press("Enter")
            await page.wait_for_function(DONE, arg=q, timeout=timeout)  # polled on every animation frame
            await page.evaluate(NEXT_FRAME)  # what the run sent is on the screen
            ms = (time.perf_counter() - t0) * 1000
            captions = await page.locator("[data-testid='stCaptionContainer']").all_inner_texts()
            caption = CAPTION.search(" ".join(captions))
            out.append({"query": q, "ms": ms, "warm": n < warm,
                        **({} if caption is None else dict(zip(("total", "understand", "retrieve", "rerank", "rank"),
                                                               map(float, caption.groups()))))})
        await browser.close()
    return out


def typed_search_latency(url: str, queries: list[str], cfg: LoadConfig = LoadConfig(), warm: int = 0,
                         read_s: float = 0.0) -> list[dict]:
    """:func:`_typed_searches` run to its end: one dict per query with ``ms`` (Enter to results drawn), ``warm``, and
    the caption's ``total``, ``understand``, ``retrieve``, ``rerank`` and ``rank`` (ms; absent when not drawn).
    ``read_s``: how long the person reads the page before typing the first query."""
    return asyncio.run(_typed_searches(url, queries, cfg, warm, read_s))


def answers_by_load_sessions(annotation_file: Path, set_name: str) -> int:
    """How many submitted answers the load sessions left in the annotation store (one each is expected)."""
    from ecomrec.annotation.store import Store

    answers = Store(annotation_file).responses(set_name)
    return int(answers["annotator"].str.startswith(LOAD_ANNOTATOR.format("")).sum())
