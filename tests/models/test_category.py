"""The category head: its C and whether each category's own name is one more example, chosen on held-back
queries."""
import numpy as np

from ecomrec.models.category import CategoryHead

QUERIES = {"Camping > Tents": "dome tent for two", "Phones > Smartphones": "android smartphone",
           "Coffee > Coffee Makers": "drip coffee maker", "Audio > Headphones": "wireless headphones",
           "Home > Area Rugs": "large wool rug", "Kitchen > Frying Pans": "non stick frying pan",
           "Office > Desk Lamps": "led desk lamp", "Pets > Dog Food": "dry dog food",
           "Garden > Lawn Mowers": "electric lawn mower", "Baby > Strollers": "lightweight stroller",
           "Bath > Bath Towels": "cotton bath towel", "Toys > Board Games": "family board game"}


def test_with_one_query_a_category_the_names_are_chosen_and_name_the_categories_no_query_taught(encoder):
    """One query per category: the held-back ones belong to categories the rest never shows, so only the names can
    place them; validation chooses the names, and a category with no query left in training is still found."""
    cats, texts = list(QUERIES), list(QUERIES.values())
    head, chosen = CategoryHead.choose(encoder.encode(texts), cats, encoder.encode, seed=0)
    assert chosen["names"] is True
    assert max(v for k, v in chosen["val_accuracy"].items() if "names" not in k) == 0.0  # unseen categories
    assert set(head.labels) == set(cats)
    got = [c for c, _ in head.predict(encoder.encode(["two person tent", "electric mower for the lawn"]))]
    assert got == ["Camping > Tents", "Garden > Lawn Mowers"]


def test_names_are_left_out_when_validation_says_they_do_not_help(encoder):
    """Categories named by codes ("cat_1") teach nothing: with many queries each, validation keeps them out."""
    rng = np.random.default_rng(0)
    words = {"cat_1": ["tent", "dome tent", "camping tent", "tent for four"],
             "cat_2": ["phone", "smartphone", "android phone", "cheap phone"]}
    texts = [w for ws in words.values() for w in ws] * 3
    cats = [c for c, ws in words.items() for _ in ws] * 3
    order = rng.permutation(len(texts))
    head, chosen = CategoryHead.choose(encoder.encode([texts[i] for i in order]), [cats[i] for i in order],
                                       encoder.encode, seed=0)
    assert chosen["val_accuracy"]["C=1"] == 1.0 and chosen["names"] is False  # ties keep the names out
