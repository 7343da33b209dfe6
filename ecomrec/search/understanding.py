"""What a query asks before anything is ranked: intent, product category, slots.

:class:`QueryUnderstander` takes the models it reads as providers (callables returning the model
or None when none is trained), so it works on a data set with no trained model at all: the intent
is then unknown and the category is read zero-shot from the catalog's own category names.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ecomrec import schema as S
from ecomrec.search.slots import Slots, parse_slots

ZERO_SHOT_TEMPERATURE = 0.05  # softmax over cosines: 0.05 turns a 0.1 cosine lead into ~0.9 confidence


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
    """Reads intent, category and slots of a query from the models it is given.

    Args:
        intent_model: returns the active intent classifier, or None when none is trained.
        category_head: returns the active category head, or None when none was fitted.
        base_encoder: returns the packaged encoder (what the head and the zero-shot category read).
        brands: the catalog's brand names (slot parsing).
        categories: the catalog's category paths (zero-shot category without a head).
    """

    def __init__(self, intent_model: Callable[[], object | None], category_head: Callable[[], object | None],
                 base_encoder: Callable[[], object], brands: Sequence[str], categories: Sequence[str]) -> None:
        self._intent_model = intent_model
        self._category_head = category_head
        self._base_encoder = base_encoder
        self.brands = list(brands)
        self.categories = sorted(set(categories) - {""})

    def understand(self, text: str, base_embedding: np.ndarray | None = None) -> QueryUnderstanding:
        """Intent, category and slots of ``text``.

        Args:
            base_embedding: the query's embedding by the base encoder, when the caller has it already.

        Raises:
            ValueError: for an empty or whitespace-only query.
        """
        if not text or not text.strip():
            raise ValueError("the query is empty: type a few words")
        model = self._intent_model()
        intent = model.predict([text])[0] if model is not None else None
        category, confidence, source = None, None, None
        if self.categories:
            emb = self._base_encoder().encode([text]) if base_embedding is None else base_embedding[None, :]
            head = self._category_head()
            if head is not None:
                (category, confidence), source = head.predict(emb)[0], "category head"
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
        return self._base_encoder().encode(names)
