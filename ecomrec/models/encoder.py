"""The bi-encoder: loads MiniLM offline, encodes texts, caches catalog embeddings on disk; on a CPU, queries can
run through its ONNX export (:mod:`ecomrec.models.onnx_runtime`) without loading the PyTorch model.

Catalog embeddings are cached as ``.npy`` files keyed by a model fingerprint and a catalog
fingerprint, so a restart loads them instead of re-encoding, and any change to either (another
model, an edited title) encodes afresh. Encoding saves chunk by chunk, so an interrupted build
resumes. Files are written atomically and read without pickle.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path

import numpy as np
import torch

from ecomrec.config import PACKAGED_MODEL, EncoderConfig
from ecomrec.models.device import pick_device, resolve_model_path

ProgressFn = Callable[[int, int], None]
"""progress(done, total), called after every batch."""


CACHE_CHUNK = 2048  # products per saved chunk: ~25 s of CPU encoding lost at most when a build is interrupted


def _save_atomically(path: Path, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` via a temporary file: a crash mid-write never leaves a truncated file."""
    tmp = path.with_suffix(f".tmp{os.getpid()}.npy")
    np.save(tmp, array, allow_pickle=False)
    os.replace(tmp, path)


def _load_if_there(path: Path) -> np.ndarray | None:
    """The array saved at ``path``, or None when there is none (or another process just removed it)."""
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        return None


def model_fingerprint(model: str) -> str:
    """A short hash that changes when the model's weights or config change."""
    path = Path(resolve_model_path(model))
    h = hashlib.sha256(model.encode())
    if path.is_dir():
        for f in sorted(path.glob("*.json")) + sorted(path.glob("*.safetensors")):
            stat = f.stat()
            h.update(f"{f.name}:{stat.st_size}".encode())
            if f.suffix == ".json":
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def weights_fingerprint(model: torch.nn.Module) -> str:
    """A short hash of a model's weights in memory."""
    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        h.update(name.encode())
        h.update(t.detach().cpu().float().numpy().tobytes())
    return h.hexdigest()[:16]


def text_fingerprint(ids: Sequence[str], texts: Sequence[str]) -> str:
    """A short hash of (id, text) pairs in order: the catalog's identity for caching."""
    h = hashlib.sha256()
    for i, t in zip(ids, texts):
        h.update(f"{i}\x1f{t}\x1e".encode())
    return h.hexdigest()[:16]


