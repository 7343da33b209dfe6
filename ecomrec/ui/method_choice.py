"""Which method a label set's classifier uses, why, every candidate validation scored, and whether its
confidences mean what they say: shown on the Train page and in the Annotate page's Train tab."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ecomrec.models.label_model import WORDS
from ecomrec.ui import figures


def draw(models, version: str, key: str) -> None:
    """The candidates table and a reliability diagram for intent ``version`` (nothing for older versions)."""
    choice = models.label_choice(version)
    if choice is None:
        return
    why = choice.why[:1].upper() + choice.why[1:]
    st.markdown(f"**Method chosen on validation: {WORDS[choice.method]}.** {why}.")
    rows = [{"method": WORDS[r["method"]] + (" ✓" if r["method"] == choice.method else ""),
             "setting": r.get("setting") or f"not tried: {r.get('skipped', '')}",
             "macro-F1, cross-validated": r.get("cv_macro_f1"), "macro-F1, held-out fold": r.get("fold0_macro_f1"),
             "new phrasings": r.get("new_phrasings_macro_f1"), "seen phrasings": r.get("seen_phrasings_macro_f1"),
             "calibration error": r.get("val_ece")} for r in choice.candidates]
    number = st.column_config.NumberColumn
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "macro-F1, cross-validated": number(format="%.3f", help="Every labelled query predicted once by a model "
                                                               "that did not learn from it (fast methods); the mean "
                                                               "of new and seen phrasings"),
        "macro-F1, held-out fold": number(format="%.3f", help="The one fold the slow methods (SetFit, "
                                                             "fine-tuning) are scored on, every method on the same "
                                                             "queries"),
        "new phrasings": number(format="%.3f", help="Macro-F1 on folds whose queries ask in words the training "
                                                    "queries of the same label never used"),
        "seen phrasings": number(format="%.3f", help="Macro-F1 on folds of random queries: phrasings like "
                                                     "those it learned from"),
        "calibration error": number(format="%.3f", help="Before calibration: the mean gap between how sure a "
                                                         "method was and how often it was right")})
    with st.expander("Do its confidences mean what they say? (held-out test queries)"):
        table, ece = models.intent_reliability(version)
        if table.empty:
            st.caption("No labelled test queries to check against.")
            return
        st.plotly_chart(figures.reliability(table), width="stretch", key=f"reliability_{key}")
        st.caption(f"When the model says 80 %, it should be right about 80 % of the time. Its probabilities are "
                   f"softened or sharpened by one number fitted on the validation queries (temperature "
                   f"{choice.temperature:.2f}); on the test queries the mean gap between how sure it is and how "
                   f"often it is right (expected calibration error) is **{ece:.3f}**.")
