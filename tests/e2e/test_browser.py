"""The real app in Debian's chromium: home, a shared search link, a demo scenario's link (two lists side by side),
an evidence card opened offline, the catalog filtered, a file imported and searched, a cart that brings complements,
labelling by keyboard, a cancelled training run, and a judgment file that measures, tunes and changes the Search page.
Each writes its page's screenshot to docs/screenshots/ (the README shows them)."""
from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
from ecomrec.loadtest import CHROMIUM, serve  # noqa: E402 - the app server and browser the load test uses too
from ecomrec.loadtest import CHROMIUM_ARGS as ARGS  # noqa: E402

SHOTS = ROOT / "docs" / "screenshots"  # one picture of each page, used in the README (rewritten by every run)
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


BUSY = "[data-testid='stStatusWidget'], [data-testid='stSpinner'], [data-testid='stSkeleton']"


def settle(page, quiet_s: float = 1.5, timeout_s: float = 60) -> None:
    """Wait until the app has stopped drawing: no status widget, spinner or skeleton for ``quiet_s``."""
    quiet, deadline = None, time.time() + timeout_s
    while time.time() < deadline and (quiet is None or time.time() - quiet < quiet_s):
        quiet = (quiet or time.time()) if page.locator(BUSY).count() == 0 else None
        time.sleep(0.25)


def shoot(page, name: str, quiet_s: float = 1.5, timeout_s: float = 60) -> None:
    """The visible part of ``page`` as ``docs/screenshots/<name>.png``, once the app has stopped drawing
    (:func:`settle`). Streamlit scrolls inside its main container, so the viewport is what a person sees."""
    settle(page, quiet_s, timeout_s)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


@pytest.fixture(scope="module")
def annotations(tmp_path_factory) -> Path:
    """The app's annotation folder: judgment lists and labels made here stay here."""
    return tmp_path_factory.mktemp("e2e_annotations")


@pytest.fixture(scope="module")
def app_url(search_env, annotations, tmp_path_factory):
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    # models belong to a data set: the app opens the sample, so lend it the quickly trained models of the
    # tiny slice of the sample (the sidebar says which data set they were trained on)
    # each trained role lent by a link; a ranking profile tuned here stays in this registry alone
    registry = tmp_path_factory.mktemp("e2e_registry")
    (registry / "sample_data").mkdir()
    for role in ("intent", "reranker", "sequential"):  # trained ones only: ranking and cart stay here
        (registry / "sample_data" / role).symlink_to(search_env[1] / search_env[0].name / role,
                                                     target_is_directory=True)
    imported = tmp_path_factory.mktemp("e2e_data")  # data sets imported here stay here
    try:
        with serve({"ECOMREC_REGISTRY": str(registry), "ECOMREC_ANNOTATIONS": str(annotations),
                    "ECOMREC_DATA": str(imported)}, timeout_s=90) as url:
            yield url
    except RuntimeError as exc:  # it did not start: its error output says why
        pytest.fail(str(exc))


