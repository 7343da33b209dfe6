"""What a demo's viewer would question, counted by hand on tiny inputs."""
import numpy as np
import pandas as pd

from ecomrec.evaluation.demo import accessory_at_top, distinct_categories, slot_kept_at, substitutes_in

QRELS = pd.DataFrame({"query": ["laptop", "laptop", "laptop", "tent", "tent", "gift"],
                      "product_id": ["L1", "B1", "B2", "T1", "S1", "X"],
                      "label": ["E", "C", "C", "E", "S", "C"]})


def test_an_accessory_in_the_top_3_counts_only_for_queries_with_an_exact_and_a_complement():
    runs = {"laptop": ["B1", "L1", "L2", "B2"], "tent": ["S1", "T1"], "gift": ["X"]}
    assert accessory_at_top(runs, QRELS, 3) == (1.0, 1)  # tent has no complement, gift no exact product
    assert accessory_at_top({"laptop": ["L1", "L2", "L3", "B1"]}, QRELS, 3) == (0.0, 1)  # the bag is 4th


def test_slot_kept_is_the_share_of_the_top_k_keeping_the_slots_where_enough_exist():
    ids = np.array(["a", "b", "c", "d", "e", "f"])
    red = np.array([True, True, True, False, False, True])

    def keeps(slots):
        return red if slots.get("colour") == "red" else None

    eligible = {"red tent": np.ones(6, dtype=bool), "red rare": np.array([1, 0, 0, 0, 0, 0], dtype=bool)}
    runs = {"red tent": ["a", "d", "b", "e", "c"], "red rare": ["a"]}
    slots = {"red tent": {"colour": "red"}, "red rare": {"colour": "red"}}
    assert slot_kept_at(runs, slots, keeps, ids, eligible, k=5, min_products=4) == (0.6, 1)  # "red rare": 1 < 4


def test_substitutes_and_distinct_categories_are_counted_per_list():
    kind = {"t1": "Tents", "t2": "Tents", "s1": "Bags", "m1": "Mats"}
    assert substitutes_in([["t2", "s1"], ["m1"]], [["t1"], ["t1", "s1"]], kind) == 1
    assert distinct_categories([["t1", "t2", "s1"], ["m1"], []], kind) == 1.5
