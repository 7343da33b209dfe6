"""The relevance judgments search metrics are computed against: categories, clicks and purchases."""
import pandas as pd
import pytest

from ecomrec import schema as S
from ecomrec.data.judgments import query_engagements, reranker_pairs, search_judgments


def events(rows):
    df = pd.DataFrame(rows, columns=[S.USER_ID, S.SESSION_ID, S.TIMESTAMP, S.PRODUCT_ID, S.EVENT_TYPE,
                                     S.QUERY, S.POSITION])
    df[S.TIMESTAMP] = pd.Timestamp("2026-06-01")
    return df


def test_clicks_then_purchases_in_the_same_session_are_deeper_engagement():
    ev = events([("u", "s1", 0, "P1", "click", "tent", 3), ("u", "s1", 0, "P1", "purchase", None, None),
                 ("u", "s2", 0, "P2", "click", "tent", 0), ("u", "s3", 0, "P2", "purchase", None, None)])
    eng = query_engagements(ev).set_index(S.PRODUCT_ID)
    assert eng.loc["P1", "level"] == 2  # bought in the session it was clicked in
    assert eng.loc["P2", "level"] == 1  # bought later, in another session: not credited to the query


def test_judgments_grade_category_and_behaviour():
    products = pd.DataFrame({S.PRODUCT_ID: ["P1", "P2", "P3"], S.CATEGORY: ["A > Tents", "A > Tents", "B > Mugs"]})
    queries = pd.DataFrame({S.TEXT: ["tent", "where is my order"], S.CATEGORY: ["A > Tents", None]})
    ev = events([("u", "s1", 0, "P1", "click", "tent", 0), ("u", "s1", 0, "P1", "add_to_cart", None, None),
                 ("u", "s2", 0, "P3", "click", "tent", 4)])
    judged = search_judgments(queries, products, ev)
    assert judged == {"tent": {"P1": 3.0, "P2": 1.0, "P3": 1.0}}  # support questions are not judged


def test_reranker_pairs_never_use_excluded_queries_and_weigh_deep_clicks_more(sample):
    test_texts = set(sample.queries_test[S.TEXT])
    rows = pd.RangeIndex(len(sample.products)).to_numpy()

    def retrieve(texts, k):  # any retriever will do for the pair logic: the first k products
        return [rows[:k] for _ in texts]

    pairs = reranker_pairs(sample.queries, sample.products, sample.events, retrieve, exclude=test_texts)
    assert len(pairs) > 1000 and not set(pairs[S.QUERY]) & test_texts
    assert set(pairs["target"]) <= {0.0, 0.6, 1.0} and pairs["weight"].mean() == pytest.approx(1.0)
    clicked = pairs[pairs["target"] == 1.0]
    assert clicked["weight"].max() > clicked["weight"].min()  # rank-5 clicks count more than rank-1 ones
