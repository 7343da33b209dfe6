"""Gains from clicks on a hand-made log: click share by position, its propensity, clicks over expected clicks."""
import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.relevance.implicit import ClickConfig, click_judgments, position_propensity
from tests.relevance.conftest import CLICKS, click_events


def test_propensity_is_click_share_made_non_increasing_over_the_top_share():
    # shares 1/3, 1/6, 1/2: position 2 cannot be examined more than position 1, so it takes 1/6 too
    assert position_propensity(pd.Series([0, 0, 1, 2, 2, 2])) == {0: 1.0, 1: 0.5, 2: 0.5}
    assert position_propensity(pd.Series([None, 3, 3, 5])) == {3: 1.0, 5: 0.5}  # relative to the top seen
    assert position_propensity(pd.Series([], dtype=float)) == {}


def test_clicks_over_expected_clicks_by_hand():
    # positions over the whole log: 0 x4, 1 x2, 2 x2 -> shares 1/2, 1/4, 1/4 -> propensity 1, 1/2, 1/2
    events = pd.concat([click_events(CLICKS), pd.DataFrame({  # neither a click nor a search click: ignored
        S.EVENT_TYPE: ["view", "click"], S.QUERY: ["tent", None], S.PRODUCT_ID: ["P5", "P5"], S.POSITION: [0, 0]})])
    cj = click_judgments(events)
    assert cj.propensity == {0: 1.0, 1: 0.5, 2: 0.5}
    got = {(q, p): (round(g, 4), c, w) for q, p, g, c, w in cj.pairs.itertuples(index=False)}
    # tent: P1 3 clicks at the top = 3; P2 one click at 1 = 2; P3 one at 2 = 2 -> / 3
    # mat: P5 one at the top = 1; P4 one at 1 = 2 -> / 2; lamp: one clicked product -> dropped
    assert got == {("mat", "P4"): (1.0, 1, 2.0), ("mat", "P5"): (0.5, 1, 1.0), ("tent", "P1"): (1.0, 3, 3.0),
                   ("tent", "P2"): (0.6667, 1, 2.0), ("tent", "P3"): (0.6667, 1, 2.0)}
    assert cj.counts == {"clicks": 8, "clicks_with_position": 8, "queries": 2, "queries_dropped": 1, "pairs": 5}
    assert "COEC from 8 search clicks" in cj.describe()


def test_deep_clicks_are_clipped_clicks_without_a_position_weigh_one_and_queries_can_be_excluded():
    rows = [("a", "P1", 0)] * 20 + [("a", "P2", 1), ("a", "P3", None), ("b", "P1", 0), ("b", "P2", 0)]
    cj = click_judgments(click_events(rows))
    # position 1 has 1 of 23 positioned clicks against 22 at the top: weight 22, clipped at 10
    w = cj.pairs.set_index(["query", S.PRODUCT_ID])["weighted"]
    assert w[("a", "P2")] == 10.0 and w[("a", "P3")] == 1.0 and w[("a", "P1")] == 20.0
    assert click_judgments(click_events(rows), ClickConfig(max_weight=100.0)).pairs.set_index(
        ["query", S.PRODUCT_ID])["weighted"][("a", "P2")] == pytest.approx(22.0)
    assert set(click_judgments(click_events(rows), exclude={"b"}).pairs["query"]) == {"a"}
    assert set(click_judgments(click_events(rows), ClickConfig(min_products=3)).pairs["query"]) == {"a"}
    with pytest.raises(ValueError, match="no query has 4 or more clicked products"):
        click_judgments(click_events(rows), ClickConfig(min_products=4))
    with pytest.raises(ValueError, match="no search clicks"):
        click_judgments(click_events(rows), exclude={"a", "b"})
