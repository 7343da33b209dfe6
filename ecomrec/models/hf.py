"""What the intent classifier and the reranker share: a Hugging Face sequence-classification model,
its tokenizer and device, saved and loaded as a plain folder (safetensors, no pickle), quantised to int8.
"""
from __future__ import annotations

import copy
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from ecomrec.config import ONNX_RUNTIMES
from ecomrec.models.device import pick_device

RUNTIMES = ("torch", "torch-int8", *ONNX_RUNTIMES)
"""How a CPU runs the classifiers: PyTorch fp32, PyTorch dynamic int8, ONNX Runtime fp32, ONNX Runtime int8."""


class HFModel:
    """A ``model`` with its ``tokenizer`` on ``device``, reading at most ``max_length`` word pieces."""

    def __init__(self, model: torch.nn.Module, tokenizer, device: str, max_length: int) -> None:
        # an exported model (:class:`~ecomrec.models.onnx_runtime.OnnxForward`) has no device or mode to set
        self.model = model.to(device).eval() if isinstance(model, torch.nn.Module) else model
        self.tokenizer = tokenizer
        self.device = device
        self.max_length = max_length

    def save(self, folder: Path) -> None:
        """Write weights (safetensors), config and tokenizer into ``folder``."""
        self.model.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.save_pretrained(folder)

    @staticmethod
    def load_parts(folder: str | Path, device: str | None = None) -> tuple[torch.nn.Module, object, str]:
        """(model, tokenizer, device) of a saved folder, safetensors only."""
        model = AutoModelForSequenceClassification.from_pretrained(folder, use_safetensors=True)
        return model, AutoTokenizer.from_pretrained(folder), pick_device(device)

    @staticmethod
    def exported(folder: str | Path, device: str | None, runtime: str):
        """The export of ``folder``'s weights as ``runtime`` runs it (an
        :class:`~ecomrec.models.onnx_runtime.OnnxForward` carrying the model's config), when ``runtime`` is ONNX
        Runtime on a CPU and such an export was made already; else None. Loading it reads no PyTorch model."""
        if runtime not in ONNX_RUNTIMES or pick_device(device) != "cpu":
            return None
        from ecomrec.models.onnx_runtime import ONNX_DIR, OnnxForward, current_export

        out = current_export(Path(folder), Path(folder) / ONNX_DIR)
        if out is None:
            return None
        from transformers import AutoConfig

        return OnnxForward(out / ("int8.onnx" if runtime == "onnx-int8" else "fp32.onnx"),
                           AutoConfig.from_pretrained(folder))

    def quantized(self):
        """A CPU copy whose Linear layers run in dynamic int8 (see bench section ``runtimes``)."""
        from ecomrec.models.quantize import dynamic_int8

        out = copy.copy(self)
        out.model, out.device = dynamic_int8(self.model), "cpu"
        return out

    def in_runtime(self, runtime: str, folder: Path):
        """This model as ``runtime`` (:data:`RUNTIMES`) runs it; ``folder``: where it was loaded from (ONNX
        exports live there). On a GPU it stays in PyTorch, whatever ``runtime`` says."""
        if runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {runtime!r}; known: {list(RUNTIMES)}")
        if runtime == "torch" or self.device != "cpu":
            return self
        if runtime == "torch-int8":
            return self.quantized()
        from ecomrec.models.onnx_runtime import OnnxForward, export

        exported = export(self.model, self.tokenizer, Path(folder))
        out = copy.copy(self)
        out.model = OnnxForward(exported / ("int8.onnx" if runtime == "onnx-int8" else "fp32.onnx"))
        return out