def memoized(encode: Callable[[Sequence[str]], np.ndarray]) -> Callable[[Sequence[str]], np.ndarray]:
    """``encode`` that embeds each distinct text once and remembers it: one training run asks for the same
    queries several times (the method's choice, the category head, the learning curve). Keep it for that run
    only: it holds every text it was given."""
    seen: dict[str, np.ndarray] = {}

    def encode_once(texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        new = [t for t in dict.fromkeys(texts) if t not in seen]
        if new:
            seen.update(zip(new, encode(new)))
        return np.stack([seen[t] for t in texts]) if texts else encode([])
    return encode_once


class Encoder:
    """A sentence-transformers bi-encoder with batching, progress and a disk cache.

    Example:
        >>> enc = Encoder()
        >>> enc.encode(["red trail running shoes"]).shape
        (1, 384)
    """

    def __init__(self, config: EncoderConfig = EncoderConfig(), model=None, onnx_dir: Path | None = None) -> None:
        """``onnx_dir``: where exports of this encoder live (one folder per model) when what it encodes outside a
        catalog (queries, names) runs in ONNX Runtime on the CPU; None: PyTorch only. The PyTorch model loads on
        first use, so a process that finds the catalog's embeddings and the export on disk never loads it."""
        self.config = config
        self.device = pick_device(config.device)
        self.path = resolve_model_path(config.model)
        if model is None:
            self.fingerprint = model_fingerprint(config.model)
        else:  # a model in memory (just fine-tuned): its weights are its identity
            self.fingerprint = weights_fingerprint(model)
            model.max_seq_length = config.max_seq_length
            self.__dict__["model"] = model  # fills the cached property
        self._onnx_dir = onnx_dir if model is None and self.device == "cpu" else None

    @cached_property
    def model(self):
        """The sentence-transformers model, loaded on first use."""
        from sentence_transformers import SentenceTransformer  # 1-4 s to import: only when a model is needed

        model = SentenceTransformer(self.path, device=self.device, local_files_only=True)
        model.max_seq_length = self.config.max_seq_length
        return model

    @cached_property
    def _mean_pooled(self) -> tuple[Path, int, bool] | None:
        """(the transformer's folder, the embedding's width, whether the model normalises) when the saved model is
        a transformer with mean pooling (and a normalisation) and nothing else, reading texts as they are, as
        sentence-transformers writes it: what the ONNX export reproduces. Else None."""
        folder = Path(self.path)
        try:
            modules = json.loads((folder / "modules.json").read_text())
            kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
            pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text())
            lower = json.loads((folder / modules[0]["path"] / "sentence_bert_config.json").read_text()).get(
                "do_lower_case", False)
        except (OSError, ValueError, KeyError, IndexError):
            return None
        modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
        if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"} \
                or modes != {"pooling_mode_mean_tokens"} or lower:
            return None
        return Path(self.path) / modules[0]["path"], int(pooling["word_embedding_dimension"]), "Normalize" in kinds

    @cached_property
    def _onnx(self):
        """The exported encoder that :meth:`encode` runs (exported on first use), or None: PyTorch runs it."""
        plain = self._mean_pooled if self._onnx_dir is not None else None
        if plain is None:
            return None
        from transformers import AutoTokenizer

        from ecomrec.models.onnx_runtime import OnnxQueryEncoder, current_export, export_encoder

        weights, _, normalizes = plain
        out = self._onnx_dir / f"encoder-{self.fingerprint}"
        tokenizer = AutoTokenizer.from_pretrained(weights)
        if current_export(weights, out) is None:
            export_encoder(self.model[0].auto_model, tokenizer, weights, out)
        return OnnxQueryEncoder(out / "fp32.onnx", tokenizer, self.config.max_seq_length,
                                self.config.normalize or normalizes)

    @classmethod
    def from_model(cls, model, config: EncoderConfig = EncoderConfig()) -> Encoder:
        """Wrap a SentenceTransformer already in memory (e.g. one just fine-tuned)."""
        return cls(replace(config, model="in-memory"), model)

    @classmethod
    def load(cls, folder: str | Path, device: str | None = None) -> Encoder:
        """A bi-encoder saved in ``folder`` (a registry version) on ``device``."""
        return cls(EncoderConfig(model=str(folder), device=device))

    def save(self, folder: Path) -> None:
        """Write the sentence-transformers folder (safetensors) into ``folder``."""
        self.model.save(str(folder), safe_serialization=True)

    @property
    def name(self) -> str:
        """Human-readable model name for the UI."""
        if self.config.model == PACKAGED_MODEL:
            return "all-MiniLM-L6-v2 (packaged)"
        if Path(self.config.model).parent.name == "biencoder":  # a registry version
            return f"fine-tuned bi-encoder {Path(self.config.model).name}"
        return self.config.model

    def prepare_queries(self) -> str:
        """Export for ONNX Runtime now what a first query would (when this encoder runs queries there); returns
        what runs queries, in words."""
        return "ONNX Runtime" if self._onnx is not None else "PyTorch"

    @property
    def dim(self) -> int:
        """The embedding's width (read from the saved files when the model is not loaded)."""
        plain = None if "model" in self.__dict__ else self._mean_pooled
        return plain[1] if plain else int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        """Embed ``texts``; returns float32 array (N, D), unit-normalised when configured. In ONNX Runtime when
        this encoder has an export folder (queries, names); otherwise, and for a catalog
        (:meth:`encode_cached`), by sentence-transformers."""
        texts = list(texts)
        if self._onnx is None:
            return self._encode_torch(texts, progress)
        bs = self.config.batch_size
        order = np.argsort([len(t) for t in texts], kind="stable")  # batches of similar lengths: less padding
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), bs):
            rows = order[start:start + bs]
            out[rows] = self._onnx.encode([texts[i] for i in rows])
            if progress:
                progress(min(start + bs, len(texts)), len(texts))
        return out

    def _encode_torch(self, texts: list[str], progress: ProgressFn | None = None) -> np.ndarray:
        """:meth:`encode` by sentence-transformers."""
        bs = self.config.batch_size
        # chunks of several batches: sentence-transformers sorts each call by length, so larger
        # calls waste less on padding, while progress still moves every chunk
        chunk = bs * 8
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), chunk):
            batch = texts[start:start + chunk]
            out[start:start + len(batch)] = self.model.encode(
                batch, batch_size=bs, convert_to_numpy=True, show_progress_bar=False,
                normalize_embeddings=self.config.normalize)
            if progress:
                progress(start + len(batch), len(texts))
        return out

    def encode_cached(self, ids: Sequence[str], texts: Sequence[str], cache_dir: Path,
                      progress: ProgressFn | None = None) -> tuple[np.ndarray, bool]:
        """Embed a catalog, reusing the disk cache when model and texts are unchanged.

        Encoding goes in chunks of :data:`CACHE_CHUNK` products, each saved as soon as it is done: an
        interrupted run (a closed tab, a killed process) resumes at the first missing chunk and never
        encodes a saved one again. When every chunk is there they are joined into one file.

        Returns:
            (embeddings (N, D), whether they all came from the cache).
        """
        path = self.cache_path(ids, texts, cache_dir)
        emb = self._complete(path, len(texts))
        if emb is not None:
            if progress:
                progress(len(texts), len(texts))
            return emb, True
        parts = path.with_suffix(".parts")  # one folder per (model, catalog): its chunks fit only this catalog
        parts.mkdir(parents=True, exist_ok=True)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        all_cached = True
        for start in range(0, len(texts), CACHE_CHUNK):
            stop = min(start + CACHE_CHUNK, len(texts))
            done = self._complete(path, len(texts)) if path.exists() else None
            if done is not None:  # another process (a second app, build-cache) finished this catalog meanwhile
                shutil.rmtree(parts, ignore_errors=True)  # what this one saved since is not needed
                return done, all_cached
            chunk = parts / f"{start:09d}.npy"
            saved = _load_if_there(chunk)
            if saved is not None and saved.shape == (stop - start, self.dim):
                out[start:stop] = saved
            else:
                all_cached = False
                out[start:stop] = self._encode_torch(texts[start:stop], progress and (
                    lambda done, _total, start=start: progress(start + done, len(texts))))
                parts.mkdir(parents=True, exist_ok=True)  # another process may have joined and removed it
                _save_atomically(chunk, out[start:stop])
            if progress:
                progress(stop, len(texts))
        _save_atomically(path, out)
        shutil.rmtree(parts, ignore_errors=True)
        return out, all_cached

    def _complete(self, path: Path, n: int) -> np.ndarray | None:
        """The (n, D) embeddings cached at ``path``, or None when none are there or they do not fit."""
        emb = _load_if_there(path)
        return emb if emb is not None and emb.shape == (n, self.dim) else None

    def cache_path(self, ids: Sequence[str], texts: Sequence[str], cache_dir: Path) -> Path:
        """Where the embeddings of this catalog under this model are (or would be) cached."""
        return Path(cache_dir) / "embeddings" / f"{self.fingerprint}-{text_fingerprint(ids, texts)}.npy"
