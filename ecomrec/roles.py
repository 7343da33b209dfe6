"""The one table of trainable model roles: read by the engine, the CLI, the Train page and the sidebar, so
adding a role touches this file (plus its trainer and config).

It sits above ``models/`` and ``trainers.py``: each row holds the role's config class, trainer and
data check themselves, so reading the table imports them (and torch with them). The registry does not
read it; it stores any role whose name is a plain folder name.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ecomrec import trainers
from ecomrec.models.biencoder import BiencoderConfig
from ecomrec.models.intent import IntentConfig
from ecomrec.models.reranker import RerankerConfig
from ecomrec.models.sequential import SequentialConfig


@dataclass(frozen=True)
class Bar:
    """One bar of a Train-page chart: a manifest metric of the new version, or of the active one.

    Attributes:
        label: the bar's name on the chart.
        metric: the manifest metric it shows; a bar whose metric the manifest lacks is left out.
        active: show the active version's value (only while a version other than the new one is active).
    """

    label: str
    metric: str
    active: bool = False


@dataclass(frozen=True)
class Report:
    """What the Train page shows of a newly trained version; the page reads these fields and nothing per role.

    Attributes:
        numbers: ``(manifest metric, label)`` shown as numbers, each with its change against the active
            version; those the manifest lacks are left out.
        chart: ``"classes"``: F1 per class (the manifest's :attr:`per_class` metrics, beside the active
            version's) and the confusion matrix of the held-out test predictions; ``"bars"``: :attr:`bars`
            on one axis named :attr:`axis`. Drawn only when the manifest holds the role's headline metric.
        per_class: the prefix of the manifest's per-class F1 metrics (chart ``"classes"``).
        captions: Markdown above each chart (two for ``"classes"``, one for ``"bars"``); ``{name}`` fields
            are filled from the manifest's metrics (0 when absent).
        bars: the bars of a ``"bars"`` chart, in order.
        axis: the metric the bars measure, as people read it.
        beats: ``(metric, rule)``: when the new version's ``metric`` is not above its ``rule`` metric, show
            :attr:`beats_warning` (``{value}`` and ``{rule}`` are the two numbers).
        beats_warning: see :attr:`beats`.
        activated_if: a manifest flag without which the trainer never activates the version; when it is
            false the page shows :attr:`not_activated` instead of the "Activate" button.
        not_activated: see :attr:`activated_if`.
        try_it: whether the page offers "Try the active model" (the query's intent, category and the words
            behind them), which reads the active version of this role.
        methods: whether the page shows the candidates the version's method was chosen from and its
            reliability diagram (:mod:`ecomrec.ui.method_choice`).
    """

    numbers: tuple[tuple[str, str], ...]
    chart: Literal["classes", "bars"]
    captions: tuple[str, ...]
    per_class: str = ""
    bars: tuple[Bar, ...] = ()
    axis: str = ""
    beats: tuple[str, str] | None = None
    beats_warning: str = ""
    activated_if: str | None = None
    not_activated: str = ""
    try_it: bool = False
    methods: bool = False


@dataclass(frozen=True)
class Role:
    """One trainable model role.

    Attributes:
        name: the registry folder (``registry/<data set>/<name>/``).
        label: how people see it (Train page, sidebar).
        about: what it is, in a sentence or two.
        config: its frozen config dataclass (defaults are the trainer's).
        trainer: ``trainer(inputs, config, progress, activate, cancel) -> Manifest``, ``inputs`` a
            :class:`ecomrec.trainers.TrainingInputs`.
        missing: ``missing(data) -> str | None``: why a data set cannot train this role (None when it can);
            the trainer raises the same words.
        lora: whether LoRA adapters are offered.
        headline: the manifest metric shown first; ``baseline`` its baseline's metric, named ``baseline_name``.
        without: what the app does while no version is active.
        first_run: trained by ``build-cache`` (``make run``) when none is active, so the app never shows an
            untrained model.
        report: what the Train page shows of a new version.
    """

    name: str
    label: str
    about: str
    config: type
    trainer: Callable
    missing: Callable[..., str | None]
    lora: bool
    headline: str
    baseline: str | None
    baseline_name: str | None
    without: str
    first_run: bool
    report: Report

    def train(self, inputs, config=None, progress=None, activate: bool | None = None, cancel=None):  # -> Manifest
        """Run :attr:`trainer` on ``inputs`` (:class:`ecomrec.trainers.TrainingInputs`)."""
        return self.trainer(inputs, config, progress, activate, cancel)

    def cannot_train(self, data) -> str | None:
        """Why ``data`` (a :class:`~ecomrec.data.loaders.Dataset`) cannot train this role; None when it can."""
        return self.missing(data)


def _ndcg_report(baseline: str, baseline_name: str, extra: tuple[tuple[str, str], ...], **more) -> Report:
    """A ranking model's report: NDCG@10 of the baseline, the active version and the new one."""
    return Report(
        numbers=(("test_ndcg@10", "ndcg@10"), *extra),
        chart="bars",
        captions=("**NDCG@10** on {test_queries} held-out test queries (relevance: the query's category, plus "
                  "clicks and purchases shoppers made from it)",),
        bars=(Bar(baseline_name, baseline), Bar("active version", "test_ndcg@10", active=True),
              Bar("new version", "test_ndcg@10")),
        axis="NDCG@10", **more)


ROLES: dict[str, Role] = {r.name: r for r in (
    Role("intent", "Intent classifier",
         "Shopping intent of a query, by the method that wins on this label set's validation queries (TF-IDF + "
         "LR, LR on MiniLM embeddings, one LR on both together, their blend, SetFit, fine-tuned MiniLM, or that "
         "blended with TF-IDF), its "
         "confidences calibrated there; its product category, by a head over the packaged MiniLM embedding "
         "fitted in the same run.",
         IntentConfig, trainers.train_intent, trainers.missing_intent, lora=True,
         headline="test_macro_f1", baseline=None, baseline_name=None,
         without="Search uses the general ranking weights and reads a query's category from the catalog's own "
                 "category names (embedding similarity).", first_run=True,
         report=Report(
             numbers=(("test_macro_f1", "macro f1"), ("test_accuracy", "accuracy"),
                      ("test_category_accuracy", "category accuracy")),
             chart="classes", per_class="test_f1/",
             captions=("**F1 per intent** on the held-out test queries (phrasings never seen in training)",
                       "**Confusion matrix** (share of each true intent)"),
             try_it=True, methods=True)),
    Role("reranker", "Reranker (cross-encoder)",
         "Reads a query and a product together and scores their relevance; trained on clicks "
         "(position-debiased), carts and query categories.",
         RerankerConfig, trainers.train_reranker, trainers.missing_reranker, lora=True,
         headline="test_ndcg@10", baseline="baseline_dense_ndcg@10", baseline_name="dense retrieval only",
         without="Search ranks the BM25 + dense candidates without the rerank component.", first_run=True,
         report=_ndcg_report("baseline_dense_ndcg@10", "dense retrieval only", (("test_mrr", "mrr"),))),
    Role("biencoder", "Bi-encoder (retrieval)",
         "The encoder that embeds queries and products for retrieval; trained on query → clicked product pairs "
         "with in-batch negatives. Activated only if it beats the packaged model on the validation queries.",
         BiencoderConfig, trainers.train_biencoder, trainers.missing_biencoder, lora=False,
         headline="test_ndcg@10", baseline="baseline_packaged_test_ndcg@10", baseline_name="packaged MiniLM",
         without="Retrieval uses the packaged MiniLM.", first_run=False,
         report=_ndcg_report(
             "baseline_packaged_test_ndcg@10", "packaged MiniLM", (("test_recall@50", "recall@50"),),
             activated_if="beats_base",
             not_activated="This version does not beat the packaged model on the validation queries, so retrieval "
                           "keeps using the packaged model. It stays in the registry for inspection.")),
    Role("sequential", "Sequential recommender",
         "SASRec-style causal self-attention over each shopper's products, item table initialised from MiniLM "
         "text embeddings; blended with co-occurrence and content similarity for the Shopper page's browse "
         "recommendations. Held out: each shopper's last product.",
         SequentialConfig, trainers.train_sequential, trainers.missing_sequential, lora=False,
         headline="blend_hr@10", baseline="category_popularity_hr@10",
         baseline_name="popular in the last item's category",
         without="Browse recommendations blend co-occurrence and content similarity; cart ones use the default "
                 "weights.", first_run=True,
         report=Report(
             numbers=(("sequential_hr@10", "sequential hr@10"), ("blend_hr@10", "blend hr@10"),
                      ("blend_ndcg@10", "blend ndcg@10")),
             chart="bars",
             captions=("**HR@10** on {shoppers:,} shoppers' held-out last product (full ranking over the whole "
                       "catalog)",),
             bars=(Bar("popularity", "popularity_hr@10"),
                   Bar("popular in the last item's category", "category_popularity_hr@10"),
                   Bar("item-kNN", "item_knn_hr@10"), Bar("sequential", "sequential_hr@10"),
                   Bar("blend", "blend_hr@10"), Bar("active blend", "blend_hr@10", active=True)),
             axis="HR@10",
             beats=("blend_hr@10", "category_popularity_hr@10"),
             beats_warning="The blend ({value:.3f}) does not beat the plain rule \"most popular in the last "
                           "item's category\" ({rule:.3f}) on this data set: the transformer adds nothing here "
                           "yet.")),
)}


def get_role(name: str) -> Role:
    """The role called ``name``.

    Raises:
        ValueError: when no role has that name (the message lists the trainable ones).
    """
    if name not in ROLES:
        raise ValueError(f"unknown model role {name!r}; trainable: {list(ROLES)}")
    return ROLES[name]
