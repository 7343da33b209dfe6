"""The browse blend's parts and weights are chosen on validation shoppers: the category rule itself when it wins."""
import numpy as np
import pandas as pd

from ecomrec.recommend.baselines import ItemKNN
from ecomrec.recommend.browse import BlendWeights, BrowseRecommender, pick_blend


def test_the_category_signal_marks_the_last_products_category_and_popularity_counts_shoppers():
    index = pd.Index(["a", "b", "c", "d"])
    knn = ItemKNN([["a", "b"], ["a", "c"], ["a"]], index)
    emb = np.eye(4, dtype=np.float32)
    browse = BrowseRecommender(index, emb, np.array(["x", "y", "x", "y"]), knn)
    raw = browse._last_category([np.array([0, 1]), np.array([1, 0])])  # rows of a, b; newest: b (y), then a (x)
    assert raw.tolist() == [[0, 1, 0, 1], [1, 0, 1, 0]]
    signals = browse.signals([["a", "b"]])
    assert np.isneginf(signals["category"][0, :2]).all()  # seen products never come back
    assert signals["category"][0, 3] > signals["category"][0, 2]  # d shares b's category, c does not
    assert knn.counts.tolist() == [3, 1, 1, 0]
    assert set(browse.signals([["a", "b"]], ["category"])) == {"category"}  # only the signals asked for


def test_standardised_signals_are_z_scores_over_the_products_not_seen():
    from ecomrec.recommend.browse import _standardise

    s = np.array([[1.0, 2.0, 3.0, 10.0]], dtype=np.float32)
    seen = np.array([[False, False, False, True]])
    z = _standardise(s, seen)
    expected = (np.array([1.0, 2.0, 3.0]) - 2.0) / np.std([1.0, 2.0, 3.0])  # mean 2, population std sqrt(2/3)
    assert np.allclose(z[0, :3], expected, atol=1e-6) and np.isneginf(z[0, 3])


def test_pick_blend_turns_to_the_category_rule_when_it_is_what_predicts():
    rng = np.random.default_rng(0)
    b, n = 200, 50
    targets = rng.integers(0, n, size=b)
    noise = {name: rng.normal(size=(b, n)).astype(np.float32) for name in ("sequential", "co_occurrence", "content")}
    category = np.zeros((b, n), np.float32)
    category[np.arange(b), targets] = 5.0  # the target is the only product of the last item's category
    signals = {**noise, "category": category, "popularity": rng.normal(size=(b, n)).astype(np.float32)}
    weights, hr = pick_blend(signals, targets)
    assert hr == 1.0 and weights.category > 0
    default = sum(w * signals[name] for name, w in BlendWeights().as_dict().items() if w)
    assert hr >= float((np.argsort(-default, axis=1)[:, :10] == targets[:, None]).any(axis=1).mean())


def test_pick_blend_keeps_the_defaults_when_nothing_beats_them():
    rng = np.random.default_rng(1)
    b, n = 100, 40
    targets = rng.integers(0, n, size=b)
    seq = rng.normal(size=(b, n)).astype(np.float32)
    seq[np.arange(b), targets] = 10.0  # the sequential model alone finds every target
    signals = {"sequential": seq, **{name: np.zeros((b, n), np.float32)
                                     for name in ("co_occurrence", "content", "category", "popularity")}}
    assert pick_blend(signals, targets) == (BlendWeights(), 1.0)


def test_a_category_cap_sinks_the_extra_products_of_a_category_below_the_rest():
    from ecomrec.recommend.browse import SINK, cap_categories

    total = np.array([[5.0, 4.0, 3.0, 1.0, -np.inf]])
    out = cap_categories(total, np.array([0, 0, 0, 1, 1]), cap=2, k=3)
    assert out[0, :4].tolist() == [5.0, 4.0, 3.0 - SINK, 1.0] and out[0, 4] == -np.inf
    assert np.argsort(-out[0], kind="stable")[:3].tolist() == [0, 1, 3]
    assert cap_categories(total, np.array([0, 0, 0, 1, 1]), cap=0) is total  # no cap: untouched


