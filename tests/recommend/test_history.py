"""Shopper timelines edited on the Shopper page become events, or are refused row by row."""
import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.recommend.history import timeline_events


def test_an_edited_timeline_with_bad_rows_names_each_and_applies_nothing():
    known = pd.Index(["P1", "P2"])
    table = pd.DataFrame({"time": [pd.Timestamp("2026-01-02"), None, pd.Timestamp("2026-01-01")],
                          "event": ["view", "purchase", None], S.PRODUCT_ID: ["P1", "P9", "P2"]})
    with pytest.raises(S.ValidationError) as err:
        timeline_events(table, known, "me", "s1")
    assert [(e.row, e.column) for e in err.value.errors] == [(2, S.PRODUCT_ID), (2, S.TIMESTAMP), (3, S.EVENT_TYPE)]
    good = timeline_events(table.iloc[[0]], known, "me", "s1")
    assert good[[S.USER_ID, S.PRODUCT_ID, S.EVENT_TYPE]].values.tolist() == [["me", "P1", "view"]]
