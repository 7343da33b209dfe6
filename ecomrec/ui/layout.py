"""What every page shares: page config, navigation links, data set chooser, model status."""
from __future__ import annotations

import streamlit as st

from ecomrec.ui import loaders, state

# (script, label, icon): the sidebar's navigation, in order. Streamlit's own page list is hidden
# (.streamlit/config.toml) because it can only show file names.
PAGES = (
    ("app.py", "Home", ":material/home:"),
    ("pages/search.py", "Search", ":material/search:"),
    ("pages/catalog.py", "Catalog", ":material/inventory_2:"),
    ("pages/train.py", "Train", ":material/model_training:"),
)


def page_setup(title: str) -> None:
    """Call first on every page: configures the page and draws the shared sidebar."""
    st.set_page_config(page_title=f"{title} · ecomrec", page_icon=":material/shopping_cart:", layout="wide")
    with st.sidebar:
        for script, label, icon in PAGES:
            st.page_link(script, label=label, icon=icon)
        st.divider()
    state.choose_dataset_widget()
    eng = loaders.engine(state.data_dir())
    status = eng.status()
    with st.sidebar.expander("Models and device"):
        versions = "  \n".join(f"**{role.capitalize()}:** `{eng.registry.active(role) or 'none yet'}`"
                                for role in ("intent", "reranker", "biencoder"))
        st.markdown(f"**Encoder:** `{status['encoder']}`  \n**Device:** `{status['device']}`  \n"
                    f"**Catalog embeddings:** {status['catalog embeddings']}  \n{versions}")
