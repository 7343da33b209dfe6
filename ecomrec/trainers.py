"""Training runs: fine-tune one model on an engine's data, measure it on held-out queries, register it.

Each run trains only on the training queries (and the events of those queries); the held-out test
queries are used for the metrics in the manifest and nothing else. :class:`ecomrec.Engine` exposes
these as ``train_intent`` / ``train_reranker`` / ``train_biencoder``.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.data.judgments import PairConfig, query_engagements, reranker_pairs, search_judgments
from ecomrec.evaluation import classification_metrics, dense_runs, ranking_metrics, rerank_runs
from ecomrec.models.training import ProgressFn

if TYPE_CHECKING:
    from ecomrec.engine import Engine
    from ecomrec.models.registry import Manifest

VAL_QUERIES = 100  # training queries kept out of the reranker's pairs to pick its best epoch
TEST_RERANK_QUERIES = 300  # a fixed sample of held-out queries: ~6k pairs, ~35 s on 2 cores, +-0.01 NDCG


def _register(engine: Engine, role: str, write, config, fingerprint: str, metrics: dict, info: dict,
              activate: bool | None) -> Manifest:
    """Save a version; activate it when asked, or when asked nothing and none is active yet."""
    from ecomrec.models.intent import hyperparameters

    version = engine.registry.save(role, write, {
        "base_model": config.base_model, "data_fingerprint": fingerprint,
        "hyperparameters": hyperparameters(config), "seed": config.seed, "metrics": metrics,
        "device": info["device"], "train_s": info["train_s"]})
    if activate or (activate is None and engine.registry.active(role) is None):
        engine.registry.activate(role, version)
    return engine.registry.manifest(role, version)


def train_intent(engine: Engine, config=None, progress: ProgressFn | None = None,
                 activate: bool | None = None) -> Manifest:
    """Fine-tune the intent classifier, fit the category head beside it, and register both as one version.

    Metrics: validation macro-F1, and on the held-out test queries accuracy, macro-F1, F1 per
    intent and category accuracy.
    """
    from ecomrec.models.category import CategoryHead
    from ecomrec.models.intent import IntentClassifier, IntentConfig, data_fingerprint

    config = config or IntentConfig(seed=engine.config.seed)
    train = engine.data.queries.dropna(subset=[S.INTENT])
    test = engine.data.queries_test.dropna(subset=[S.INTENT])
    if len(train) < 2 or train[S.INTENT].nunique() < 2:
        raise ValueError(f"data set {engine.data.name!r} has too few intent-labelled queries to train on "
                         f"({len(train)} rows, {train[S.INTENT].nunique()} intents)")
    clf, info = IntentClassifier.train(train[S.TEXT].tolist(), train[S.INTENT].tolist(), config, progress)
    metrics = {"val_macro_f1": info["best_val_macro_f1"], "epochs_run": info["epochs_run"]}
    if len(test):
        pred = [p.label for p in clf.predict(test[S.TEXT].tolist())]
        metrics.update({f"test_{k}": round(v, 4)
                        for k, v in classification_metrics(test[S.INTENT].tolist(), pred).items()})
    with_cat = train.dropna(subset=[S.CATEGORY])
    head = None
    if with_cat[S.CATEGORY].nunique() >= 2:
        enc = engine.base_encoder
        head = CategoryHead.fit(enc.encode(with_cat[S.TEXT].tolist()), with_cat[S.CATEGORY].tolist(),
                                seed=config.seed)
        test_cat = test.dropna(subset=[S.CATEGORY])
        if len(test_cat):
            got = [c for c, _ in head.predict(enc.encode(test_cat[S.TEXT].tolist()))]
            metrics["test_category_accuracy"] = round(float(np.mean(np.array(got) == test_cat[S.CATEGORY])), 4)

    def write(folder) -> None:
        clf.save(folder)
        if head is not None:
            head.save(folder)

    fingerprint = data_fingerprint(train[S.TEXT].tolist(), train[S.INTENT].tolist())
    return _register(engine, "intent", write, config, fingerprint, metrics, info, activate)


def train_reranker(engine: Engine, config=None, progress: ProgressFn | None = None, activate: bool | None = None,
                   pairs: PairConfig = PairConfig(), depth: int = 20) -> Manifest:
    """Fine-tune the cross-encoder on pairs from training queries' clicks and categories; register it.

    Metrics: NDCG@10 and MRR of the dense top-``depth`` reranked, beside the dense order itself,
    on the held-out test queries (``baseline_dense_*``), and the validation NDCG@10 that picked
    the epoch.
    """
    from ecomrec.models.intent import data_fingerprint
    from ecomrec.models.reranker import CrossEncoderReranker, RerankerConfig

    config = config or RerankerConfig(seed=engine.config.seed)
    data = engine.data
    test_texts = set(data.queries_test[S.TEXT])
    labelled = data.queries.dropna(subset=[S.CATEGORY])
    labelled = labelled[~labelled[S.TEXT].isin(test_texts)].drop_duplicates(S.TEXT)
    val = labelled.sample(n=min(VAL_QUERIES, len(labelled) // 5), random_state=config.seed)
    table = reranker_pairs(labelled, data.products, data.events, engine.dense_retrieve,
                           exclude=test_texts | set(val[S.TEXT]), config=pairs, seed=config.seed)
    if len(table) < 8 or table["target"].nunique() < 2:
        raise ValueError(f"data set {data.name!r} has too few category-labelled queries to derive reranker "
                         f"training pairs from ({len(table)} pairs)")
    doc = dict(zip(data.products[S.PRODUCT_ID], engine.rerank_texts()))
    val_judged = search_judgments(val, data.products, data.events)

    def evaluate(ranker) -> float:
        return ranking_metrics(rerank_runs(engine, ranker, list(val_judged), depth)[1], val_judged)["ndcg@10"]

    ranker, info = CrossEncoderReranker.train(
        table[S.QUERY].tolist(), [doc[p] for p in table[S.PRODUCT_ID]], table["target"].tolist(),
        table["weight"].tolist(), config, progress, evaluate if val_judged else None)
    metrics: dict = {"pairs": len(table), "epochs_run": info["epochs_run"], "depth": depth}
    if info["best_val_ndcg"] is not None:
        metrics["val_ndcg@10"] = info["best_val_ndcg"]
    metrics.update(rerank_test_metrics(engine, ranker, depth))
    fingerprint = data_fingerprint(table[S.QUERY].tolist(), table[S.PRODUCT_ID].tolist())
    return _register(engine, "reranker", ranker.save, config, fingerprint, metrics, info, activate)


def rerank_test_metrics(engine: Engine, ranker, depth: int) -> dict[str, float]:
    """Reranked vs dense-only NDCG@10 and MRR on the held-out test queries (empty when none are judged)."""
    judged = search_judgments(engine.data.queries_test, engine.data.products, engine.data.events)
    if not judged:
        return {}
    judged = {q: judged[q] for q in sorted(judged)[:TEST_RERANK_QUERIES]}
    dense, reranked = rerank_runs(engine, ranker, list(judged), depth)
    new, base = ranking_metrics(reranked, judged), ranking_metrics(dense, judged)
    return {"test_ndcg@10": round(new["ndcg@10"], 4), "test_mrr": round(new["mrr"], 4),
            "baseline_dense_ndcg@10": round(base["ndcg@10"], 4), "baseline_dense_mrr": round(base["mrr"], 4),
            "test_queries": len(judged)}


def train_biencoder(engine: Engine, config=None, progress: ProgressFn | None = None,
                    activate: bool | None = None, max_pairs: int = 3000) -> Manifest:
    """Fine-tune the retrieval encoder on training query -> clicked product pairs; register it.

    The version is always saved (for inspection), but it becomes active only when its dense
    NDCG@10 on the *validation* queries (the data set's ``queries_val``, else
    ``VAL_QUERIES`` training queries kept out of the pairs) beats the packaged model's measured in
    the same run (``metrics["beats_base"]``). The held-out test queries are scored for the manifest
    and decide nothing.
    """
    from ecomrec.config import EncoderConfig
    from ecomrec.models.biencoder import BiencoderConfig, finetune_biencoder
    from ecomrec.models.encoder import Encoder
    from ecomrec.models.intent import data_fingerprint

    config = config or BiencoderConfig(seed=engine.config.seed)
    data = engine.data
    val = data.queries_val.dropna(subset=[S.CATEGORY])
    if not len(val):
        labelled = data.queries.dropna(subset=[S.CATEGORY]).drop_duplicates(S.TEXT)
        val = labelled.sample(n=min(VAL_QUERIES, len(labelled) // 5), random_state=config.seed)
    held_out = set(data.queries_test[S.TEXT]) | set(val[S.TEXT])
    eng = query_engagements(data.events)
    eng = eng[~eng[S.QUERY].isin(held_out)]
    eng = eng.sample(n=min(max_pairs, len(eng)), random_state=config.seed) if len(eng) else eng
    if len(eng) < 8:
        raise ValueError(f"data set {data.name!r} has too few searches with clicks to fine-tune the "
                         f"bi-encoder on ({len(eng)} query-product pairs)")
    doc = dict(zip(data.products[S.PRODUCT_ID], engine.product_texts()))
    model, info = finetune_biencoder(eng[S.QUERY].tolist(), [doc[p] for p in eng[S.PRODUCT_ID]], config, progress)
    same = config.base_model == engine.config.encoder.model  # the engine's packaged encoder is already loaded
    base = engine.base_encoder if same else Encoder(EncoderConfig(model=config.base_model))
    new = Encoder.from_model(model, engine.config.encoder)
    ids, texts = data.products[S.PRODUCT_ID].to_numpy(), engine.product_texts()
    catalogs = {"base": base.encode_cached(ids.tolist(), texts, engine.config.cache_dir)[0],
                "new": new.encode(texts)}  # no cache file: served later from its registry folder, not memory
    metrics: dict = {"pairs": len(eng)}
    for split, queries in (("val", val), ("test", data.queries_test)):
        judged = search_judgments(queries, data.products, data.events)
        if not judged:
            continue
        qs = list(judged)
        scores = {name: ranking_metrics(dense_runs(enc.encode(qs), catalogs[name], ids, qs), judged)
                  for name, enc in (("base", base), ("new", new))}
        metrics.update({f"{split}_ndcg@10": round(scores["new"]["ndcg@10"], 4),
                        f"{split}_recall@50": round(scores["new"]["recall@50"], 4),
                        f"baseline_packaged_{split}_ndcg@10": round(scores["base"]["ndcg@10"], 4),
                        f"{split}_queries": len(judged)})
    metrics["beats_base"] = "val_ndcg@10" in metrics and \
        metrics["val_ndcg@10"] > metrics["baseline_packaged_val_ndcg@10"]
    if not metrics["beats_base"]:
        activate = False

    def write(folder) -> None:
        model.save(str(folder), safe_serialization=True)

    fingerprint = data_fingerprint(eng[S.QUERY].tolist(), eng[S.PRODUCT_ID].tolist())
    return _register(engine, "biencoder", write, config, fingerprint, metrics, info, activate)


def train_sequential(engine: Engine, config=None, progress: ProgressFn | None = None,
                     activate: bool | None = None) -> Manifest:
    """Train the SASRec-style model on shoppers' sequences, pick its blend weights, measure, register.

    Split (last-item hold-out per shopper): the last product of every sequence is the test target,
    the one before it the validation target (it picks the epoch and the blend weights), and the
    model trains on what comes before. Metrics: HR@10 and NDCG@10 on the test targets with full
    ranking over the catalog for ``sequential``, ``blend``, ``item_knn`` and ``popularity``.
    """
    from ecomrec.models.intent import data_fingerprint
    from ecomrec.models.sequential import SequentialConfig, SequentialRecommender
    from ecomrec.recommend.baselines import ItemKNN, popularity
    from ecomrec.recommend.browse import BrowseRecommender, pick_blend, save_blend
    from ecomrec.recommend.complements import save_cart_config
    from ecomrec.recommend.evaluate import (
        category_popularity_scores,
        exclude_history,
        next_item_metrics,
        popularity_scores,
        runs_metrics,
    )
    from ecomrec.recommend.history import item_sequences, leave_last_out

    config = config or SequentialConfig(seed=engine.config.seed)
    index = pd.Index(engine.products[S.PRODUCT_ID])
    hist, targets = leave_last_out(item_sequences(engine.data.events))
    val_hist, val_targets = leave_last_out(dict(enumerate(hist)))
    if len(val_hist) < 10:
        raise ValueError(f"data set {engine.data.name!r} has too few shoppers with three or more products "
                         f"({len(val_hist)}) to train a sequential recommender")
    emb = engine.catalog_embeddings()

    def masked(model, histories):
        return exclude_history(model.score(histories), histories, index)

    def evaluate(model) -> float:
        return next_item_metrics(lambda h: masked(model, h), val_hist, val_targets, index)["hr@10"]

    model, info = SequentialRecommender.train(val_hist, index.tolist(), emb, config, progress, evaluate)
    val_signals = BrowseRecommender(index, emb, ItemKNN(val_hist, index), model).signals(val_hist)
    blend, val_blend_hr = pick_blend(val_signals, index.get_indexer(val_targets))
    test = BrowseRecommender(index, emb, ItemKNN(hist, index), model, blend)
    pop = popularity(hist, index)
    by_popularity = popularity_scores(pop, index)
    by_category = category_popularity_scores(pop, engine.products[S.CATEGORY].to_numpy(), index)

    def runs(histories) -> dict[str, np.ndarray]:  # the signals once per batch, for the blend and its parts
        signals = test.signals(histories)
        return {"sequential": signals["sequential"], "blend": sum(test.blend(signals).values()),
                "item_knn": signals["co_occurrence"], "popularity": by_popularity(histories),
                "category_popularity": by_category(histories)}

    metrics: dict = {"val_hr@10": info["best_val_hr@10"], "val_blend_hr@10": round(val_blend_hr, 4),
                     "epochs_run": info["epochs_run"], "shoppers": len(hist)}
    for name, m in runs_metrics(runs, hist, targets, index).items():
        metrics[f"{name}_hr@10"], metrics[f"{name}_ndcg@10"] = m["hr@10"], m["ndcg@10"]
    metrics.update({f"blend_{k}": v for k, v in blend.as_dict().items()})
    cart, val_cart_hr = cart_config_on_validation(engine)
    metrics.update({"val_cart_hr@10": round(val_cart_hr, 4),
                    **{f"cart_{k}": v for k, v in asdict(cart).items() if isinstance(v, float)}})

    def write(folder) -> None:
        model.save(folder)
        save_blend(blend, folder)
        save_cart_config(cart, folder)

    fingerprint = data_fingerprint([" ".join(h) for h in val_hist], val_targets)
    return _register(engine, "sequential", write, config, fingerprint, metrics, info, activate)


def cart_config_on_validation(engine: Engine):  # -> tuple[ComplementConfig, float]
    """Cart weights picked on validation baskets: the log's last 20 % is test, the 20 % before it validation.

    Returns:
        (config, its validation HR@10).
    """
    from ecomrec.recommend.complements import pick_cart_config
    from ecomrec.recommend.history import baskets, split_by_time
    from ecomrec.recommend.profile import price_quantiles

    train, _ = split_by_time(engine.data.events)
    fit, val = split_by_time(train, 0.25)  # 20 % of the whole span
    return pick_cart_config(baskets(fit).tolist(), baskets(val).tolist(), engine.products,
                            price_quantiles(engine.products), engine.catalog_embeddings(), engine.config.seed)
