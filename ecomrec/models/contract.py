"""The contract every trained model role keeps, so the registry, the model service and the trainers treat
them alike: load a saved folder onto a device, save into a folder. Each role adds its own scoring call
(intent ``predict_proba``, reranker ``score``, sequential ``score``, category head ``predict_proba``,
bi-encoder ``encode``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol, Self, runtime_checkable


@runtime_checkable
class SavedModel(Protocol):
    """A model that lives in a registry version folder."""

    @classmethod
    def load(cls, folder: str | Path, device: str | None = None) -> Self:
        """The model saved in ``folder``, on ``device`` (None: cuda when available, else cpu)."""
        ...

    def save(self, folder: Path) -> None:
        """Write the model into ``folder`` (safetensors or plain arrays, never pickle)."""
        ...
