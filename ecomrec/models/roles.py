"""The one table of trainable model roles: read by the registry, the engine, the CLI, the Train page and
the sidebar, so adding a role touches this file (plus its trainer and config).

Config classes and trainers are named by import path and resolved on use, so reading the table
never imports torch.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    """One trainable model role.

    Attributes:
        name: the registry folder (``registry/<name>/``).
        label: how people see it (Train page, sidebar).
        about: what it is, in a sentence or two.
        config: import path of its frozen config dataclass.
        trainer: import path of ``trainer(inputs, config, progress, activate, cancel) -> Manifest``.
        missing: import path of ``missing(data) -> str | None``: why a data set cannot train this role
            (None when it can); the trainer raises the same words.
        lora: whether LoRA adapters are offered.
        headline: the manifest metric shown first; ``baseline`` its baseline's metric, named ``baseline_name``.
        without: what the app does while no version is active.
        first_run: trained by ``build-cache`` (``make run``) when none is active, so the app never shows an
            untrained model.
    """

    name: str
    label: str
    about: str
    config: str
    trainer: str
    missing: str
    lora: bool
    headline: str
    baseline: str | None
    baseline_name: str | None
    without: str
    first_run: bool

    def config_class(self) -> type:
        """The config dataclass (imports its module)."""
        return _resolve(self.config)

    def train(self, inputs, config=None, progress=None, activate: bool | None = None, cancel=None):  # -> Manifest
        """Run this role's trainer on ``inputs`` (:class:`ecomrec.trainers.TrainingInputs`)."""
        return _resolve(self.trainer)(inputs, config, progress, activate, cancel)

    def cannot_train(self, data) -> str | None:
        """Why ``data`` (a :class:`~ecomrec.data.loaders.Dataset`) cannot train this role; None when it can."""
        return _resolve(self.missing)(data)


def _resolve(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


ROLES: dict[str, Role] = {r.name: r for r in (
    Role("intent", "Intent classifier",
         "Shopping intent of a query, by fine-tuned MiniLM; its product category, by a head over the packaged "
         "MiniLM embedding fitted in the same run.",
         "ecomrec.models.intent.IntentConfig", "ecomrec.trainers.train_intent",
         "ecomrec.trainers.missing_intent", lora=True,
         headline="test_macro_f1", baseline=None, baseline_name=None,
         without="Search uses the general ranking weights and reads a query's category from the catalog's own "
                 "category names (embedding similarity).", first_run=True),
    Role("reranker", "Reranker (cross-encoder)",
         "Reads a query and a product together and scores their relevance; trained on clicks "
         "(position-debiased), carts and query categories.",
         "ecomrec.models.reranker.RerankerConfig", "ecomrec.trainers.train_reranker",
         "ecomrec.trainers.missing_reranker", lora=True,
         headline="test_ndcg@10", baseline="baseline_dense_ndcg@10", baseline_name="dense retrieval only",
         without="Search ranks the BM25 + dense candidates without the rerank component.", first_run=True),
    Role("biencoder", "Bi-encoder (retrieval)",
         "The encoder that embeds queries and products for retrieval; trained on query → clicked product pairs "
         "with in-batch negatives. Activated only if it beats the packaged model on the validation queries.",
         "ecomrec.models.biencoder.BiencoderConfig", "ecomrec.trainers.train_biencoder",
         "ecomrec.trainers.missing_biencoder", lora=False,
         headline="test_ndcg@10", baseline="baseline_packaged_test_ndcg@10", baseline_name="packaged MiniLM",
         without="Retrieval uses the packaged MiniLM.", first_run=False),
    Role("sequential", "Sequential recommender",
         "SASRec-style causal self-attention over each shopper's products, item table initialised from MiniLM "
         "text embeddings; blended with co-occurrence and content similarity for the Shopper page's browse "
         "recommendations. Held out: each shopper's last product.",
         "ecomrec.models.sequential.SequentialConfig", "ecomrec.trainers.train_sequential",
         "ecomrec.trainers.missing_sequential", lora=False,
         headline="blend_hr@10", baseline="category_popularity_hr@10",
         baseline_name="popular in the last item's category",
         without="Browse recommendations blend co-occurrence and content similarity; cart ones use the default "
                 "weights.", first_run=True),
)}
