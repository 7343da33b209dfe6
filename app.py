"""The app's entry point and the frame every page runs in: page config, navigation, the shared sidebar.

Run with `make run` (or `streamlit run app.py` inside the project's environment). The pages are the
scripts listed in :data:`ecomrec.ui.layout.PAGES` (Home is ``app_pages/home.py``); Streamlit runs this file
on every rerun, and it runs the chosen page last.
"""
from __future__ import annotations

import os

# PyTorch's worker threads wait passively between calls: spinning, they held the cores that the next model call
# (ONNX Runtime), the server and a browser on the same machine needed. Set before torch is first imported. A side
# run of 12 typed queries on 2 cores: the page's own search time p50 155 -> 88 ms (understand 113 -> 23 ms).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import streamlit as st  # noqa: E402

from ecomrec.ui import layout, scenarios  # noqa: E402

page = st.navigation([st.Page(script, title=title, icon=icon, default=script == layout.PAGES[0][0])
                      for script, title, icon in layout.PAGES])
st.set_page_config(page_title=f"{page.title} · ecomrec", page_icon=":material/shopping_cart:", layout="wide")
scenarios.open_from_url()  # a demo link: its state before anything draws
layout.sidebar()
scenarios.banner(page.url_path)
page.run()
