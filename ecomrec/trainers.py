"""Training runs: fine-tune one model on a data set, measure it on held-out queries, register it.

Each run trains only on the training queries (and the events of those queries); the held-out test
queries are used for the metrics in the manifest and nothing else. A trainer reads what
:class:`TrainingInputs` hands it (data, registry, catalog texts and embeddings, encoders), never the
engine; :class:`ecomrec.Engine` builds the inputs and runs trainers by role
(:data:`ecomrec.roles.ROLES`). Each role's ``missing_*`` check says, before anything
loads, why a data set cannot train it; the trainer raises the same message.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ecomrec import schema as S
from ecomrec.config import EncoderConfig
from ecomrec.data.judgments import query_engagements, reranker_pairs, search_judgments
from ecomrec.data.loaders import Dataset
from ecomrec.evaluation.classification import classification_metrics
from ecomrec.evaluation.ranking import dense_runs, ranking_metrics, rerank_runs
from ecomrec.models.training import CancelFn, ProgressFn, data_fingerprint, hyperparameters

if TYPE_CHECKING:
    from ecomrec.data.qrels import Judgments
    from ecomrec.models.registry import Manifest, Registry

VAL_QUERIES = 100  # training queries kept out of the reranker's pairs to pick its best epoch
TEST_RERANK_QUERIES = 300  # a fixed sample of held-out queries: ~6k pairs, ~35 s on 2 cores, +-0.01 NDCG
RERANK_DEPTH = 20  # the reranker is measured on the dense top 20, the pool the Search page reranks most
MAX_BIENCODER_PAIRS = 3000  # query -> clicked product pairs sampled for the bi-encoder: one epoch in ~2 min
MIN_RERANK_QUERIES = 5  # category-labelled queries: one in five picks the epoch, so five give it one
MIN_SHOPPERS = 10  # validation shoppers (three or more products) the sequential model needs to pick an epoch
HARD_NEGATIVES = 10  # unjudged products of a query's dense top 20 taken as irrelevant: what retrieval confuses
HARD_NEGATIVE_WEIGHT = 0.5  # unjudged is not judged irrelevant: such a pair counts half a judged one
MAX_JUDGED_PAIRS = 4000  # pairs drawn from a judgment list per run: one epoch in ~2-3 min on 2 cores


@dataclass(frozen=True)
class TrainingInputs:
    """What a trainer reads. The engine builds it; providers load on first call and are cached there.

    Attributes:
        data: the data set (training, validation and test queries; events; catalog).
        registry: where the new version is saved.
        seed: the run's seed unless the role's config says another.
        encoder_config: the configured (by default packaged) encoder: the base of fine-tuning and of comparison.
        cache_dir: catalog embedding cache.
        product_texts: what each product is embedded by, catalog order.
        rerank_texts: what the cross-encoder reads of each product, catalog order.
        catalog_embeddings: (N, D) catalog embeddings by the encoder in use.
        base_encoder: the configured encoder, never a fine-tuned one.
        dense_retrieve: ``(texts, k) -> (Q, k)`` row positions of each text's nearest products.
        annotations: resolved labels of the data set's intent label set (columns text, label), from the
            Annotate page; the intent trainer adds them to the data set's labelled queries.
        graded_pairs: people's relevance grades (columns query, product_id, gain), from the Annotate page;
            the reranker trainer adds them to the pairs it derives from clicks.
    """

    data: Dataset
    registry: Registry
    seed: int
    encoder_config: EncoderConfig
    cache_dir: str
    product_texts: Callable[[], list[str]]
    rerank_texts: Callable[[], list[str]]
    catalog_embeddings: Callable[[], np.ndarray]
    base_encoder: Callable[[], object]
    dense_retrieve: Callable[[list[str], int], np.ndarray]
    annotations: Callable[[], pd.DataFrame] = lambda: pd.DataFrame(columns=["text", "label"])
    graded_pairs: Callable[[], pd.DataFrame] = lambda: pd.DataFrame(columns=["query", "product_id", "gain"])


def _register(inputs: TrainingInputs, role: str, write, config, fingerprint: str, metrics: dict, info: dict,
              activate: bool | None) -> Manifest:
    """Save a version; activate it when asked, or when asked nothing and none is active yet."""
    registry = inputs.registry
    version = registry.save(role, write, {
        "base_model": config.base_model, "data_fingerprint": fingerprint,
        "hyperparameters": hyperparameters(config), "seed": config.seed, "metrics": metrics,
        "device": info["device"], "train_s": info["train_s"], "dataset": inputs.data.name,
        "dataset_fingerprint": inputs.data.fingerprint()})
    if activate or (activate is None and registry.active(role) is None):
        registry.activate(role, version)
    return registry.manifest(role, version)


def _check(reason: str | None) -> None:
    if reason:
        raise ValueError(reason)


# ---- what each role needs (read by the role table, the Train page and the trainers) ----
def missing_intent(data: Dataset) -> str | None:
    """Why ``data`` cannot train the intent classifier, or None when it can."""
    train = data.queries.dropna(subset=[S.INTENT])
    categories = data.queries[S.CATEGORY].nunique()
    if (len(train) < 2 or train[S.INTENT].nunique() < 2) and categories < 2:
        return (f"data set {data.name!r} has too few labelled queries to train on ({len(train)} with an intent, "
                f"{train[S.INTENT].nunique()} intents, {categories} query categories; needs two intents or two "
                "categories)")
    return None


def missing_reranker(data: Dataset) -> str | None:
    """Why ``data`` cannot train the reranker, or None when it may (the pairs are counted when derived)."""
    labelled = data.queries.dropna(subset=[S.CATEGORY])
    if labelled[S.TEXT].nunique() < MIN_RERANK_QUERIES:
        return (f"data set {data.name!r} has too few category-labelled queries to derive reranker training "
                f"pairs from ({labelled[S.TEXT].nunique()}; needs {MIN_RERANK_QUERIES})")
    return None


def missing_biencoder(data: Dataset) -> str | None:
    """Why ``data`` cannot fine-tune the bi-encoder, or None when it can."""
    n = len(query_engagements(data.events))
    if n < 8:
        return (f"data set {data.name!r} has too few searches with clicks to fine-tune the bi-encoder on "
                f"({n} query-product pairs; needs 8)")
    return None


def missing_sequential(data: Dataset) -> str | None:
    """Why ``data`` cannot train the sequential recommender, or None when it can."""
    from ecomrec.evaluation.splits import leave_last_out
    from ecomrec.recommend.history import item_sequences

    hist, _ = leave_last_out(item_sequences(data.events))
    val_hist, _ = leave_last_out(dict(enumerate(hist)))
    if len(val_hist) < MIN_SHOPPERS:
        return (f"data set {data.name!r} has too few shoppers with three or more products ({len(val_hist)}; "
                f"needs {MIN_SHOPPERS}) to train a sequential recommender")
    return None


def train_intent(inputs: TrainingInputs, config=None, progress: ProgressFn | None = None,
                 activate: bool | None = None, cancel: CancelFn | None = None) -> Manifest:
    """Choose the label set's classifier on validation, fit the category head beside it, register both as one
    version.

    The classifier learns whatever labels the data set's queries and resolved annotations carry (its head
    follows the label set); its method (TF-IDF + LR, LR on frozen MiniLM embeddings, one LR on both together,
    their blend, SetFit, fine-tuned MiniLM, or that blended with TF-IDF) is chosen on a validation split of those
    training queries within ``config.budget_s`` (:func:`ecomrec.models.label_model.choose`) and its probabilities
    calibrated there. A data set whose queries carry only categories gets a version holding the category head alone.

    Metrics: validation macro-F1 of every candidate, and on the held-out test queries accuracy, macro-F1, F1
    per intent, expected calibration error and category accuracy.
    """
    from ecomrec.evaluation.calibration import expected_calibration_error
    from ecomrec.models.category import CategoryHead
    from ecomrec.models.encoder import memoized
    from ecomrec.models.intent import IntentConfig
    from ecomrec.models.label_model import SelectionConfig, choose

    config = config or IntentConfig(seed=inputs.seed)
    train, used = intent_training_rows(inputs.data, inputs.annotations())
    test = inputs.data.queries_test.dropna(subset=[S.INTENT])
    has_intents = len(train) >= 2 and train[S.INTENT].nunique() >= 2
    with_cat = (train if has_intents else inputs.data.queries).dropna(subset=[S.CATEGORY])
    _check(missing_intent(inputs.data) if not has_intents and with_cat[S.CATEGORY].nunique() < 2 else None)
    started = time.perf_counter()
    clf, info, metrics = None, {"epochs_run": 0, "device": "cpu"}, {"train_queries": len(train), **used}
    encode = memoized(inputs.base_encoder().encode)  # the training queries are embedded once for every part
    if has_intents:
        clf = choose(train[S.TEXT].tolist(), train[S.INTENT].tolist(), encode,
                     SelectionConfig(budget_s=config.budget_s, seed=config.seed), config, progress, cancel,
                     catalog_words=catalog_words(inputs.data.products))
        fine = next((r for r in clf.candidates if r["method"] == "fine_tune" and "setting" in r), None)
        # "3 epochs": the fine-tuned part's, when the chosen model has one (a TF-IDF or joint model ran none)
        epochs = int(fine["setting"].split()[0]) if fine and clf.fine_tuned is not None else 0
        info = {"epochs_run": epochs, "device": clf.fine_tuned.device if clf.fine_tuned is not None else "cpu"}
        winner = next(r for r in clf.candidates if r["method"] == clf.method)
        metrics.update({"method": clf.method, "epochs_run": epochs, "val_macro_f1": winner["val_macro_f1"],
                        "temperature": round(clf.temperature, 3),
                        **{f"val_macro_f1 {r['method']}": r["val_macro_f1"] for r in clf.candidates
                           if r["val_macro_f1"] is not None}})
        if len(test):
            probs = clf.predict_proba(test[S.TEXT].tolist())
            pred = [clf.labels[i] for i in probs.argmax(axis=1)]
            metrics.update({f"test_{k}": round(v, 4)
                            for k, v in classification_metrics(test[S.INTENT].tolist(), pred).items()})
            known = test[S.INTENT].isin(clf.labels).to_numpy()
            if known.any():
                truth = [clf.labels.index(lab) for lab in test[S.INTENT][known]]
                metrics["test_ece"] = round(expected_calibration_error(probs[known], np.array(truth)), 4)
    head = None
    if with_cat[S.CATEGORY].nunique() >= 2:
        # C and whether each category's name is one more example, chosen on held-back training queries; with names,
        # the catalog's categories no query is labelled with are learned from their names alone
        head, chosen = CategoryHead.choose(encode(with_cat[S.TEXT].tolist()), with_cat[S.CATEGORY].tolist(), encode,
                                           seed=config.seed,
                                           every_category=[c for c in inputs.data.products[S.CATEGORY].unique()
                                                           if isinstance(c, str) and c])
        metrics["category_head"] = f"C={chosen['c']:g}" + (", category names as examples" if chosen["names"] else "")
        test_cat = inputs.data.queries_test.dropna(subset=[S.CATEGORY])
        if len(test_cat):
            got = [c for c, _ in head.predict(encode(test_cat[S.TEXT].tolist()))]
            metrics["test_category_accuracy"] = round(float(np.mean(np.array(got) == test_cat[S.CATEGORY])), 4)

    def write(folder) -> None:
        if clf is not None:
            clf.save(folder)
        if head is not None:
            head.save(folder)

    info["train_s"] = round(time.perf_counter() - started, 2)
    rows = train if has_intents else with_cat
    fingerprint = data_fingerprint(rows[S.TEXT].tolist(), rows[S.INTENT if has_intents else S.CATEGORY].tolist())
    return _register(inputs, "intent", write, config, fingerprint, metrics, info, activate)


def catalog_words(products: pd.DataFrame) -> set[str]:
    """The lower-case words of the catalog's titles, brands and categories: what a query's phrasing is not."""
    text = " ".join(products[col].astype(str).str.cat(sep=" ") for col in (S.TITLE, S.BRAND, S.CATEGORY))
    return set(re.findall(r"[a-z']+", text.lower()))


def intent_training_rows(data: Dataset, annotations: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """The data set's intent-labelled training queries plus resolved annotations (an annotation replaces
    the file's label of the same query). Annotated validation or test queries are left out: they must
    never reach a trainer.

    Returns:
        (rows with text, intent and category, counts ``annotations_used`` and ``annotations_held_out``).
    """
    train = data.queries.dropna(subset=[S.INTENT])[[S.TEXT, S.INTENT, S.CATEGORY]]
    held_out = set(data.queries_val[S.TEXT]) | set(data.queries_test[S.TEXT])
    notes = annotations[~annotations["text"].isin(held_out)].drop_duplicates("text", keep="last")
    category = dict(zip(data.queries[S.TEXT], data.queries[S.CATEGORY]))
    added = pd.DataFrame({S.TEXT: notes["text"], S.INTENT: notes["label"],
                          S.CATEGORY: notes["text"].map(category)})
    rows = pd.concat([train[~train[S.TEXT].isin(set(added[S.TEXT]))], added], ignore_index=True)
    return rows, {"annotations_used": len(added),
                  "annotations_held_out": int(annotations["text"].isin(held_out).sum())}


def train_reranker(inputs: TrainingInputs, config=None, progress: ProgressFn | None = None,
                   activate: bool | None = None, cancel: CancelFn | None = None) -> Manifest:
    """Fine-tune the cross-encoder on pairs from training queries' clicks and categories; register it, or the
    shallower copy distilled from it when that holds on validation (:func:`distilled_reranker`).

    Metrics: NDCG@10 and MRR of the dense top-``RERANK_DEPTH`` reranked, beside the dense order itself,
    on the held-out test queries (``baseline_dense_*``), and the validation NDCG@10 that picked
    the epoch; with a copy, both validation scores (``student_*``, ``teacher_*``), whether it was kept and why,
    and, when kept, the full model's test figures (``teacher_test_*``).
    """
    from ecomrec.models.reranker import CrossEncoderReranker, RerankerConfig

    config = config or RerankerConfig(seed=inputs.seed)
    data = inputs.data
    _check(missing_reranker(data))
    test_texts = set(data.queries_test[S.TEXT])
    labelled = data.queries.dropna(subset=[S.CATEGORY])
    labelled = labelled[~labelled[S.TEXT].isin(test_texts)].drop_duplicates(S.TEXT)
    val = labelled.sample(n=min(VAL_QUERIES, len(labelled) // 5), random_state=config.seed)
    table = reranker_pairs(labelled, data.products, data.events, inputs.dense_retrieve,
                           exclude=test_texts | set(val[S.TEXT]), seed=config.seed)
    table, people = with_graded_pairs(table, inputs.graded_pairs(), exclude=test_texts | set(val[S.TEXT]))
    if len(table) < 8 or table["target"].nunique() < 2:
        raise ValueError(f"data set {data.name!r} has too few category-labelled queries to derive reranker "
                         f"training pairs from ({len(table)} pairs)")
    doc = dict(zip(data.products[S.PRODUCT_ID], inputs.rerank_texts()))
    val_judged = search_judgments(val, data.products, data.events)

    def evaluate(ranker) -> float:
        return ranking_metrics(_rerank_runs(inputs, ranker, list(val_judged))[1], val_judged)["ndcg@10"]

    pair_docs = [doc[p] for p in table[S.PRODUCT_ID]]
    ranker, info = CrossEncoderReranker.train(
        table[S.QUERY].tolist(), pair_docs, table["target"].tolist(),
        table["weight"].tolist(), config, copy_ahead(progress, config) if val_judged else progress,
        evaluate if val_judged else None, cancel)
    metrics: dict = {"pairs": len(table), "people_pairs": people, "epochs_run": info["epochs_run"],
                     "depth": RERANK_DEPTH}
    if info["best_val_ndcg"] is not None:
        metrics["val_ndcg@10"] = info["best_val_ndcg"]
    teacher = ranker
    ranker, distilled = distilled_reranker(teacher, info, table[S.QUERY].tolist(), pair_docs, config, progress,
                                           evaluate if val_judged else None, cancel)
    if distilled.get("distilled"):  # the teacher's test figures beside the copy's (measured, never chosen on)
        metrics.update({f"teacher_{k}": v for k, v in rerank_test_metrics(inputs, teacher).items()
                        if k.startswith("test_")})
    metrics.update(distilled)
    metrics.update(rerank_test_metrics(inputs, ranker))
    fingerprint = data_fingerprint(table[S.QUERY].tolist(), table[S.PRODUCT_ID].tolist())
    return _register(inputs, "reranker", ranker.save, config, fingerprint, metrics, info, activate)


def copy_ahead(progress: ProgressFn | None, config) -> ProgressFn | None:
    """The full reranker's progress with its smaller copy's planned steps (``student_epochs`` passes over the same
    pairs) counted in the total, so that a progress bar never runs backwards when the copy starts. For a run that
    distils (one with validation queries)."""
    if progress is None or not config.student_layers:
        return progress
    planned = config.student_epochs / max(1, config.epochs)  # the copy's passes per teacher pass
    return lambda p: progress(replace(p, total_steps=p.total_steps + round(p.total_steps * planned)))


def distilled_reranker(teacher, info: dict, queries: list[str], docs: list[str], config, progress, evaluate,
                       cancel) -> tuple[object, dict]:
    """The reranker to register: a ``config.student_layers``-layer student distilled from ``teacher`` over the same
    pairs when its validation NDCG@10 is within ``config.student_tolerance`` of the teacher's, else the teacher.

    Returns:
        (reranker, record): ``record`` (manifest metrics) is empty when no student was trained (``student_layers``
        0 or no validation score); else both validation scores, whether the student was kept and why.
        ``info["train_s"]`` grows by the student's training time.
    """
    if not config.student_layers or evaluate is None or info["best_val_ndcg"] is None or \
            teacher.layers <= config.student_layers:
        return teacher, {}
    steps = len(info["history"])  # the copy's steps continue the teacher's on a progress bar and loss curve

    def copy_progress(p) -> None:
        progress(replace(p, step=p.step + steps, total_steps=p.total_steps + steps,
                         metric_name=f"{p.metric_name}, smaller copy"))

    student, s_info = teacher.distill(queries, docs, config, progress and copy_progress, evaluate, cancel)
    info["train_s"] = round(info["train_s"] + s_info["train_s"], 2)
    teacher_val, student_val = info["best_val_ndcg"], s_info["best_val_ndcg"]
    kept = student_val >= teacher_val - config.student_tolerance
    why = (f"the {student.layers}-layer student's validation NDCG@10 {student_val:.3f} is "
           f"{'within' if kept else 'more than'} {config.student_tolerance:g} of the {teacher.layers}-layer "
           f"teacher's {teacher_val:.3f}")
    record = {"student_layers": student.layers, "teacher_layers": teacher.layers,
              "student_val_ndcg@10": student_val, "teacher_val_ndcg@10": teacher_val,
              "student_epochs_run": s_info["epochs_run"], "student_train_s": s_info["train_s"],
              "distilled": kept, "distilled_why": ("kept: " if kept else "not kept: ") + why}
    if kept:
        record["val_ndcg@10"] = student_val  # the registered model's
    return (student if kept else teacher), record


def judged_reranker_pairs(train: Judgments, ids: np.ndarray, dense_retrieve, seed: int) -> pd.DataFrame:
    """Cross-encoder training pairs from a judgment list's training queries: every judged product with its gain
    as the target (weight 1), plus up to ``HARD_NEGATIVES`` unjudged products of the query's dense top
    ``RERANK_DEPTH`` as irrelevant (weight ``HARD_NEGATIVE_WEIGHT``): the shop's own retrieval supplies the
    negatives, no events are needed. At most ``MAX_JUDGED_PAIRS`` pairs, drawn at random (seeded)."""
    queries = sorted(train)
    rows = dense_retrieve(queries, RERANK_DEPTH) if queries else np.zeros((0, RERANK_DEPTH), dtype=int)
    out = [(q, pid, float(g), 1.0) for q in queries for pid, g in train[q].items()]
    for q, r in zip(queries, rows):
        unjudged = [pid for pid in ids[r] if pid not in train[q]][:HARD_NEGATIVES]
        out.extend((q, pid, 0.0, HARD_NEGATIVE_WEIGHT) for pid in unjudged)
    table = pd.DataFrame(out, columns=[S.QUERY, S.PRODUCT_ID, "target", "weight"])
    return table.sample(n=min(len(table), MAX_JUDGED_PAIRS), random_state=seed).reset_index(drop=True)


def train_reranker_on_judgments(inputs: TrainingInputs, train: Judgments, val: Judgments, config=None,
                                progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                                pipeline_val: Callable[[object | None], float] | None = None) -> Manifest:
    """Fine-tune the cross-encoder on a judgment list's training queries alone (no events needed); register it,
    or the shallower copy distilled from it when that holds on validation (:func:`distilled_reranker`).

    The epoch is picked on the validation queries (NDCG@10 of their dense top ``RERANK_DEPTH`` reranked). The
    version is activated only when the whole pipeline with it beats the pipeline without it on validation:
    ``pipeline_val(reranker or None)`` is that pipeline's validation NDCG@10. Test queries are never seen here.

    Args:
        train, val: ``{query: {product_id: gain}}`` of the list's train and validation queries (disjoint).
    """
    from ecomrec.models.reranker import CrossEncoderReranker, RerankerConfig

    if set(train) & set(val):
        raise ValueError("the training and validation queries of a judgment list must not overlap")
    config = config or RerankerConfig(seed=inputs.seed)
    ids = inputs.data.products[S.PRODUCT_ID].to_numpy()
    table = judged_reranker_pairs(train, ids, inputs.dense_retrieve, config.seed)
    if len(table) < 8 or table["target"].nunique() < 2:
        raise ValueError(f"the judgment list has too few graded pairs to train a reranker on ({len(table)})")
    doc = dict(zip(ids, inputs.rerank_texts()))

    def evaluate(ranker) -> float:
        return ranking_metrics(_rerank_runs(inputs, ranker, list(val))[1], val)["ndcg@10"]

    pair_docs = [doc[p] for p in table[S.PRODUCT_ID]]
    ranker, info = CrossEncoderReranker.train(
        table[S.QUERY].tolist(), pair_docs, table["target"].tolist(),
        table["weight"].tolist(), config, copy_ahead(progress, config) if val else progress,
        evaluate if val else None, cancel)
    metrics: dict = {"pairs": len(table), "judged_pairs": int(table["weight"].eq(1.0).sum()),
                     "train_queries": len(train), "val_queries": len(val), "epochs_run": info["epochs_run"],
                     "depth": RERANK_DEPTH, "source": "judgments"}
    if info["best_val_ndcg"] is not None:
        metrics["val_ndcg@10"] = info["best_val_ndcg"]
    ranker, distilled = distilled_reranker(ranker, info, table[S.QUERY].tolist(), pair_docs, config, progress,
                                           evaluate if val else None, cancel)
    metrics.update(distilled)
    activate = False
    if pipeline_val is not None and val:
        with_it, without = pipeline_val(ranker), pipeline_val(None)
        metrics.update({"val_pipeline_ndcg@10": round(with_it, 4), "val_pipeline_without_ndcg@10": round(without, 4)})
        activate = with_it > without
    metrics["beats_without"] = activate
    fingerprint = data_fingerprint(table[S.QUERY].tolist(), table[S.PRODUCT_ID].tolist())
    return _register(inputs, "reranker", ranker.save, config, fingerprint, metrics, info, activate)


def with_graded_pairs(table: pd.DataFrame, graded: pd.DataFrame, exclude: set[str]) -> tuple[pd.DataFrame, int]:
    """The click-derived reranker pairs plus people's grades (target = the grade's gain, weight 1); a pair
    graded by people replaces the derived one. Graded validation and test queries (``exclude``) are left
    out: they measure the reranker. Returns (pairs, how many came from people)."""
    graded = graded[~graded["query"].isin(exclude)]
    if graded.empty:
        return table, 0
    people = pd.DataFrame({S.QUERY: graded["query"], S.PRODUCT_ID: graded["product_id"],
                           "target": graded["gain"].astype(float), "weight": 1.0})
    keys = set(zip(people[S.QUERY], people[S.PRODUCT_ID]))
    derived = table[[k not in keys for k in zip(table[S.QUERY], table[S.PRODUCT_ID])]]
    return pd.concat([derived, people], ignore_index=True), len(people)


def _rerank_runs(inputs: TrainingInputs, ranker, queries: list[str]):
    return rerank_runs(inputs.data.products[S.PRODUCT_ID].to_numpy(), inputs.rerank_texts(), inputs.dense_retrieve,
                       ranker, queries, RERANK_DEPTH)


def rerank_test_metrics(inputs: TrainingInputs, ranker) -> dict[str, float]:
    """Reranked vs dense-only NDCG@10 and MRR on the held-out test queries (empty when none are judged)."""
    judged = search_judgments(inputs.data.queries_test, inputs.data.products, inputs.data.events)
    if not judged:
        return {}
    judged = {q: judged[q] for q in sorted(judged)[:TEST_RERANK_QUERIES]}
    dense, reranked = _rerank_runs(inputs, ranker, list(judged))
    new, base = ranking_metrics(reranked, judged), ranking_metrics(dense, judged)
    return {"test_ndcg@10": round(new["ndcg@10"], 4), "test_mrr": round(new["mrr"], 4),
            "baseline_dense_ndcg@10": round(base["ndcg@10"], 4), "baseline_dense_mrr": round(base["mrr"], 4),
            "test_queries": len(judged)}


def train_biencoder(inputs: TrainingInputs, config=None, progress: ProgressFn | None = None,
                    activate: bool | None = None, cancel: CancelFn | None = None) -> Manifest:
    """Fine-tune the retrieval encoder on training query -> clicked product pairs; register it.

    The version is always saved (for inspection), but it becomes active only when its dense
    NDCG@10 on the *validation* queries (the data set's ``queries_val``, else
    ``VAL_QUERIES`` training queries kept out of the pairs) beats the packaged model's measured in
    the same run (``metrics["beats_base"]``). The held-out test queries are scored for the manifest
    and decide nothing.
    """
    from ecomrec.models.biencoder import BiencoderConfig, finetune_biencoder
    from ecomrec.models.encoder import Encoder

    config = config or BiencoderConfig(seed=inputs.seed)
    data = inputs.data
    _check(missing_biencoder(data))
    val = data.queries_val.dropna(subset=[S.CATEGORY])
    if not len(val):
        labelled = data.queries.dropna(subset=[S.CATEGORY]).drop_duplicates(S.TEXT)
        val = labelled.sample(n=min(VAL_QUERIES, len(labelled) // 5), random_state=config.seed)
    held_out = set(data.queries_test[S.TEXT]) | set(val[S.TEXT])
    eng = query_engagements(data.events)
    eng = eng[~eng[S.QUERY].isin(held_out)]
    eng = eng.sample(n=min(MAX_BIENCODER_PAIRS, len(eng)), random_state=config.seed) if len(eng) else eng
    if len(eng) < 8:
        raise ValueError(f"data set {data.name!r} has too few searches with clicks to fine-tune the "
                         f"bi-encoder on ({len(eng)} query-product pairs)")
    doc = dict(zip(data.products[S.PRODUCT_ID], inputs.product_texts()))
    new, info = finetune_biencoder(eng[S.QUERY].tolist(), [doc[p] for p in eng[S.PRODUCT_ID]], config, progress,
                                   cancel)
    same = config.base_model == inputs.encoder_config.model  # the engine's packaged encoder is already loaded
    base = inputs.base_encoder() if same else Encoder(EncoderConfig(model=config.base_model))
    ids, texts = data.products[S.PRODUCT_ID].to_numpy(), inputs.product_texts()
    catalogs = {"base": base.encode_cached(ids.tolist(), texts, inputs.cache_dir)[0],
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

    fingerprint = data_fingerprint(eng[S.QUERY].tolist(), eng[S.PRODUCT_ID].tolist())
    return _register(inputs, "biencoder", new.save, config, fingerprint, metrics, info, activate)


BLEND_CELLS = 20_000_000  # validation shoppers x products held at once to pick the blend (5 signals: 400 MB)


def _blend_shoppers(shoppers: int, products: int, seed: int) -> np.ndarray:
    """The validation shoppers the blend is picked on: all of them while ``BLEND_CELLS`` allows (the sample:
    every one), else a seeded random subset (50,000 products: 400 shoppers), in order."""
    room = max(BLEND_CELLS // max(products, 1), 1)
    if shoppers <= room:
        return np.arange(shoppers)
    return np.sort(np.random.default_rng(seed).choice(shoppers, size=room, replace=False))


def train_sequential(inputs: TrainingInputs, config=None, progress: ProgressFn | None = None,
                     activate: bool | None = None, cancel: CancelFn | None = None) -> Manifest:
    """Train the SASRec-style model on shoppers' sequences, pick its blend weights, measure, register.

    Split (last-item hold-out per shopper): the last product of every sequence is the test target,
    the one before it the validation target (it picks the epoch and the blend weights), and the
    model trains on what comes before. Metrics: HR@10 and NDCG@10 on the test targets with full
    ranking over the catalog for ``sequential``, ``blend``, ``item_knn`` and ``popularity``.
    """
    from ecomrec.evaluation.baselines import category_popularity_scores, popularity_scores
    from ecomrec.evaluation.recommendation import exclude_history, next_item_metrics, runs_metrics
    from ecomrec.evaluation.splits import leave_last_out
    from ecomrec.models.sequential import SequentialConfig, SequentialRecommender
    from ecomrec.recommend.baselines import ItemKNN, popularity
    from ecomrec.recommend.browse import (
        BrowseRecommender,
        cap_categories,
        pick_blend,
        pick_category_cap,
        pick_interest_cover,
        save_blend,
    )
    from ecomrec.recommend.history import item_sequences, rows_of

    config = config or SequentialConfig(seed=inputs.seed)
    index = pd.Index(inputs.data.products[S.PRODUCT_ID])
    hist, targets = leave_last_out(item_sequences(inputs.data.events))
    val_hist, val_targets = leave_last_out(dict(enumerate(hist)))
    _check(missing_sequential(inputs.data))
    emb = inputs.catalog_embeddings()

    def masked(model, histories):
        return exclude_history(model.score(histories), histories, index)

    def evaluate(model) -> float:
        return next_item_metrics(lambda h: masked(model, h), val_hist, val_targets, index)["hr@10"]

    model, info = SequentialRecommender.train(val_hist, index.tolist(), emb, config, progress, evaluate, cancel)
    categories = inputs.data.products[S.CATEGORY].to_numpy()
    picked = _blend_shoppers(len(val_hist), len(index), inputs.seed)
    val_browse = BrowseRecommender(index, emb, categories, ItemKNN(val_hist, index), model)
    val_signals = val_browse.signals([val_hist[i] for i in picked])
    picked_targets = index.get_indexer([val_targets[i] for i in picked])
    blend, val_blend_hr = pick_blend(val_signals, picked_targets)
    val_total = sum(w * val_signals[n] for n, w in blend.signal_weights().items() if w and n in val_signals)
    cap, hr_by_cap = pick_category_cap(val_total, val_browse.category_codes, picked_targets)
    capped = cap_categories(val_total, val_browse.category_codes, cap)  # the list the cover works on
    interests = val_browse.interests([rows_of(val_hist[i], index) for i in picked])
    cover, hr_by_cover = pick_interest_cover(capped, val_browse.category_codes, interests, picked_targets)
    blend = replace(blend, category_cap=cap, interest_cover=cover)
    del val_signals, val_total, capped
    test = BrowseRecommender(index, emb, categories, ItemKNN(hist, index), model, blend)
    pop = popularity(hist, index)
    by_popularity = popularity_scores(pop, index)
    by_category = category_popularity_scores(pop, categories, index)

    def runs(histories) -> dict[str, np.ndarray]:  # the signals once per batch, for the blend and its parts
        signals = test.signals(histories)
        return {"sequential": signals["sequential"],
                "blend": test.capped(sum(test.blend(signals).values()), histories),
                "item_knn": signals["co_occurrence"], "popularity": by_popularity(histories),
                "category_popularity": by_category(histories)}

    metrics: dict = {"val_hr@10": info["best_val_hr@10"], "val_blend_hr@10": round(val_blend_hr, 4),
                     "val_hr@10_by_category_cap": {str(c): v for c, v in hr_by_cap.items()},
                     "val_hr@10_by_interest_cover": {str(c): v for c, v in hr_by_cover.items()},
                     "blend_picked_on": len(picked),
                     "epochs_run": info["epochs_run"], "shoppers": len(hist)}
    for name, m in runs_metrics(runs, hist, targets, index).items():
        metrics[f"{name}_hr@10"], metrics[f"{name}_ndcg@10"] = m["hr@10"], m["ndcg@10"]
    metrics.update({f"blend_{k}": v for k, v in blend.as_dict().items()})

    def write(folder) -> None:
        model.save(folder)
        save_blend(blend, folder)

    fingerprint = data_fingerprint([" ".join(h) for h in val_hist], val_targets)
    return _register(inputs, "sequential", write, config, fingerprint, metrics, info, activate)
