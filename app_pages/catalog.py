"""Catalog page: filter and browse products, a product's details, the embedding map."""
from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from ecomrec import CatalogFilter
from ecomrec import schema as S
from ecomrec.ui import figures, layout, loaders, state

PAGE_SIZE = 100  # rows per page of the product list: a screenful to scroll, light to send at 50,000 products
OPENED = "catalog_opened"  # (product chosen in the list, similar product opened from its details)

eng = loaders.engine(state.data_dir())
products = eng.catalog.products
st.title(":material/inventory_2: Catalog")

# ---- filters ----
with st.container(border=True):
    c1, c2, c3, c4 = st.columns([3, 2, 3, 2])
    text = c1.text_input("Find in title or brand", placeholder="e.g. tent, Velora, 128GB")
    department = c2.selectbox("Department", ["All", *eng.catalog.departments()])
    dep_of = products[S.CATEGORY].map(S.department)
    in_dep = products if department == "All" else products[dep_of.eq(department)]
    category = c3.selectbox("Category", ["All", *sorted(in_dep[S.CATEGORY].unique())])
    sort = c4.selectbox("Sort by", ["popularity", "price_low", "price_high", "rating"],
                        format_func=lambda s: {"popularity": "Popularity", "price_low": "Price: low to high",
                                               "price_high": "Price: high to low", "rating": "Rating"}[s])
    c5, c6, c7 = st.columns([4, 4, 2])
    brand_pool = in_dep if category == "All" else in_dep[in_dep[S.CATEGORY].eq(category)]
    brands = c5.multiselect("Brands", sorted(b for b in brand_pool[S.BRAND].unique() if b))
    hi = float(math.ceil(max(1.0, products[S.PRICE].max())))
    price = c6.slider("Price", 0.0, hi, (0.0, hi), step=float(max(1, round(hi / 200))))
    min_rating = c7.slider("Min rating", 0.0, 5.0, 0.0, 0.5)

flt = CatalogFilter(text=text, department=None if department == "All" else department,
                    category=None if category == "All" else category, brands=tuple(brands),
                    price_min=price[0], price_max=price[1], min_rating=min_rating or None, sort=sort)
found = eng.catalog.browse(flt)
tab_list, tab_map = st.tabs([f"Products ({len(found):,})", "Embedding map"])

