"""The label sets a data set starts with, and label sets built from its data.

The shopping-intent set holds today's eight intents, each with what it means and example queries. The
ranking weights each intent's searches start from live in the data set's ranking profile
(:mod:`ecomrec.search.ranking_profile`), not here.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ecomrec import schema as S
from ecomrec.annotation.store import Label, Store
from ecomrec.evaluation.baselines import INTENT_DESCRIPTIONS

INTENT_SET = "shopping intent"
INTENT_EXAMPLES = {
    "browse": ("running shoes", "mens rain jackets"),
    "specific_item": ("Velora Summit 2 tent", "iphone 15 pro 256gb"),
    "compare": ("velora vs norix tent", "which is better kindle or kobo"),
    "deal_seeking": ("cheap coffee maker", "yoga mat on sale"),
    "gift": ("gift for a dad who likes camping", "present for 10 year old"),
    "accessory": ("case for pixel 8", "lights for my bike"),
    "review_info": ("best rated sleeping bag", "how warm is a 3 season tent"),
    "support": ("where is my order", "return a broken kettle"),
}
INTENT_GUIDELINES = ("Pick what the shopper wants to do, not what product they name. A brand and model name "
                     "is a specific item; two named things is compare; a price word (cheap, sale, under $50) "
                     "is deal seeking even when a product is named; someone else's needs is gift; a part or "
                     "add-on for something they own is accessory; a question about quality or specs is "
                     "review/info; anything about an order is support. Skip a query you cannot read.")


def intent_labels() -> list[Label]:
    """The eight shopping intents with description and examples."""
    return [Label(name, INTENT_DESCRIPTIONS[name], INTENT_EXAMPLES[name]) for name in S.INTENTS]


def ensure_intent_set(store: Store, data_labels: Iterable[str] = ()) -> None:
    """Create the shopping-intent set in ``store`` when it is not there yet, and add any intent label the
    data set's queries use that the set lacks: a shop's own labels are kept."""
    if INTENT_SET not in set(store.label_sets()["name"]):
        try:
            store.create_label_set(INTENT_SET, "intent", intent_labels(), INTENT_GUIDELINES)
        except ValueError:  # another session created it between the check and the write
            pass
    known = {lab.name for lab in store.labels(INTENT_SET)}
    for name in sorted(set(data_labels) - known):
        try:
            store.add_label(INTENT_SET, Label(name, "a label of this data set's queries"))
        except ValueError:  # added by another session meanwhile
            pass


def category_labels(queries: pd.DataFrame) -> list[Label]:
    """One label per category the data set's queries are labelled with (leaf name as description)."""
    cats = sorted(queries[S.CATEGORY].dropna().unique()) if S.CATEGORY in queries else []
    return [Label(c, f"queries asking for {S.leaf(c).lower()}") for c in cats]
