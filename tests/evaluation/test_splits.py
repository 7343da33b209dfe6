"""Held-out parts, checked by hand: the last item per shopper, the log's last sessions, one product per basket."""
import pandas as pd

from ecomrec import schema as S
from ecomrec.evaluation.splits import holdout_baskets, leave_last_out, split_by_time


def test_leave_last_out_holds_out_each_long_enough_sequences_last_item():
    sequences = {"u": ["A", "B", "C"], "v": ["A"], "w": ["B", "D"]}
    assert leave_last_out(sequences) == ([["A", "B"], ["B"]], ["C", "D"])
    assert leave_last_out(sequences, min_len=3) == ([["A", "B"]], ["C"])
    # validation inside training: the same cut applied to the histories
    assert leave_last_out(dict(enumerate([["A", "B"], ["B"]]))) == ([["A"]], ["B"])


def test_split_by_time_holds_out_the_sessions_that_start_last():
    day = pd.to_datetime([f"2026-01-0{d}" for d in range(1, 6)])
    events = pd.DataFrame({S.SESSION_ID: ["s1", "s2", "s3", "s4", "s5", "s5"],
                           S.TIMESTAMP: [*day, day[0]],  # s5's late event is not its start: s5 starts on day 1
                           S.PRODUCT_ID: list("abcdef")})
    # starts 1, 1, 2, 3, 4: their 80 % quantile is day 3.2, so only s4 (day 4) starts after it
    train, test = split_by_time(events)
    assert set(test[S.SESSION_ID]) == {"s4"} and set(train[S.SESSION_ID]) == {"s1", "s2", "s3", "s5"}
    assert len(train) + len(test) == len(events)  # a session's events stay together
    events.loc[5, S.TIMESTAMP] = day[4]  # s5 now starts on day 5: starts 1..5, quantile 4.2
    assert set(split_by_time(events)[1][S.SESSION_ID]) == {"s5"}
    assert set(split_by_time(events, test_fraction=0.5)[1][S.SESSION_ID]) == {"s4", "s5"}  # median start: day 3


def test_holdout_baskets_holds_one_seeded_product_out_of_each_basket_of_two_or_more():
    baskets = [["a", "b"], ["c"], ["d", "e", "f"], []]
    # the seeded generator draws position 1 of 2, then position 2 of 3; baskets of one or none are skipped
    assert holdout_baskets(baskets, 13) == ([["a"], ["d", "e"]], ["b", "f"])
    assert holdout_baskets(baskets, 13) == holdout_baskets(baskets, 13)
    many = [["a", "b", "c"]] * 60
    carts, targets = holdout_baskets(many, 0)
    assert set(targets) == {"a", "b", "c"}  # every position can be held out
    assert all(sorted([*c, t]) == ["a", "b", "c"] for c, t in zip(carts, targets))