def test_the_tightest_cap_that_costs_no_hits_is_chosen_and_none_when_every_cap_costs():
    from ecomrec.recommend.browse import pick_category_cap

    rng = np.random.default_rng(0)
    codes = np.repeat(np.arange(20), 5)  # 20 categories of 5 products
    total = rng.normal(size=(200, 100))
    targets = total.argmax(axis=1)  # every shopper's target ranks first: any cap keeps it
    cap, hr = pick_category_cap(total, codes, targets)
    assert cap == 2 and hr[0] == hr[2] == 1.0
    # targets that are each shopper's third product of the top category: a cap of 2 loses every one of them
    same = np.tile(np.linspace(10, 0, 100), (200, 1))  # products 0..4 (category 0) rank first for everyone
    cap, hr = pick_category_cap(same, codes, np.full(200, 2))
    assert hr[2] == 0.0 and hr[3] == 1.0 and cap == 3
    # one shopper of 200 loses their next item under a cap of 2: too few to measure, but a loss, so 3 is kept
    one = np.zeros(200, dtype=int)
    one[0] = 2
    cap, hr = pick_category_cap(same, codes, one)
    assert hr[2] == 199 / 200 and hr[3] == 1.0 and cap == 3


def test_each_main_interest_gets_a_place_taken_from_a_kind_already_listed_twice():
    """A shopper of phones, chargers and tents whose top 3 are phones and one charger: the tent comes in at the end
    in place of the lower phone; the charger, the only one of its kind, stays."""
    from ecomrec.recommend.browse import SINK, cover_interests

    phone, charger, tent = 0, 1, 2
    codes = np.array([phone, phone, charger, tent, tent])
    total = np.array([[5.0, 4.0, 3.0, 1.0, 0.5]])
    out = cover_interests(total, codes, [[phone, charger, tent]], cover=3, k=3)
    assert np.argsort(-out[0], kind="stable")[:3].tolist() == [0, 2, 3]  # phone, charger, then the best tent
    assert out[0, 1] == 4.0 - SINK and out[0, 4] == 0.5 - SINK  # the rest sinks below the list, in order
    assert out[0, 3] < 3.0  # the lifted tent comes after what was kept
    two = cover_interests(total, codes, [[phone, charger, tent]], cover=2, k=3)  # phones and the charger: listed
    np.testing.assert_array_equal(two, total)
    assert cover_interests(total, codes, [[phone, tent]], cover=0) is total  # off: untouched
    # nothing listed twice: no place can be taken, the list stays as it was
    kinds = np.array([phone, charger, 3, tent, tent])
    assert np.argsort(-cover_interests(total, kinds, [[tent]], 1, k=3)[0], kind="stable")[:3].tolist() == [0, 1, 2]


def test_interests_rank_a_history_s_categories_by_recency_weighted_counts():
    from ecomrec.recommend.browse import BrowseRecommender

    codes_of = {"a": 0, "b": 1, "c": 2}
    model = BrowseRecommender.__new__(BrowseRecommender)
    model.category_codes = np.array([codes_of[c] for c in "aabbc"])
    # oldest first: a, a, b, b, c -> weights a 0.8^4 + 0.8^3, b 0.8^2 + 0.8, c 1
    assert model.interests([np.array([0, 1, 2, 3, 4])]) == [[1, 2, 0]]


def test_the_most_interests_that_cost_no_hits_are_kept_and_none_when_every_cover_costs():
    from ecomrec.recommend.browse import pick_interest_cover

    codes = np.repeat(np.arange(10), 10)  # 10 categories of 10 products
    total = np.tile(np.linspace(10, 0, 100), (50, 1))  # category 0 fills everyone's top 10
    interests = [list(range(6))] * 50
    cover, hr = pick_interest_cover(total, codes, interests, np.zeros(50, dtype=int))  # the first product: kept
    assert cover == 5 and hr[0] == hr[5] == 1.0
    # targets at the 10th place of category 0: any cover pushes them out
    cover, hr = pick_interest_cover(total, codes, interests, np.full(50, 9))
    assert cover == 0 and hr[0] == 1.0 and hr[2] == 0.0


def test_the_list_names_the_products_only_the_interest_cover_brought_in():
    import pandas as pd

    from ecomrec.recommend.browse import BlendWeights, BrowseRecommender

    model = BrowseRecommender.__new__(BrowseRecommender)
    model.index = pd.Index(["phone1", "phone2", "phone3", "tent1", "tent2"])
    model.category_codes = np.array([0, 0, 0, 1, 1])
    total = np.array([5.0, 4.0, 3.0, 1.0, 0.5])
    history = ["tent2", "phone1"]  # oldest first: phones are the newest interest, tents the second
    model.weights = BlendWeights(interest_cover=2)
    scores, lifted = model.shown(total, history, k=3)
    assert lifted == {3} and np.argsort(-scores, kind="stable")[:3].tolist() == [0, 1, 3]
    model.weights = BlendWeights(interest_cover=0)  # off: the list as the blend ranked it, nothing lifted
    scores, lifted = model.shown(total, history, k=3)
    assert lifted == set() and np.argsort(-scores, kind="stable")[:3].tolist() == [0, 1, 2]
