"""Demo scenarios are data: the sample's stories load and name real products; a bad file is named, never run."""
import json

import pandas as pd
import pytest

from ecomrec import scenarios as sc
from ecomrec.config import SAMPLE_DATA_DIR


def test_the_sample_ships_six_or_more_stories_on_real_pages_and_products(sample):
    found = sc.load(SAMPLE_DATA_DIR)
    assert len(found) >= 6
    assert len({s.url for s in found}) == len(found)
    assert all(s.page in sc.PAGES for s in found)
    assert {s.page for s in found} >= {"search", "shopper", "annotate", "evaluate"}
    for s in found:
        assert s.missing_products(sample.products["product_id"]) == [], s.id
    compare = sc.find(found, "keyword-vs-transformer")
    assert compare.url == "/search?scenario=keyword-vs-transformer"
    assert (compare.search["mode"], compare.search["preset_b"]) == ("compare", "bm25")


def test_a_shoppers_events_are_a_minute_apart_and_end_before_the_clock():
    s = sc.Scenario("x", "X", "shopper", "n", "p", shopper=(("view", "P1"), ("add_to_cart", "P1"), ("view", "P2")))
    events = s.shopper_events(pd.Timestamp("2026-05-01 12:00"))
    assert events["product_id"].tolist() == ["P1", "P1", "P2"]
    assert events["event_type"].tolist() == ["view", "add_to_cart", "view"]
    assert events["timestamp"].dt.strftime("%H:%M").tolist() == ["11:57", "11:58", "11:59"]


def test_a_folder_without_a_scenarios_file_has_none(tmp_path):
    assert sc.load(tmp_path) == []


GOOD = {"id": "ok", "title": "T", "page": "search", "narrative": "n", "point_at": "p", "search": {"q": "tent"}}


@pytest.mark.parametrize(("change", "said"), [
    ({"page": "../../etc"}, "field 'page' is '../../etc'"),
    ({"id": "Deal Hunter"}, "field 'id' must be lower-case"),
    ({"id": "__import__('os').system('x')"}, "field 'id' must be lower-case"),
    ({"title": ""}, "field 'title' must be non-empty text"),
    ({"search": {"q": "tent", "weights": {"price": 5}}}, "weight 'price' must be a number from 0 to 2"),
    ({"search": {"q": "tent", "weights": {"speed": 1}}}, "weight 'speed' is not a ranking component"),
    ({"search": {"q": "tent", "preset": "magic"}}, "search field 'preset' is 'magic'"),
    ({"shopper": [{"event": "steal", "product": "P1"}]}, "shopper event 1 needs 'event'"),
    ({"colour": "red"}, "unknown field(s) ['colour']"),
])
def test_a_bad_entry_is_named_by_file_entry_and_field(tmp_path, change, said):
    (tmp_path / sc.FILE).write_text(json.dumps([GOOD, {**GOOD, "id": "second", **change}]))
    with pytest.raises(sc.ScenarioError) as err:
        sc.load(tmp_path)
    assert str(tmp_path / sc.FILE) in str(err.value) and "scenario 2" in str(err.value)
    assert said in str(err.value)


def test_a_repeated_id_and_a_file_that_is_not_json_are_refused(tmp_path):
    (tmp_path / sc.FILE).write_text(json.dumps([GOOD, GOOD]))
    with pytest.raises(sc.ScenarioError, match="id 'ok' is used twice"):
        sc.load(tmp_path)
    (tmp_path / sc.FILE).write_text("[{'id': 'ok'}")
    with pytest.raises(sc.ScenarioError, match="not readable JSON"):
        sc.load(tmp_path)