@contextmanager
def browser_page(height: int) -> Iterator:
    """A Chromium page 1400 px wide; on leaving, no JavaScript error may have happened on it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": height})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        browser.close()
    assert not errors


def test_home_page_renders_with_data(app_url, sample):
    with browser_page(height=1000) as page:
        page.goto(app_url)
        metric = page.locator("[data-testid='stMetric']").filter(has_text="Products")
        metric.wait_for(timeout=120_000)
        assert f"{len(sample.products):,}" in metric.inner_text()
        page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)  # the category treemap drew
        assert page.get_by_text("Data set: the sample shop").is_visible()
        assert page.locator("[data-testid='stException']").count() == 0
        shoot(page, "home")


def test_search_from_a_shared_link_shows_ranked_results_and_a_waterfall(app_url):
    with browser_page(height=1000) as page:
        page.goto(f"{app_url}/search?q=tent&w_rating=0.5")  # a link someone shared
        box = page.locator("input[aria-label='Search']")
        box.wait_for(timeout=180_000)
        assert box.input_value() == "tent"
        visible = dict(visible=True)  # Streamlit keeps stale, hidden copies of elements while it reruns
        page.get_by_text("Intent:").filter(**visible).first.wait_for(timeout=240_000)  # first search encodes
        box.fill("sleeping bag for cold nights")
        box.press("Enter")
        page.wait_for_function("() => location.search.includes('sleeping')", timeout=120_000)
        page.get_by_text("Sleeping Bag").filter(**visible).first.wait_for(timeout=120_000)
        page.get_by_role("button", name=re.compile(r"^Why: score")).filter(**visible).first.click()
        page.locator("[data-testid='stPopoverBody'] .js-plotly-plot").filter(**visible).first.wait_for(timeout=60_000)
        assert page.locator("[data-testid='stException']").count() == 0
        shoot(page, "search")


def test_the_latency_bench_reads_each_typed_querys_wait_and_the_pages_own_timings(app_url):
    """bench app_latency's driver: for each query typed, the time from Enter to its results drawn and the page's
    caption figures, whose parts add up to no more than its total."""
    from ecomrec.loadtest import LoadConfig, typed_search_latency

    rows = typed_search_latency(app_url, ["warm sleeping bag", "espresso machine"], LoadConfig(quiet_s=0.3), warm=1)
    assert [(r["query"], r["warm"]) for r in rows] == [("warm sleeping bag", True), ("espresso machine", False)]
    for r in rows:
        assert r["ms"] > 0
        parts = r["understand"] + r["retrieve"] + r["rerank"] + r["rank"]
        assert 0 < parts <= r["total"] + 4  # each part is rounded to whole ms on the page


def test_an_evidence_card_downloads_from_the_search_page_and_draws_offline_from_disk(app_url, tmp_path):
    with browser_page(height=1000) as page:
        page.goto(f"{app_url}/search?q=waterproof+tent&w_rating=0.5")
        visible = dict(visible=True)
        page.get_by_text("Intent:").filter(**visible).first.wait_for(timeout=240_000)
        with page.expect_download(timeout=120_000) as download:
            page.get_by_role("button", name=re.compile("Evidence card")).filter(**visible).first.click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert re.fullmatch(r"ecomrec-search-waterproof-tent-\d{8}-\d{4}\.html", saved.name)
    with browser_page(height=1200) as card:  # no server: the file alone, every network request refused
        asked: list[str] = []
        card.route(re.compile(r"^https?://"), lambda route: (asked.append(route.request.url), route.abort()))
        card.goto(saved.as_uri())
        card.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3",
                               timeout=60_000)  # the three waterfalls drawn by the inlined plotly.js
        assert card.title() == "Search: waterproof tent"
        assert "rating 0.50" in card.content()  # the weight moved by the link
        assert not asked
        shoot(card, "evidence")


def test_a_demo_link_opens_keyword_and_transformer_search_side_by_side_with_its_story(app_url):
    with browser_page(height=1400) as page:
        page.goto(f"{app_url}/search?scenario=keyword-vs-transformer")  # as Home's "Ready-made demos" link it
        visible = dict(visible=True)
        page.get_by_text("Demo: Keyword search against the transformer").filter(**visible).first.wait_for(
            timeout=240_000)
        page.get_by_text("Top-10 overlap").filter(**visible).first.wait_for(timeout=240_000)
        settle(page, timeout_s=240)  # the banner can draw before the query reaches the box (seen once in a full run)
        assert page.locator("input[aria-label='Search']").input_value() == "stay dry while camping in a storm"
        for heading in ("Full: hybrid + rerank + all signals", "BM25 only"):  # the two lists, left and right
            page.get_by_role("heading", name=heading).filter(**visible).first.wait_for(timeout=60_000)
        assert page.locator("[data-testid='stException']").count() == 0
        shoot(page, "scenario")
        page.get_by_role("button", name="Close").filter(**visible).first.click()  # the story closes, the lists stay
        page.get_by_text("Demo: Keyword search").filter(**visible).first.wait_for(state="detached", timeout=60_000)
        assert page.get_by_text("Top-10 overlap").filter(**visible).count() >= 1


def test_the_catalog_filters_by_words(app_url, sample):
    with browser_page(height=1000) as page:
        page.goto(f"{app_url}/catalog")
        visible = dict(visible=True)
        page.get_by_text(f"Products ({len(sample.products):,})").filter(**visible).first.wait_for(timeout=180_000)
        box = page.locator("input[aria-label='Find in title or brand']")
        box.fill("sleeping bag")
        box.press("Enter")
        titles = sample.products["title"].str.contains("sleeping bag", case=False) | \
            sample.products["brand"].str.contains("sleeping bag", case=False)
        page.get_by_text(f"Products ({int(titles.sum()):,})").filter(**visible).first.wait_for(timeout=60_000)
        assert page.locator("[data-testid='stException']").count() == 0
        shoot(page, "catalog")


def test_an_imported_catalog_is_searched_at_once(app_url, tmp_path):
    catalog = tmp_path / "my_shop.csv"
    catalog.write_text("sku,name,department,cost\nK1,Cast Iron Skillet 12 inch,Kitchen > Pans,39.90\n"
                       "K2,Nonstick Frying Pan,Kitchen > Pans,24.50\nK3,Chef Knife 8 inch,Kitchen > Knives,59\n"
                       "G1,Garden Hose 50 ft,Garden > Watering,29.99\n")
    with browser_page(height=1000) as page:
        page.goto(f"{app_url}/data")
        visible = dict(visible=True)
        page.locator("input[type='file']").set_input_files(str(catalog), timeout=120_000)
        page.get_by_text("my_shop.csv: 4 rows, 4 columns").filter(**visible).first.wait_for(timeout=60_000)
        shoot(page, "import")
        page.get_by_role("button", name="Import", exact=True).filter(**visible).first.click()
        page.get_by_text("Imported into").filter(**visible).first.wait_for(timeout=180_000)
        page.get_by_text("Search is ready").filter(**visible).first.wait_for(timeout=180_000)
        page.get_by_role("link", name=re.compile("Search the new catalog")).first.click()
        box = page.locator("input[aria-label='Search']")
        box.wait_for(timeout=120_000)
        box.fill("pan for frying eggs")
        box.press("Enter")
        page.get_by_text("1. Nonstick Frying Pan").filter(**visible).first.wait_for(timeout=120_000)
        assert page.locator("[data-testid='stException']").count() == 0


def test_adding_a_product_to_the_cart_shows_its_complements(app_url):
    with browser_page(height=1400) as page:
        page.goto(f"{app_url}/shopper")
        visible = dict(visible=True)
        page.get_by_text("Cold start").filter(**visible).first.wait_for(timeout=240_000)
        box = page.locator("input[aria-label='Search as the shopper']")
        box.fill("tent for two people")
        box.press("Enter")
        # the search's results first: before they are drawn, the first "Add to cart" is a trending product's
        settle(page, timeout_s=240)
        page.get_by_role("button", name="Add to cart").filter(**visible).first.click(timeout=120_000)
        page.get_by_text("Cart (1)").filter(**visible).first.wait_for(timeout=120_000)
        settle(page, timeout_s=300)  # a rerun would put the tabs back on Browse
        page.get_by_role("tab", name="Goes with your cart").filter(**visible).first.click()
        # the cart list waits, with a progress bar, for the shop's cart setting chosen in the background (minutes on
        # 2 cores while another test's import chooses its own)
        page.get_by_text("in your cart").filter(**visible).first.wait_for(timeout=300_000)
        assert page.locator("[data-testid='stException']").count() == 0
        shoot(page, "shopper")


def test_an_annotator_labels_three_queries_with_the_keyboard_alone(app_url):
    from ecomrec.schema import INTENTS

    with browser_page(height=1100) as page:
        page.goto(f"{app_url}/annotate")
        visible = dict(visible=True)
        name = page.locator("input[aria-label='Your name']")
        name.wait_for(timeout=240_000)
        name.fill("Keyboard Kim")
        name.press("Enter")  # submits the form
        page.get_by_role("button", name="training queries").filter(**visible).first.click(timeout=120_000)
        progress = page.get_by_text("You: 0 answered").filter(**visible).first
        progress.wait_for(timeout=240_000)  # suggestions for every query are computed first
        for n in range(1, 4):
            page.evaluate("document.activeElement && document.activeElement.blur()")  # keys go to the page
            page.keyboard.press(str(n))  # pick label n: the Submit button names it once the page has rerun
            label = INTENTS[n - 1].replace("_", " ")  # label names read as words on the page
            page.get_by_role("button", name=f"Submit: {label}").filter(**visible).first.wait_for(
                timeout=60_000)
            page.keyboard.press("Enter")
            page.get_by_text(f"You: {n} answered").filter(**visible).first.wait_for(timeout=60_000)
        assert page.locator("[data-testid='stException']").count() == 0
        shoot(page, "annotate")


def test_three_annotators_on_one_queue_store_each_key_press_once_with_the_label_pressed(app_url, annotations):
    """Three people label the same queue at once, each pressing a number key and Enter without waiting for the page
    between them, while the others' answers close the query on their screens: every press stores one answer, with
    the label pressed, for the query that person read."""
    from playwright.sync_api import sync_playwright

    from ecomrec.annotation.labelsets import INTENT_SET
    from ecomrec.annotation.store import Store
    from ecomrec.schema import INTENTS

    visible, presses = dict(visible=True), 4
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pages = [browser.new_context(viewport={"width": 1400, "height": 1000}).new_page() for _ in range(3)]
        for n, page in enumerate(pages):
            page.goto(f"{app_url}/annotate")
            name = page.locator("input[aria-label='Your name']")
            name.wait_for(timeout=240_000)
            name.fill(f"Team {n}")
            name.press("Enter")
            ready = page.get_by_text("You: 0 answered").filter(**visible).first
            fill = page.get_by_role("button", name="training queries").filter(**visible).first
            ready.or_(fill).wait_for(timeout=240_000)
            if fill.is_visible():  # the first to come fills the queue
                fill.click()
            ready.wait_for(timeout=240_000)
            settle(page)
        for step in range(presses):
            for page in pages:  # all three press before anyone's page has drawn the answer
                page.evaluate("document.activeElement && document.activeElement.blur()")
                page.keyboard.press(str(1 + step % 3))
                time.sleep(0.15)  # a fast typist's next key; keys a few ms apart can reach a busy server as one
                # merged run that drops the first (Streamlit's own merging; not solved: see README, Annotate)
                page.keyboard.press("Enter")
            for page in pages:
                page.get_by_text(f"You: {step + 1} answered").filter(**visible).first.wait_for(timeout=120_000)
                settle(page, quiet_s=0.5)
        browser.close()
    answers = Store(annotations / "sample_data.sqlite").responses(INTENT_SET)
    for n in range(3):
        mine = answers[answers["annotator"] == f"Team {n}"].sort_values("updated")
        assert mine["label"].tolist() == [INTENTS[step % 3] for step in range(presses)]


def test_a_training_run_can_be_cancelled_and_saves_nothing(app_url, search_env):
    versions = search_env[1] / search_env[0].name / "intent"
    before = sorted(p.name for p in versions.glob("v*"))
    with browser_page(height=1100) as page:
        page.goto(f"{app_url}/train")
        visible = dict(visible=True)
        page.get_by_role("button", name="Train a new version").first.click(timeout=240_000)
        page.get_by_text("Epoch 1 · step").filter(**visible).first.wait_for(timeout=240_000)
        page.get_by_role("button", name="Cancel training").first.click()
        page.get_by_text("was cancelled; nothing was saved").filter(**visible).first.wait_for(timeout=60_000)
        shoot(page, "train")
    assert sorted(p.name for p in versions.glob("v*")) == before
    assert not list(versions.glob(".staging-*"))


def _judgment_file(sample, path: Path) -> Path:
    """Judged results a shop could export: each leaf category's name as a query, its three best-rated products
    graded 3, the next three 1 and two more 0 (so rating matters, and tuning the weights has something to find)."""
    import pandas as pd

    from ecomrec import schema as S

    rows = []
    for category, group in sample.products.groupby(S.CATEGORY):
        ranked = group.sort_values([S.RATING, S.PRODUCT_ID], ascending=[False, True])[S.PRODUCT_ID].head(8)
        rows += [(S.leaf(category).lower(), pid, 3 if i < 3 else 1 if i < 6 else 0) for i, pid in enumerate(ranked)]
    pd.DataFrame(rows, columns=["search term", "product_id", "grade"]).to_csv(path, index=False)
    return path


def test_a_judgment_file_measures_drills_down_tunes_and_the_search_page_uses_the_profile(app_url, sample, tmp_path):

    judged = _judgment_file(sample, tmp_path / "our-judgments.csv")
    with browser_page(height=1400) as page:
        page.goto(f"{app_url}/evaluate")
        visible = dict(visible=True)
        page.get_by_text("No judgment lists yet").filter(**visible).first.wait_for(timeout=240_000)
        page.locator("input[type='file']").first.set_input_files(str(judged))
        page.get_by_text("Grade → gain").filter(**visible).first.wait_for(timeout=120_000)
        page.get_by_role("button", name="Import with this gain table").click()
        page.get_by_text("List 'our-judgments' made from our-judgments.csv").filter(**visible).first.wait_for(
            timeout=120_000)

        page.get_by_role("button", name=re.compile(r"^Measure \d+ settings on \d+ queries")).click()
        page.get_by_text("puts judged-relevant products nearest the top").filter(**visible).first.wait_for(
            timeout=300_000)
        page.locator(".js-plotly-plot").filter(**visible).first.wait_for(timeout=60_000)

        page.get_by_role("tab", name="Query by query").click()
        page.get_by_text("Open a query (the biggest differences first)").filter(**visible).first.wait_for(
            timeout=120_000)
        assert page.get_by_text(re.compile(r"does better on \d+")).filter(**visible).count() == 1
        page.locator("[data-testid='stDataFrame']").filter(**visible).nth(1).wait_for(timeout=60_000)  # two top 10s

        page.get_by_role("tab", name="Tune the ranking").click()
        slider = page.get_by_role("slider").filter(**visible).first
        slider.wait_for(timeout=120_000)
        slider.focus()
        for _ in range(8):  # down to 30 s: trial 0 reads the ten validation queries, then ~100 trials more
            if slider.get_attribute("aria-valuetext") == "30 s":
                break
            page.keyboard.press("ArrowLeft")
            page.wait_for_timeout(300)
        assert slider.get_attribute("aria-valuetext") == "30 s"
        page.get_by_role("button", name=re.compile(r"^Tune on \d+ (\+ \d+ )?(validation )?queries")).click()
        page.get_by_role("button", name="Activate this profile").click(timeout=300_000)
        active = page.get_by_text(re.compile(r"Version \S+ is active")).filter(**visible).first
        active.wait_for(timeout=180_000)
        version = re.search(r"Version (\S+) is active", active.inner_text()).group(1)
        assert page.locator("[data-testid='stException']").count() == 0
        shoot(page, "evaluate")

        page.goto(f"{app_url}/search?q=tents")
        from ecomrec.ui.layout import version_text  # the sidebar names the version by its date, as people read it

        page.get_by_text(f"Ranking profile {version_text(version, verb='tuned')}:").filter(**visible).first.wait_for(
            timeout=240_000)
        assert page.locator("[data-testid='stException']").count() == 0
