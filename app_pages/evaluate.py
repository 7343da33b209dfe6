"""Evaluate page: does search find what people judged relevant? Judgment lists, every setting measured on a
list's test queries, query-by-query drill-down, two settings compared without judgments, tuning the ranking on
validation, and a reranker trained from judgments. Each screen lives in :mod:`ecomrec.ui.evaluate`."""
from __future__ import annotations

import streamlit as st

from ecomrec.ui import evaluate, loaders, state

eng = loaders.engine_with_embeddings(state.data_dir())
st.title(":material/insights: Evaluate")
st.markdown("**Does our search find what people judged relevant?** Pick a judgment list (which products are "
            "relevant for which queries), measure every search setting on queries it never learnt from, see where "
            "two settings differ, then tune the ranking and train the reranker on the list, and check that it "
            "helped.")
evaluate.report_cancelled()
name = evaluate.choose_list(eng)
evaluate.draw(eng, name)
