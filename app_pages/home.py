"""Home page: what the app is for, the data set at a glance, the way to each page, and whether the models help."""
from __future__ import annotations

import streamlit as st

from ecomrec.ui import figures, layout, loaders, scenarios, state

PAGE_DESCRIPTIONS = {
    "app_pages/search.py": "Type a query: its intent, ranked products with every score behind each rank and why, "
                       "live ranking weights, and two settings side by side.",
    "app_pages/catalog.py": "Filter and browse products, open a product's details and its nearest neighbours, "
                        "and explore the map of the catalog's transformer embeddings.",
    "app_pages/shopper.py": "Build a shopper from a persona or by hand; browse, cart-complement and promotion "
                        "recommendations with the history events behind each, and a what-if for any event.",
    "app_pages/train.py": "Fine-tune the intent classifier, reranker or bi-encoder (full or LoRA), or train the "
                      "sequential recommender, with a live loss curve; compare with the active version, activate.",
    "app_pages/annotate.py": "Label queries with the keyboard, several annotators at once, with the model's "
                         "suggestion; agreement, disputes, likely label errors; edit label sets; export and import.",
    "app_pages/evaluate.py": "Does search find what people judged relevant? Judgment lists, every setting measured "
                          "on held-out queries with intervals, query by query; tune the ranking, train the reranker.",
    "app_pages/data.py": "Bring your own shop: upload a catalog, queries, events or order lines, map the columns, "
                     "import it as a data set with models of its own.",
}


def home() -> None:
    """What the app is for, the data set at a glance, and the way to each page."""
    eng = loaders.engine(state.data_dir())
    catalog = eng.catalog
    counts = catalog.counts()
    st.title(":material/shopping_cart: ecomrec")
    st.markdown(
        "See what transformer models do for **e-commerce search and recommendation**: every "
        "number here is computed live by real models on this data set. Search with intent-aware, "
        "explainable ranking, build a shopper and watch browse, cart and promotion recommendations "
        "follow their history, browse the catalog and its embedding map, and train the models.")
    st.markdown(f"**Do the models help here?** {helps_sentence(state.data_dir())}")
    scenarios.home_list(state.data_dir())
    st.subheader(f"Data set: {layout.dataset_label(catalog.name)}")
    cols = st.columns(7)
    for col, (label, key) in zip(cols, [("Products", "products"), ("Categories", "categories"),
                                        ("Brands", "brands"), ("Shoppers", "shoppers"),
                                        ("Events", "events"), ("Queries", "queries"),
                                        ("Promotions", "promotions")]):
        col.metric(label, f"{counts[key]:,}")
    layout.model_panel(eng)
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**Products by department and category** (click a tile to zoom)")
        st.plotly_chart(figures.category_treemap(catalog.products), width="stretch")
    with right:
        st.markdown("**What shoppers did**")
        if counts["events"]:
            st.plotly_chart(figures.event_funnel(catalog.events), width="stretch")
        else:
            st.info("This data set has no shopper events.")
        st.markdown("**Pages**")
        for script, label, icon in layout.PAGES[1:]:  # the sidebar's pages, in its order
            st.page_link(script, label=label, icon=icon)
            st.caption(PAGE_DESCRIPTIONS[script])
    honest_results()


def helps_sentence(data_dir: str) -> str:
    """One plain sentence on whether the models help on this shop: the honest bench's summary for the sample
    shop, where to measure it for any other."""
    from pathlib import Path

    from ecomrec.config import SAMPLE_DATA_DIR
    from ecomrec.honest import summary

    records = loaders.honest_results()
    if Path(data_dir).resolve() != SAMPLE_DATA_DIR.resolve():
        return ("Not measured on this shop yet: bring or grade judged queries on the Evaluate page and it "
                "measures search here, beside keyword search (the figures at the bottom are the sample shop's).")
    if records is None:
        return "Not measured yet: run `python -m ecomrec bench --only honest`."
    said = summary(records)
    return (f"On held-out data of this shop and of real public shops, {said[0].lower()}{said[1:]} The figures are "
            "at the bottom of this page.")


def honest_results() -> None:
    """Do the transformers help? The latest honest bench, model beside its strongest baseline."""
    from ecomrec.honest import LABELS, sentence

    records = loaders.honest_results()
    st.subheader("Do the transformers help? Measured, not claimed")
    if records is None:
        st.info("No benchmark results yet: run `python -m ecomrec bench --only honest` (it writes "
                "benchmarks/honest.json).")
        return
    st.caption("From the latest `python -m ecomrec bench --only honest` on the sample shop (its test queries, "
               "shoppers and baskets, never trained on) and on real public data. Each model stands beside the "
               "strongest baseline measured in the same run on the same inputs; whiskers are 95 % bootstrap "
               "intervals, p is a paired randomisation test.")
    st.plotly_chart(figures.model_vs_baseline(records, LABELS), width="stretch")
    st.markdown("\n".join(f"- {sentence(name, r)}" for name, r in records.items()))


home()
