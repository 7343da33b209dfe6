"""Shopping-intent classifier: MiniLM with a classification head, fine-tuned on labelled queries.

Starts from the packaged MiniLM weights (``AutoModelForSequenceClassification``; the head is new).
Training uses a class-weighted loss for imbalance and early stopping on a validation split; LoRA
(peft) trains small adapters instead of all weights and is merged back before saving, so every
saved version is a plain Hugging Face folder (safetensors) that loads the same way.
"""
from __future__ import annotations

import copy
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from transformers import logging as hf_logging

from ecomrec.config import PACKAGED_MODEL
from ecomrec.models.encoder import pick_device, resolve_model_path
from ecomrec.models.training import ProgressFn, TrainProgress, adamw_with_warmup, lora_wrap, optimizer_step

hf_logging.set_verbosity_error()  # "some weights are newly initialised" is expected for a new head
hf_logging.disable_progress_bar()
logging.getLogger("peft").setLevel(logging.ERROR)


@dataclass(frozen=True)
class IntentConfig:
    """Hyper-parameters of one training run."""

    base_model: str = PACKAGED_MODEL  # every transformer here starts from the packaged MiniLM
    epochs: int = 3  # validation macro-F1 flattens after 3 passes over 2.5k queries (~115 s on 2 cores)
    learning_rate: float = 4e-5  # measured: 8e-5 fits seen phrasings better but held-out ones worse
    lora: bool = False  # LoRA adapters (peft) instead of full fine-tuning
    lora_r: int = 8  # adapter rank: enough for 8 classes, ~0.3 % of the weights
    lora_learning_rate: float = 2e-3  # adapters start at zero and need a much larger step (5e-4 crawled)
    head_learning_rate: float = 1e-3  # the new head starts random: at the encoder's step it stays under-confident
    batch_size: int = 32  # fits 2 CPU cores; larger batches slow each step more than they save
    max_length: int = 32  # shopping queries are short; 32 word pieces cover > 99 % of them
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    val_fraction: float = 0.1  # held out from training for early stopping
    patience: int = 1  # epochs without validation gain before stopping
    seed: int = 13
    device: str | None = None  # None = cuda when available


@dataclass(frozen=True)
class IntentPrediction:
    """The classifier's answer for one query."""

    label: str
    confidence: float
    probabilities: dict[str, float]  # every label, summing to 1