with tab_list:
    if found.empty:
        st.warning("No product matches these filters. Widen the price range, clear the brands or "
                   "pick another category.")
    else:
        pages = max(1, math.ceil(len(found) / PAGE_SIZE))
        p1, p2 = st.columns([1, 5], vertical_alignment="bottom")
        page = p1.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, value=1, step=1)
        shown = found.iloc[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
        p2.caption(f"Products {(page - 1) * PAGE_SIZE + 1:,}–{(page - 1) * PAGE_SIZE + len(shown):,} "
                   f"of {len(found):,}")
        view = shown[[S.PRODUCT_ID, S.TITLE, S.BRAND, S.CATEGORY, S.PRICE, S.RATING, S.RATING_COUNT,
                      S.POPULARITY]].copy()
        view[S.CATEGORY] = view[S.CATEGORY].map(S.leaf)
        st.dataframe(view, hide_index=True, height=600, width="stretch", column_config={
            S.PRODUCT_ID: st.column_config.TextColumn("ID", width="small"),
            S.TITLE: st.column_config.TextColumn("Title", width="medium"),
            S.BRAND: "Brand", S.CATEGORY: "Category",
            S.PRICE: st.column_config.NumberColumn(f"Price ({eng.catalog.currency_code})", format="%.2f",
                                                   width="small"),
            S.RATING: st.column_config.NumberColumn("Rating", format="%.1f", width="small"),
            S.RATING_COUNT: st.column_config.NumberColumn("Reviews", width="small"),
            S.POPULARITY: st.column_config.ProgressColumn(
                "Popularity", min_value=0.0, max_value=float(products[S.POPULARITY].max() or 1.0), format="%d",
                width="small")})

        # ---- one product's details ----
        titles = dict(zip(shown[S.PRODUCT_ID], shown[S.TITLE]))
        chosen = st.selectbox("Product details", list(titles), format_func=lambda i: f"{titles[i]}  ·  {i}",
                              help="The products of this page of the list.")
        opened = st.session_state.get(OPENED)  # a similar product clicked below, until another is chosen here
        if opened and opened[0] != chosen:
            st.session_state.pop(OPENED)
            opened = None
        pid = opened[1] if opened else chosen
        if opened:
            st.button("Back to the product chosen above", icon=":material/arrow_back:",
                      on_click=st.session_state.pop, args=(OPENED,))
        item = eng.catalog.product(pid)
        with st.container(border=True):
            left, right = st.columns([3, 2])
            with left:
                st.subheader(item[S.TITLE])
                st.caption(f"{item[S.CATEGORY]}  ·  brand: {item[S.BRAND] or 'not given'}  ·  id {pid}")
                st.write(item[S.DESCRIPTION] or "_No description._")
                layout.shopper_actions(pid, f"catalog_{pid}")
                if item[S.ATTRIBUTES]:
                    st.dataframe(pd.DataFrame(item[S.ATTRIBUTES].items(), columns=["attribute", "value"]),
                                 hide_index=True, width="stretch")
            with right:
                m1, m2 = st.columns(2)
                m1.metric(f"Price ({item[S.CURRENCY]})", S.price_text(item[S.PRICE], ""))
                rating = item[S.RATING]
                m2.metric("Rating", "no rating" if pd.isna(rating) else f"{rating:.1f} / 5",
                          help=None if pd.isna(item[S.RATING_COUNT]) else f"{int(item[S.RATING_COUNT]):,} reviews")
                mine = eng.catalog.product_promotions(pid)
                if len(mine):
                    st.markdown(f"**Promotions** (as of {eng.catalog.clock:%d %b %Y})")
                    badge = {"live": ":green-badge[live]", "upcoming": ":blue-badge[upcoming]",
                             "ended": ":gray-badge[ended]"}
                    for p in mine.itertuples():
                        window = f"{getattr(p, S.START):%d %b} – {getattr(p, S.END):%d %b %Y}"
                        st.markdown(f"- {badge[p.status]} {getattr(p, S.TITLE)} ({window})")
                st.markdown("**Most similar products** (cosine similarity of transformer embeddings)")
                ready = loaders.engine_with_embeddings(state.data_dir())
                sims = ready.embeddings.similar_products(pid, k=5)
                for r in sims.itertuples():
                    st.button(f"{getattr(r, S.TITLE)} · {r.similarity:.2f}", key=f"similar_{r.product_id}",
                              type="tertiary", icon=":material/open_in_new:", on_click=st.session_state.__setitem__,
                              args=(OPENED, (chosen, r.product_id)), help="Open this product's details")

with tab_map:
    st.markdown("Each dot is a product, placed by its transformer embedding (t-SNE to 2-D): products "
                "the model finds alike sit together. Hover a dot to see the product.")
    loaders.engine_with_embeddings(state.data_dir())  # encodes the catalog with a progress bar, if needed
    points = loaders.embedding_map(state.data_dir(), eng.models.active("biencoder"))
    if len(points) < len(products):
        st.caption(f"The map shows a drawn sample of {len(points):,} of the {len(products):,} products (the same "
                   "sample on every start): laying out all of them would take minutes.")
    colour_by = st.radio("Colour by", ["department", S.CATEGORY], horizontal=True,
                         format_func=lambda c: "Department" if c == "department" else "Category")
    filtered = len(found) < len(products)
    highlight = set(found[S.PRODUCT_ID]) & set(points[S.PRODUCT_ID]) if filtered else None
    if filtered:
        st.caption(f"Highlighting the {len(highlight):,} mapped products that match the filters; the rest are grey.")
    st.plotly_chart(figures.embedding_scatter(points, colour_by, highlight), width="stretch")
