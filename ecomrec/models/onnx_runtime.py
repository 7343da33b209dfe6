"""ONNX Runtime for a saved Hugging Face classifier (the reranker, the fine-tuned intent model) on the CPU.

The model is exported once per registry version, on first use, into ``<version folder>/onnx/`` (fp32, and int8
by ONNX Runtime's dynamic quantisation), each file through :func:`ecomrec.files.write_atomic`, so a reader never
sees half a file. ``onnx/export.json`` records the SHA-256 of the weights it was exported from:
an export whose weights differ (a folder re-used for a new version, a copy) is made again, never used.
PyTorch stays the path for training and on a GPU.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

from ecomrec.files import write_atomic

ONNX_DIR = "onnx"
RECORD = "export.json"
OPSET = 17  # supported by every ONNX Runtime of the last three years; BERT's ops need no newer


def weights_digest(folder: Path) -> str:
    """SHA-256 over every weight file in ``folder`` (``*.safetensors``: the encoder and, for the intent model, its
    head), names included: what an export must have been made from."""
    h = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.safetensors")):
        h.update(path.name.encode())
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


class _Logits(torch.nn.Module):
    """The model's logits as a function of positional tensors (what the exporter traces)."""

    def __init__(self, model: torch.nn.Module, names: list[str]) -> None:
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return self.model(**dict(zip(self.names, tensors))).logits


def export(model: torch.nn.Module, tokenizer, folder: Path) -> Path:
    """Export ``model`` (read from ``folder``) to ``folder/onnx`` as fp32 and int8, unless an export of the same
    weights is there already. Returns the ``onnx`` folder."""
    out = Path(folder) / ONNX_DIR
    digest = weights_digest(folder)
    record = out / RECORD
    if record.exists() and json.loads(record.read_text()).get("weights_sha256") == digest:
        return out
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(exist_ok=True)
    sample = tokenizer(["a query"], ["a product title"], return_tensors="pt")
    names = list(sample.keys())
    # the wrapper in eval mode too: the exporter restores its mode afterwards, recursively, and a wrapper left in
    # training mode would switch the model's dropout on for every later PyTorch call
    wrapped = _Logits(model.cpu(), names).eval()
    axes = {**{n: {0: "batch", 1: "tokens"} for n in names}, "logits": {0: "batch"}}
    with warnings.catch_warnings():  # the TorchScript exporter announces its deprecation; it still exports BERT
        warnings.simplefilter("ignore")
        write_atomic(out / "fp32.onnx", lambda tmp: torch.onnx.export(
            wrapped, tuple(sample[n] for n in names), tmp, input_names=names, output_names=["logits"],
            dynamic_axes=axes, opset_version=OPSET, dynamo=False))
        write_atomic(out / "int8.onnx",
                     lambda tmp: quantize_dynamic(out / "fp32.onnx", tmp, weight_type=QuantType.QInt8))
    write_atomic(record, lambda tmp: tmp.write_text(json.dumps({"weights_sha256": digest, "opset": OPSET}) + "\n"))
    return out


class OnnxForward:
    """Runs an exported model as the PyTorch model is called: ``forward(**batch).logits`` (a CPU tensor)."""

    def __init__(self, path: Path) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()  # the same cores PyTorch would use
        # no busy-waiting between runs: spinning threads would hold the cores the PyTorch encoder needs next
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.names = [i.name for i in self.session.get_inputs()]  # inputs the graph reads (others were pruned)

    def __call__(self, **batch: torch.Tensor) -> SimpleNamespace:
        feed = {n: np.ascontiguousarray(batch[n].cpu().numpy(), dtype=np.int64) for n in self.names}
        return SimpleNamespace(logits=torch.from_numpy(self.session.run(["logits"], feed)[0]))
