"""Slots: price bounds, brand, colour and size from how people type."""
import numpy as np
import pytest

from ecomrec.search.slots import Slots, parse_slots

BRANDS = ["Velora", "Oritex Works", "Oritex"]


@pytest.mark.parametrize("text,expected", [
    ("tent under $120", Slots(price_max=120.0)),
    ("running shoes less than 80 dollars", Slots(price_max=80.0)),
    ("headphones 50 bucks or less", Slots(price_max=50.0)),
    ("laptop between $500 and $900", Slots(price_min=500.0, price_max=900.0)),
    ("tv over $1000", Slots(price_min=1000.0)),
    ("red Velora tent", Slots(brand="Velora", colour="red")),
    ("oritex works cat litter 10kg", Slots(brand="Oritex Works", size="10kg")),
    ("gray jacket size XL", Slots(colour="grey", size="xl")),
    ("65-inch oled tv", Slots(size="65-inch")),
    ("tent", Slots()),
    ("🤖 <script>alert(1)</script>", Slots()),
])
def test_parse_slots(text, expected):
    assert parse_slots(text, BRANDS) == expected


def test_model_numbers_are_not_prices():
    assert parse_slots("velora x5 2 vs 3 pro", BRANDS).price_max is None


def _keeps(slots, titles, attributes=None, brands=None):
    from ecomrec.search.slots import keeps_slots, slot_texts

    attributes = attributes or ["{}"] * len(titles)
    brands = np.array(brands or [""] * len(titles), dtype=object)
    mask = keeps_slots(slots, brands, *slot_texts(titles, attributes))
    return None if mask is None else mask.tolist()


def test_a_size_is_a_whole_word_of_title_or_attributes_as_shops_write_it():
    titles = ["Running Shoes, UK 10, pink", "Running Shoes, UK 9, red", "Coffee Maker, 10 cups", "Shoe", "Shoe 10.5"]
    attributes = ["{}", "{}", "{}", '{"size": "US 10"}', "{}"]
    assert _keeps({"size": "10"}, titles, attributes) == [True, False, False, True, False]
    assert _keeps({"size": "uk 10"}, titles, attributes) == [True, False, False, False, False]
    assert _keeps({"size": "15 inch"}, ["Laptop Bag, 15-inch", "Laptop, 15.6-inch", "Bag 15inch"]) == [True, False,
                                                                                                      True]


def test_colour_and_brand_must_both_hold_and_no_slot_means_no_mask():
    titles = ["Tent, red", "Tent, redwood green", "Tent", "Tent, red"]
    attributes = ["{}", "{}", '{"colour": "red"}', "{}"]
    brands = ["velora", "velora", "velora", "oritex"]
    assert _keeps({"colour": "red", "brand": "Velora"}, titles, attributes, brands) == [True, False, True, False]
    assert _keeps({"price_max": 100.0}, titles) is None
