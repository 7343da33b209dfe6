"""What a query asks before anything is ranked: intent, product category, slots.

:class:`QueryUnderstander` is handed the active models with each query (None where none is trained),
so it works on a data set with no trained model at all: the intent is then unknown and the category
is read zero-shot from the catalog's own category names.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ecomrec import schema as S
from ecomrec.search.slots import Slots, parse_slots

ZERO_SHOT_TEMPERATURE = 0.05  # softmax over cosines: 0.05 turns a 0.1 cosine lead into ~0.9 confidence


CATEGORY_HEAD = "category head"
"""``QueryUnderstanding.category_source`` of a category read by a head trained on the shop's labelled queries."""


@dataclass(frozen=True)
class QueryUnderstanding:
    """What the app knows about a query before ranking anything."""

    text: str
    intent: object | None  # IntentPrediction (label, confidence, probabilities); None without an intent model
    slots: Slots  # price bounds, brand, colour, size
    category: str | None = None  # the guessed product category; None when the catalog has none
    category_confidence: float | None = None
    category_source: str | None = None  # "category head" (trained on labelled queries) or "catalog names"


class QueryUnderstander:
    """Reads intent, category and slots of a query with the models it is handed.

    Args:
        base_encoder: the packaged encoder (what the category head and the zero-shot category read).
        brands: the catalog's brand names (slot parsing).
        categories: the catalog's category paths (zero-shot category without a head).
    """

    def __init__(self, base_encoder, brands: Sequence[str], categories: Sequence[str]) -> None:
        self.base_encoder = base_encoder
        self.brands = list(brands)
        self.categories = sorted(set(categories) - {""})

    def understand(self, text: str, intent_model=None, category_head=None,
                   base_embedding: np.ndarray | None = None, intent=None) -> QueryUnderstanding:
        """Intent, category and slots of ``text``.

        Args:
            intent_model: the active intent classifier, or None when none is trained.
            category_head: the active category head, or None when none was fitted.
            base_embedding: the query's embedding by the base encoder, when the caller has it already.
            intent: the intent model's prediction for ``text``, when the caller has it already (a batch of
                queries predicted at once); ``intent_model`` is then not called.

        Raises:
            ValueError: for an empty or whitespace-only query.
        """
        if not text or not text.strip():
            raise ValueError("the query is empty: type a few words")
        emb = base_embedding[None, :] if base_embedding is not None else \
            self.base_encoder.encode([text]) if self.categories else None  # (1, D): one forward for all that read it
        if intent is None and intent_model is not None:
            intent = intent_model.predict([text], embeddings=emb)[0]
        category, confidence, source = None, None, None
        if self.categories:
            head = category_head
            if head is not None:
                (category, confidence), source = head.predict(emb)[0], CATEGORY_HEAD
            else:
                category, confidence = self.zero_shot_category(emb[0])
                source = "catalog names"
        return QueryUnderstanding(text=text, intent=intent, slots=parse_slots(text, self.brands), category=category,
                                  category_confidence=confidence, category_source=source)

    def zero_shot_category(self, query_embedding: np.ndarray) -> tuple[str, float]:
        """The catalog category whose name is closest in meaning to the query, and a softmax confidence."""
        sims = self._category_embeddings @ query_embedding  # (C,)
        z = np.exp((sims - sims.max()) / ZERO_SHOT_TEMPERATURE)
        best = int(sims.argmax())
        return self.categories[best], float(z[best] / z.sum())

    @cached_property
    def _category_embeddings(self) -> np.ndarray:
        """(C, D) embeddings of the category paths read as words ("Outdoors, Tents")."""
        names = [c.replace(S.CATEGORY_SEP, ", ") for c in self.categories]
        return self.base_encoder.encode(names)
