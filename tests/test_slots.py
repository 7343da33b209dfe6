"""Slots: price bounds, brand, colour and size from how people type."""
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
