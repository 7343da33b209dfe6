"""ONNX Runtime on the CPU for a saved Hugging Face classifier (the reranker, the fine-tuned intent model) and
for the query side of the bi-encoder.

A classifier is exported once per registry version, on first use, into ``<version folder>/onnx/`` (fp32, and
int8 by ONNX Runtime's dynamic quantisation); a bi-encoder into a folder of the cache (fp32 only: a query's
embedding must land where the catalog's PyTorch embeddings are). Each file goes through
:func:`ecomrec.files.write_atomic`, so a reader never sees half a file, and ``export.json`` records the SHA-256
of the weights it was exported from: an export whose weights differ (a folder re-used for a new version, a copy)
is made again, never used. Once an export is there, a new process loads only it and the tokenizer, not the
PyTorch model (whose loading imports most of transformers: about 1 s of a new process's first search).
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


def current_export(weights: Path, out: Path) -> Path | None:
    """``out`` when it holds an export of the weights now in ``weights`` (a folder), else None."""
    record = Path(out) / RECORD
    try:
        made_from = json.loads(record.read_text()).get("weights_sha256")
    except (OSError, ValueError):
        return None
    return Path(out) if made_from == weights_digest(weights) else None


def _write_export(module: torch.nn.Module, sample: dict[str, torch.Tensor], output: str, weights: Path, out: Path,
                  int8: bool) -> Path:
    """Trace ``module`` on ``sample`` (named inputs, batch and token axes dynamic) into ``out/fp32.onnx`` (and
    ``int8.onnx``), then record the digest of ``weights`` it was made from."""
    out.mkdir(parents=True, exist_ok=True)
    names = list(sample)
    axes = {**{n: {0: "batch", 1: "tokens"} for n in names}, output: {0: "batch"}}
    with warnings.catch_warnings():  # the TorchScript exporter announces its deprecation; it still exports BERT
        warnings.simplefilter("ignore")
        write_atomic(out / "fp32.onnx", lambda tmp: torch.onnx.export(
            module, tuple(sample[n] for n in names), tmp, input_names=names, output_names=[output],
            dynamic_axes=axes, opset_version=OPSET, dynamo=False))
        if int8:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            write_atomic(out / "int8.onnx",
                         lambda tmp: quantize_dynamic(out / "fp32.onnx", tmp, weight_type=QuantType.QInt8))
    write_atomic(out / RECORD, lambda tmp: tmp.write_text(
        json.dumps({"weights_sha256": weights_digest(weights), "opset": OPSET}) + "\n"))
    return out


def _session(path: Path):
    """An ONNX Runtime session on the CPU, with as many threads as PyTorch would use."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # the same cores PyTorch would use
    # no busy-waiting between runs: spinning threads would hold the cores the PyTorch encoder needs next
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


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
    if current_export(folder, out):
        return out
    sample = dict(tokenizer(["a query"], ["a product title"], return_tensors="pt"))
    # the wrapper in eval mode too: the exporter restores its mode afterwards, recursively, and a wrapper left in
    # training mode would switch the model's dropout on for every later PyTorch call
    wrapped = _Logits(model.cpu(), list(sample)).eval()
    return _write_export(wrapped, sample, "logits", Path(folder), out, int8=True)


class OnnxForward:
    """Runs an exported model as the PyTorch model is called: ``forward(**batch).logits`` (a CPU tensor).
    ``config``: the model's Hugging Face config (layers, labels), for code that reads it from the model."""

    def __init__(self, path: Path, config=None) -> None:
        self.session = _session(path)
        self.names = [i.name for i in self.session.get_inputs()]  # inputs the graph reads (others were pruned)
        self.config = config

    def __call__(self, **batch: torch.Tensor) -> SimpleNamespace:
        feed = {n: np.ascontiguousarray(batch[n].cpu().numpy(), dtype=np.int64) for n in self.names}
        return SimpleNamespace(logits=torch.from_numpy(self.session.run(["logits"], feed)[0]))


class _MeanPooled(torch.nn.Module):
    """A sentence-transformers encoder's body with its mean pooling: one embedding per text (not normalised)."""

    def __init__(self, body: torch.nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        hidden = self.body(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def export_encoder(body: torch.nn.Module, tokenizer, weights: Path, out: Path) -> Path:
    """Export a mean-pooling bi-encoder (``body``: its transformer, loaded from ``weights``) to ``out/fp32.onnx``,
    unless an export of the same weights is there already. Returns ``out``."""
    if current_export(weights, out):
        return out
    enc = tokenizer(["a query"], return_tensors="pt")
    # in the order of _MeanPooled.forward's arguments: the exporter passes them by position
    sample = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
              "token_type_ids": enc.get("token_type_ids", torch.zeros_like(enc["input_ids"]))}
    return _write_export(_MeanPooled(body.cpu()).eval(), sample, "embedding", Path(weights), Path(out), int8=False)


class OnnxQueryEncoder:
    """Embeds a few texts (a query, category names) with an exported bi-encoder, as sentence-transformers would:
    texts stripped, cut at ``max_length`` word pieces, mean-pooled, unit-normalised when ``normalize``."""

    def __init__(self, path: Path, tokenizer, max_length: int, normalize: bool) -> None:
        self.session = _session(path)
        self.names = [i.name for i in self.session.get_inputs()]
        self.tokenizer, self.max_length, self.normalize = tokenizer, max_length, normalize

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embeddings (N, D), float32."""
        enc = self.tokenizer([t.strip() for t in texts], padding=True, truncation=True, max_length=self.max_length,
                             return_tensors="np")
        feed = {n: np.ascontiguousarray(enc[n] if n in enc else np.zeros_like(enc["input_ids"]), dtype=np.int64)
                for n in self.names}
        emb = self.session.run(["embedding"], feed)[0].astype(np.float32)
        if self.normalize:
            emb /= np.clip(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12, None)
        return emb