class IntentClassifier:
    """Predicts a shopping intent for each query; trains, saves and loads in Hugging Face format."""

    def __init__(self, model: torch.nn.Module, tokenizer, labels: Sequence[str], device: str,
                 max_length: int = 32) -> None:
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.labels = list(labels)
        self.device = device
        self.max_length = max_length

    # ---- inference ----
    @torch.inference_mode()
    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Probabilities (N, K) over :attr:`labels`."""
        out = []
        for start in range(0, len(texts), batch_size):
            batch = self._tokenize(list(texts[start:start + batch_size]))
            logits = self.model(**batch).logits  # (B, K)
            out.append(torch.softmax(logits.float(), dim=-1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)), dtype=np.float32)

    def predict(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """Label, confidence and the full probability vector for each text."""
        probs = self.predict_proba(texts)
        return [IntentPrediction(label=self.labels[int(p.argmax())], confidence=float(p.max()),
                                 probabilities={lab: float(v) for lab, v in zip(self.labels, p)})
                for p in probs]

    def _tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        return {k: v.to(self.device) for k, v in enc.items()}

    def quantized(self) -> IntentClassifier:
        """A CPU copy whose Linear layers run in dynamic int8 (see bench section ``quantization``)."""
        from ecomrec.models.quantize import dynamic_int8

        return IntentClassifier(dynamic_int8(self.model), self.tokenizer, self.labels, "cpu", self.max_length)

    # ---- persistence ----
    def save(self, folder: Path) -> None:
        """Write weights (safetensors), config with the label names, and tokenizer."""
        self.model.save_pretrained(folder, safe_serialization=True)
        self.tokenizer.save_pretrained(folder)

    @classmethod
    def load(cls, folder: str | Path, device: str | None = None) -> IntentClassifier:
        """Load a saved classifier (no pickle: safetensors and JSON only)."""
        device = pick_device(device)
        model = AutoModelForSequenceClassification.from_pretrained(folder, use_safetensors=True)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        return cls(model, tokenizer, labels, device)

    # ---- training ----
    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str], config: IntentConfig = IntentConfig(),
              progress: ProgressFn | None = None) -> tuple[IntentClassifier, dict]:
        """Fine-tune a classifier on (text, label) pairs.

        Returns:
            (classifier, info) where info has ``train_s``, ``epochs_run``, ``best_val_macro_f1``,
            ``history`` (per-step losses) and ``device``. Nothing is written to disk.
        """
        torch.manual_seed(config.seed)
        device = pick_device(config.device)
        label_names = sorted(set(labels))
        y = np.array([label_names.index(lab) for lab in labels])
        idx = np.arange(len(texts))
        stratify = y if min(np.bincount(y)) >= 2 and len(texts) * config.val_fraction >= len(label_names) else None
        tr_idx, va_idx = train_test_split(idx, test_size=config.val_fraction, random_state=config.seed,
                                          stratify=stratify)
        path = resolve_model_path(config.base_model)
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=len(label_names), id2label=dict(enumerate(label_names)),
            label2id={lab: i for i, lab in enumerate(label_names)})
        if config.lora:
            model = lora_wrap(model, config.lora_r, "SEQ_CLS")
        clf = cls(model, tokenizer, label_names, device, config.max_length)
        # inverse-frequency class weights: rare intents count as much as common ones
        counts = np.bincount(y[tr_idx], minlength=len(label_names)).astype(np.float32)
        weights = torch.tensor(counts.sum() / (len(label_names) * np.maximum(counts, 1)), device=device)
        loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
        lr = config.lora_learning_rate if config.lora else config.learning_rate
        params = [p for p in model.parameters() if p.requires_grad]
        steps_per_epoch = int(np.ceil(len(tr_idx) / config.batch_size))
        total = steps_per_epoch * config.epochs
        head = [p for n, p in model.named_parameters() if p.requires_grad and "classifier" in n]
        body = [p for n, p in model.named_parameters() if p.requires_grad and "classifier" not in n]
        groups = [{"params": body, "lr": lr}, {"params": head, "lr": max(lr, config.head_learning_rate)}]
        optim, sched = adamw_with_warmup(groups, lr, config.weight_decay, total, config.warmup_fraction)
        rng = np.random.default_rng(config.seed)
        texts = list(texts)
        best_f1, best_state, stale, step, history = -1.0, None, 0, 0, []
        t0 = time.perf_counter()
        epoch = 0
        for epoch in range(1, config.epochs + 1):
            model.train()
            order = rng.permutation(tr_idx)
            for b in range(steps_per_epoch):
                batch_idx = order[b * config.batch_size:(b + 1) * config.batch_size]
                inputs = clf._tokenize([texts[i] for i in batch_idx])
                logits = model(**inputs).logits  # (B, K)
                loss = loss_fn(logits, torch.as_tensor(y[batch_idx], device=device))
                history.append(optimizer_step(loss, params, optim, sched))
                step += 1
                last = b == steps_per_epoch - 1
                val_f1 = None
                if last:
                    model.eval()
                    pred = clf.predict_proba([texts[i] for i in va_idx]).argmax(1)
                    val_f1 = float(f1_score(y[va_idx], pred, average="macro"))
                if progress:
                    progress(TrainProgress(step, total, epoch, history[-1], val_f1))
            if val_f1 > best_f1:
                best_f1, stale = val_f1, 0
                best_state = copy.deepcopy(model.state_dict())
            else:
                stale += 1
                if stale > config.patience:
                    break
        model.load_state_dict(best_state)
        if config.lora:
            model = model.merge_and_unload()  # plain model again: saves and loads like full fine-tuning
        clf = cls(model, tokenizer, label_names, device, config.max_length)
        info = {"train_s": round(time.perf_counter() - t0, 2), "epochs_run": epoch,
                "best_val_macro_f1": round(best_f1, 4), "history": history, "device": device}
        return clf, info


def data_fingerprint(texts: Sequence[str], labels: Sequence[str]) -> str:
    """Short hash of the training pairs, recorded in the manifest."""
    h = hashlib.sha256()
    for t, lab in zip(texts, labels):
        h.update(f"{t}\x1f{lab}\x1e".encode())
    return h.hexdigest()[:16]


def hyperparameters(config) -> dict:
    """A training config dataclass as a JSON-ready dict for the manifest."""
    return {k: v for k, v in asdict(config).items() if k != "device"}
