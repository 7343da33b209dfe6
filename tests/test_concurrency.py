"""One engine shared by many browser sessions (st.cache_resource) answers threads as it answers one caller."""
from concurrent.futures import ThreadPoolExecutor

from ecomrec import Engine
from ecomrec import schema as S

QUERIES = ("tent for 2 people", "cheap coffee maker", "sleeping bag", "phone", "camping light", "espresso machine")


def _fresh(shop_engine) -> Engine:
    # empty caches, same models
    engine = Engine(shop_engine.catalog.data, shop_engine.config, shop_engine.embeddings.encoder)
    return engine


def _work(engine: Engine, i: int) -> tuple:
    q = QUERIES[i % len(QUERIES)]
    res = engine.search(q, k=5, weights={"rating": 0.1 * (i % 3)})
    events = engine.catalog.events
    history = events[events[S.USER_ID].eq(events[S.USER_ID].iloc[i % 7])]
    recs = engine.recommend(history, cart=[res.items[0].product_id], kind="cart", k=5)
    return ([(it.product_id, round(it.score, 6)) for it in res.items],
            [(it.product_id, round(it.score, 6)) for it in recs.items])


def test_many_threads_get_what_one_caller_gets(shop_engine):
    jobs = range(24)
    alone = _fresh(shop_engine)
    expected = [_work(alone, i) for i in jobs]
    shared = _fresh(shop_engine)  # cold caches: the threads race to fill them
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda i: _work(shared, i), jobs))
    assert got == expected
    assert all(search for search, _ in got)
