"""Query splits of a judgment list: seeded, stable as queries are added, never a query on two sides."""
import pytest

from ecomrec.evaluation.splits import query_folds, query_hash, split_queries

QUERIES = [f"query {i}" for i in range(200)]


def test_split_sizes_follow_the_fractions_and_parts_are_disjoint():
    s = split_queries(QUERIES, seed=13)
    assert set(s) == set(QUERIES)  # each query in exactly one part
    sizes = {part: sum(v == part for v in s.values()) for part in ("train", "val", "test")}
    # of 200 at 60/20/20: hashed, so near 120/40/40, not exact (pinned: BLAKE2b is the same on every machine)
    assert sizes == {"train": 124, "val": 34, "test": 42}
    # the rule itself: hash below 0.2 -> test, below 0.4 -> val
    assert all((query_hash(q, 13) < 0.2) == (p == "test") for q, p in s.items())
    assert all((0.2 <= query_hash(q, 13) < 0.4) == (p == "val") for q, p in s.items())
    assert split_queries(QUERIES, seed=13) == s and split_queries(QUERIES, seed=14) != s
    assert sum(v == "test" for v in split_queries(QUERIES, 13, val=0.1, test=0.5).values()) > 80


def test_adding_queries_moves_no_existing_query():
    before = split_queries(QUERIES, seed=13)
    after = split_queries([*QUERIES, "a new query", "another one"], seed=13)
    assert {q: after[q] for q in QUERIES} == before
    assert split_queries(list(reversed(QUERIES)), seed=13) == before  # order does not matter either


def test_case_and_spacing_variants_share_a_split():
    s = split_queries([*QUERIES, "Query 7", " query   7 "], seed=13)
    assert s["Query 7"] == s[" query   7 "] == s["query 7"]


def test_small_lists_get_every_split_and_duplicates_count_once():
    for n in (3, 4, 5, 6):
        s = split_queries([f"q{i}" for i in range(n)], seed=13)
        assert sorted(set(s.values())) == ["test", "train", "val"], n
    assert split_queries(["a", "a", "b"], seed=13).keys() == {"a", "b"}
    assert split_queries(["only"], seed=13) in ({"only": "train"}, {"only": "val"}, {"only": "test"})
    assert "val" not in split_queries([f"q{i}" for i in range(5)], seed=13, val=0.0).values()
    with pytest.raises(ValueError, match="sum to less than 1"):
        split_queries(QUERIES, seed=13, val=0.5, test=0.5)


def test_folds_put_each_query_in_exactly_one_test_fold():
    folds = query_folds(QUERIES[:10], k=3, seed=13)
    tests = [t for _, t in folds]
    assert sorted(len(t) for t in tests) == [3, 3, 4]
    assert sorted(q for t in tests for q in t) == sorted(QUERIES[:10])
    for train, test in folds:
        assert not set(train) & set(test) and sorted(train + test) == sorted(QUERIES[:10])
        assert test == [q for q in QUERIES[:10] if q in test]  # input order kept
    assert query_folds(QUERIES[:10], 3, 13) == folds
    with pytest.raises(ValueError, match="at least k distinct queries"):
        query_folds(["a", "b"], k=3, seed=13)
    with pytest.raises(ValueError, match="k >= 2"):
        query_folds(QUERIES, k=1, seed=13)
