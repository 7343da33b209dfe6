"""What the Evaluate page's screens share: session keys, the long-run Cancel, plain-words glossary, number format."""
from __future__ import annotations

import math

import streamlit as st

LIST = "evaluate_list"  # the judgment list chosen at the top
RUN = "evaluate_run"  # id of the evaluation shown (the latest one made or reopened)
RUNNING = "evaluate_running"  # what a long run is doing; still set on the next page run = it was cancelled
TUNED = "evaluate_tuned"  # the last tuning result (list name, TuneResult), not saved until activated
TUNED_SAVED = "evaluate_tuned_saved"  # the profile version that result was saved as
COMPARED = "evaluate_compared"  # the last comparison of two settings
RERANKER = "evaluate_reranker"  # (list name, version) of the last reranker trained here
FLASH = "evaluate_flash"  # a message for the next run (set by callbacks, shown once as a toast)

GLOSSARY = """
- **NDCG@10** (normalised discounted cumulative gain): how good the first 10 results are, from 0 to 1. Each
  judged-relevant product counts by its grade, more near the top; 1 means the best possible order of what
  people judged.
- **MRR** (mean reciprocal rank): 1 when the first result is relevant, ½ when it is the second, ⅓ the third …
  averaged over queries: "how far down is the first good product?"
- **Recall@30**: of the products people judged relevant, the share found anywhere in the first 30 results (the
  pool the ranking sorts): "does search find them at all?"
- **95 % interval**: the range the average would likely fall in with other queries like these (a seeded
  bootstrap over queries). Overlapping ranges mean the difference may be luck.
- **p vs the strongest**: a paired test on the same queries. Below 0.05 the strongest is very likely better; above,
  the two cannot be told apart on these queries.
- **Unjudged = irrelevant** (standard): a product nobody graded counts as a miss. It punishes a setting that finds
  good products nobody has judged yet. **Judged only** drops unjudged products from each list before scoring
  (condensed lists), so only judged products count either way. When the two disagree, judge more products.
- **Train / validation / test**: each query of a list sits in one part for good (a seeded hash of its text).
  Training reads train, choices (tuning, whether a reranker joins) read validation, and only test is left to
  measure honestly: it never influenced a choice.
"""


def glossary() -> None:
    """The jargon, one click away."""
    with st.expander("What these numbers mean"):
        st.markdown(GLOSSARY)


def started(what: str):
    """Call before a long run (evaluation, tuning, training): shows a Cancel button. Clicking it starts a new run
    of the page, and Streamlit stops this one at its next progress update; nothing half-done is saved. The next
    page run then says it was cancelled (:func:`report_cancelled`). Returns the button's slot for
    :func:`finished`."""
    st.session_state[RUNNING] = what
    slot = st.empty()
    slot.button("Cancel", icon=":material/cancel:", key="evaluate_cancel",
                help="Stops at the next step; nothing is saved.")
    return slot


def finished(slot=None) -> None:
    """Call when the run ended by itself (done or refused): the Cancel button goes."""
    st.session_state.pop(RUNNING, None)
    if slot is not None:
        slot.empty()


REFUSED = object()  # what :func:`run_long` returns when the job was refused


def run_long(slot, bar, job):
    """``job()``, then the Cancel button in ``slot`` and the progress ``bar`` go; a refusal (ValueError) is shown
    as an error instead. Returns the job's result, or :data:`REFUSED`."""
    try:
        result = job()
    except ValueError as exc:
        st.error(str(exc))
        finished(slot)
        return REFUSED
    finished(slot)
    bar.empty()
    return result


def report_cancelled() -> None:
    """On the page run after a cancelled one: say so, once."""
    what = st.session_state.pop(RUNNING, None)
    if what:
        st.warning(f"{what[:1].upper()}{what[1:]} was cancelled; nothing was saved.")


def flash(message: str) -> None:
    """Say ``message`` on the next run (from a button callback)."""
    st.session_state[FLASH] = message


def show_flash() -> None:
    if FLASH in st.session_state:
        st.toast(st.session_state.pop(FLASH))


def num(value: float | None, digits: int = 3) -> str:
    """A score for people: "0.512", or "n/a" for a missing or undefined one."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def p_words(p: float | None) -> str:
    """A paired test's p against the strongest, in words (None or NaN: this is the strongest)."""
    if p is None or math.isnan(p):
        return "the strongest"
    shown = "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.05 else f"p = {p:.2f}"
    if p < 0.01:
        return f"clearly behind ({shown})"
    if p < 0.05:
        return f"behind ({shown})"
    return f"not clearly different ({shown})"


def metric_label(metric: str) -> str:
    """``ndcg@10`` -> "NDCG@10", ``mrr`` -> "MRR", ``recall@30`` -> "Recall@30"."""
    return {"mrr": "MRR"}.get(metric, metric.replace("ndcg", "NDCG").replace("recall", "Recall"))
