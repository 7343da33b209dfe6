"""Dynamic int8 quantisation for CPU inference: Linear weights stored as int8, activations quantised on the fly."""
from __future__ import annotations

import copy
import warnings

import torch


def dynamic_int8(model: torch.nn.Module) -> torch.nn.Module:
    """A CPU copy of ``model`` whose ``nn.Linear`` layers run in int8; the original is untouched."""
    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # torch.ao.quantization announces its move to torchao; it still works
        warnings.simplefilter("ignore")
        return quantize_dynamic(copy.deepcopy(model).cpu().eval(), {torch.nn.Linear}, dtype=torch.qint8)
