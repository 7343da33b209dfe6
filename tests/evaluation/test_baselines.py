"""The baselines do what their names say."""
import numpy as np
import pandas as pd

from ecomrec.evaluation.baselines import (
    KeywordRule,
    category_popularity_scores,
    popularity_scores,
    tfidf_lr_predict,
    zero_shot_baseline,
)


def test_keyword_rule_takes_its_most_telling_word():
    texts = ["cheap tent", "cheap phone", "cheap mug", "tent review", "phone review", "mug review", "tent"]
    labels = ["deal", "deal", "deal", "info", "info", "info", "browse"]
    rule = KeywordRule(texts, labels, min_count=3, min_precision=0.9)
    assert rule.rules == {"cheap": ("deal", 1.0), "review": ("info", 1.0)}
    assert rule.predict(["cheap sofa", "sofa review", "sofa"]) == ["deal", "info", rule.default]


def test_tfidf_lr_reads_words_and_survives_a_typo():
    texts = ["cheap tent", "cheap phone", "discount mug", "tent review", "phone review", "mug ratings"]
    labels = ["deal", "deal", "deal", "info", "info", "info"]
    assert tfidf_lr_predict(texts, labels, ["cheep sofa", "sofa reviews"]) == ["deal", "info"]


def test_zero_shot_picks_the_closest_description():
    class Encoder:  # a text's embedding: which of two words it holds
        def encode(self, texts):
            return np.array([[("cheap" in t) * 1.0, ("help" in t) * 1.0] for t in texts])

    m = zero_shot_baseline(Encoder(), ["cheap tent", "help with my order"], ["deal", "support"],
                           {"deal": "cheap prices", "support": "help me"})
    assert m["accuracy"] == 1.0 and m["macro_f1"] == 1.0


def test_popularity_never_recommends_the_history_back():
    index = pd.Index(["a", "b", "c"])
    s = popularity_scores(np.array([3.0, 2.0, 1.0]), index)([["a"], []])
    assert s[0].tolist() == [-np.inf, 2.0, 1.0] and s[1].tolist() == [3.0, 2.0, 1.0]


def test_category_popularity_ranks_the_last_items_category_first():
    index = pd.Index(["a", "b", "c", "d"])
    cats = np.array(["x", "y", "y", "x"])
    pop = np.array([10.0, 1.0, 5.0, 0.0])
    s = category_popularity_scores(pop, cats, index)([["a", "b"]])[0]  # last item b: category y
    order = [index[i] for i in np.argsort(-s) if np.isfinite(s[i])]
    assert order == ["c", "d"]  # c (y, popular) first; a and b are history
    s = category_popularity_scores(pop, cats, index, last_only=False)([["b"]])[0]
    assert [index[i] for i in np.argsort(-s) if np.isfinite(s[i])] == ["c", "a", "d"]
