"""Which record an annotator labels next.

Orders: ``uncertainty`` (default: the records the model is least sure of first, 1 - margin between its
two most likely labels; records without a suggestion count as fully uncertain), ``random`` (a fixed
shuffle per annotator) and ``disagreement`` (records whose answers disagree first, even past the
overlap, so a further annotator breaks the tie). Each record is wanted from ``overlap`` annotators.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import pandas as pd

from ecomrec.annotation.store import Store

ORDERS = {"uncertainty": "Model uncertainty (least sure first)", "random": "Random",
          "disagreement": "Annotator disagreement first"}


def ordered_queue(store: Store, set_name: str, annotator: str, order: str = "uncertainty",
                  overlap: int = 1, keep: int | None = None) -> pd.DataFrame:
    """The records still wanted from ``annotator``, best first (columns of :meth:`Store.queue_candidates`).

    ``keep``: the record on the annotator's screen. It stays first until they answer or skip it, even when others
    have answered it meanwhile: with several annotators on one queue, a query must not change under someone
    deciding (their next key press would answer a query they have not read).

    Raises:
        ValueError: for an unknown order or an overlap below 1.
    """
    mine = store.queue_candidates(set_name, annotator)  # the records they have not answered
    mine.index = mine["id"].to_numpy()
    c = _ordered(mine, annotator, order, overlap)
    if keep is not None and keep in mine.index:
        c = pd.concat([mine.loc[[keep]], c.drop(index=keep, errors="ignore")])
    return c.reset_index(drop=True)


def _ordered(c: pd.DataFrame, annotator: str, order: str, overlap: int) -> pd.DataFrame:
    """The candidates (indexed by record id) still wanted under ``order`` and ``overlap``, best first."""
    if order not in ORDERS:
        raise ValueError(f"unknown queue order {order!r}; use one of {list(ORDERS)}")
    if overlap < 1:
        raise ValueError("each record needs at least one annotator (overlap >= 1)")
    disputed = c["distinct_labels"] > 1
    wanted = c["answers"] < overlap
    if order == "disagreement":
        c = c[wanted | disputed]
        return c.sort_values(["distinct_labels", "uncertainty", "id"], ascending=[False, False, True],
                             kind="stable")
    c = c[wanted]
    if order == "random":
        salt = annotator.encode()
        shuffle = c["id"].map(lambda i: hashlib.blake2b(salt + str(i).encode(), digest_size=8).hexdigest())
        return c.assign(_key=shuffle).sort_values("_key").drop(columns="_key")
    return c.sort_values(["uncertainty", "id"], ascending=[False, True], kind="stable")


@dataclass(frozen=True)
class Progress:
    """Where one annotator and the whole team stand in a label set."""

    mine: int  # submitted answers by this annotator
    skipped: int  # records this annotator skipped
    left_for_me: int  # records still wanted from this annotator
    complete: int  # records with at least ``overlap`` submitted answers
    records: int
    per_hour: dict[str, int]  # submitted answers in the last hour, per annotator


def progress(store: Store, set_name: str, annotator: str, left_for_me: int, overlap: int = 1,
             now: float | None = None) -> Progress:
    """Counts for the labelling screen's progress line.

    Args:
        left_for_me: the length of :func:`ordered_queue` for this annotator (the caller has it already).
        now: seconds since the epoch (for tests).
    """
    now = time.time() if now is None else now
    answers = store.responses(set_name, status=None)
    submitted = answers[answers["status"].eq("submitted")]
    per_record = submitted.groupby("record_id").size()
    recent = submitted[submitted["updated"] >= now - 3600]
    mine = answers[answers["annotator"].eq(annotator)]
    return Progress(mine=int(mine["status"].eq("submitted").sum()), skipped=int(mine["status"].eq("discarded").sum()),
                    left_for_me=left_for_me,
                    complete=int((per_record >= overlap).sum()), records=len(store.records()),
                    per_hour={str(k): int(v) for k, v in recent.groupby("annotator").size().items()})
