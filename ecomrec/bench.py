"""`python -m ecomrec bench`: speed and quality numbers, each beside its baseline from the same run.

Each section is a function returning ``dict[str, float | int | str]``; later work adds sections.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ecomrec.config import Config
from ecomrec.engine import Engine


def bench_index(data_dir: Path) -> dict[str, float | int | str]:
    """Catalog encoding through our pipeline vs the bare model, and cold vs warm start.

    ``cold_build_s``: a fresh engine with an empty cache, from load to embeddings on disk.
    ``warm_load_s``: a fresh engine with that cache, from load to embeddings in memory.
    """
    cache = Path(tempfile.mkdtemp(prefix="ecomrec-bench-"))
    try:
        config = replace(Config(), cache_dir=cache)
        t0 = time.perf_counter()
        cold = Engine.load(data_dir, config)
        cold.catalog_embeddings()
        cold_build_s = time.perf_counter() - t0
        # same texts, same model: the bare sentence-transformers call
        texts = cold.product_texts()
        model = cold.encoder.model
        t0 = time.perf_counter()
        model.encode(texts, batch_size=config.encoder.batch_size, normalize_embeddings=True,
                     show_progress_bar=False)
        raw_s = time.perf_counter() - t0
        # our pipeline, encode only (no model load, no cache read)
        t0 = time.perf_counter()
        cold.encoder.encode(texts)
        ours_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = Engine.load(data_dir, config)
        warm.catalog_embeddings()
        warm_load_s = time.perf_counter() - t0
        if not warm.embeddings_from_cache:
            raise RuntimeError("the warm start re-encoded the catalog: the embedding cache was not used")
        return {"items": len(texts), "items_per_s": round(len(texts) / ours_s, 1),
                "raw_encode_items_per_s": round(len(texts) / raw_s, 1),
                "cold_build_s": round(cold_build_s, 2), "warm_load_s": round(warm_load_s, 2),
                "device": cold.encoder.device, "model": cold.encoder.name}
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def bench_intent(data_dir: Path) -> dict[str, float | int | str]:
    """Intent classifier, full and LoRA fine-tuning, beside TF-IDF + LR and zero-shot baselines.

    Everything is measured on the held-out test queries, in this run, into a throw-away registry.
    """
    from ecomrec import schema as S
    from ecomrec.evaluation import tfidf_lr_baseline, zero_shot_baseline
    from ecomrec.models.intent import IntentConfig

    registry = Path(tempfile.mkdtemp(prefix="ecomrec-bench-registry-"))
    try:
        engine = Engine.load(data_dir, replace(Config(), registry_dir=registry))
        full = engine.train_intent(IntentConfig(), activate=True)
        lora = engine.train_intent(IntentConfig(lora=True), activate=False)
        train, test = engine.data.queries, engine.data.queries_test
        tfidf = tfidf_lr_baseline(train[S.TEXT], train[S.INTENT], test[S.TEXT], test[S.INTENT])
        zero = zero_shot_baseline(engine.encoder, test[S.TEXT], test[S.INTENT])
        return {"test_accuracy": full.metrics["test_accuracy"], "test_macro_f1": full.metrics["test_macro_f1"],
                "baseline_tfidf_lr_macro_f1": round(tfidf["macro_f1"], 4),
                "baseline_zero_shot_macro_f1": round(zero["macro_f1"], 4),
                "train_s": full.train_s, "epochs": full.metrics["epochs_run"],
                "train_s_lora": lora.train_s, "lora_test_macro_f1": lora.metrics["test_macro_f1"],
                "train_queries": len(train), "test_queries": len(test), "device": full.device}
    finally:
        shutil.rmtree(registry, ignore_errors=True)


def _median_ms(fn: Callable[[str], object], inputs: list[str]) -> float:
    times = []
    for text in inputs:
        t0 = time.perf_counter()
        fn(text)
        times.append((time.perf_counter() - t0) * 1000)
    return round(float(np.median(times)), 2)


def bench_quantization(data_dir: Path) -> dict[str, float | int | str]:
    """Dynamic int8 vs fp32 for the intent model and the reranker, on the held-out test queries.

    Uses the active versions in the registry; where a role has none, a default one is trained into a
    throw-away registry first. Latency is the median per query, one at a time, as the app calls the
    models (intent: the query; reranker: the query against its dense top-20). int8 runs on the CPU.
    """
    from ecomrec import schema as S
    from ecomrec.trainers import rerank_test_metrics

    engine = Engine.load(data_dir)
    scratch = None
    if engine.registry.active("intent") is None or engine.registry.active("reranker") is None:
        scratch = Path(tempfile.mkdtemp(prefix="ecomrec-bench-registry-"))
        engine = Engine.load(data_dir, replace(Config(), registry_dir=scratch))
    try:
        if engine.registry.active("intent") is None:
            engine.train_intent()
        if engine.registry.active("reranker") is None:
            engine.train_reranker()
        texts = engine.data.queries_test[S.TEXT].tolist()
        clf = engine.intent_classifier()
        clf8 = clf.quantized()
        sample = texts[:200]
        agree = float(np.mean(clf.predict_proba(texts).argmax(1) == clf8.predict_proba(texts).argmax(1)))
        ranker = engine.reranker()
        ranker8 = ranker.quantized()
        depth = 20
        docs = engine.rerank_texts()
        rows = engine.dense_retrieve(sample, depth)
        cands = {q: [docs[i] for i in r] for q, r in zip(sample, rows)}
        fp32 = rerank_test_metrics(engine, ranker, depth)
        int8 = rerank_test_metrics(engine, ranker8, depth)
        return {"fp32_ms": _median_ms(lambda q: clf.predict_proba([q]), sample),
                "int8_ms": _median_ms(lambda q: clf8.predict_proba([q]), sample),
                "top1_agreement": round(agree, 4), "intent_queries": len(texts),
                "rerank_fp32_ms": _median_ms(lambda q: ranker.score(q, cands[q]), sample),
                "rerank_int8_ms": _median_ms(lambda q: ranker8.score(q, cands[q]), sample),
                "rerank_depth": depth,
                "rerank_ndcg_fp32": fp32.get("test_ndcg@10"), "rerank_ndcg_int8": int8.get("test_ndcg@10"),
                "rerank_queries": fp32.get("test_queries", 0),
                "intent_version": engine.registry.active("intent"),
                "reranker_version": engine.registry.active("reranker"), "fp32_device": clf.device}
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


SECTIONS: dict[str, Callable[[Path], dict[str, float | int | str]]] = {
    "index": bench_index, "intent": bench_intent, "quantization": bench_quantization}


def run(data_dir: Path, only: list[str] | None = None, out: Path | None = None) -> dict[str, dict]:
    """Run the chosen sections (all by default) and optionally write one JSON object to ``out``."""
    names = only or list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown bench section(s) {unknown}; available: {sorted(SECTIONS)}")
    results = {name: SECTIONS[name](Path(data_dir)) for name in names}
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(results, indent=2) + "\n")
    return results
