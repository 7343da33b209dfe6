"""Shopping-intent classifier: MiniLM with a classification head, fine-tuned on labelled queries.

The packaged MiniLM is read as it was trained, as a sentence encoder (:class:`PooledClassifier`: the mean of
its token vectors at unit length, then a linear head), so the head sees the very features logistic regression
on frozen embeddings sees and can start from that regression's weights: linear probing, then fine-tuning
(LP-FT, Kumar et al. 2022), which moves the features less and holds up better on phrasings training never saw.
Measured on the sample's validation folds (held-out phrasings / random queries, 1,390 training queries):
random head on the [CLS] pooler, 3 epochs: 0.705 / 0.894 in 149 s; head started from the regression, 2 epochs:
0.729 / 0.930 in ~70 s (the same at a step of 1.5e-5 instead of 4e-5: 0.730 / 0.925, so the start is what pays).
Training uses a class-weighted loss for imbalance and early stopping on a validation split; LoRA
(peft) trains small adapters instead of all weights and is merged back before saving, so every
saved version is a Hugging Face encoder folder (safetensors) plus the head's safetensors.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from sklearn.model_selection import train_test_split
from transformers import AutoModel, AutoTokenizer
from transformers import logging as hf_logging
from transformers.modeling_outputs import SequenceClassifierOutput

from ecomrec.config import PACKAGED_MODEL, SEED
from ecomrec.evaluation.classification import macro_f1
from ecomrec.models.category import CategoryHead
from ecomrec.models.device import pick_device, resolve_model_path
from ecomrec.models.hf import HFModel
from ecomrec.models.training import CancelFn, ProgressFn, adamw_with_warmup, fit, lora_wrap

hf_logging.set_verbosity_error()  # "some weights are newly initialised" is expected for a new head
hf_logging.disable_progress_bar()
logging.getLogger("peft").setLevel(logging.ERROR)


@dataclass(frozen=True)
class IntentConfig:
    """Hyper-parameters of one training run."""

    base_model: str = PACKAGED_MODEL  # every transformer here starts from the packaged MiniLM
    # an upper bound: validation macro-F1 (patience) and the time budget stop fine-tuning first. 3 epochs, chosen
    # on the sample's 8 intents, stopped 20 labels of a real shop at validation 0.34 and still rising
    epochs: int = 20
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
    patience: int = 2  # stop after 2 epochs in a row without a validation gain
    budget_s: float = 120.0  # choosing the method, fine-tuning included (:mod:`ecomrec.models.label_model`)
    seed: int = SEED
    device: str | None = None  # None = cuda when available


@dataclass(frozen=True)
class ContrastiveConfig:
    """The SetFit recipe (Tunstall et al. 2022): the encoder learns from pairs of labelled queries (same label:
    cosine 1, another label: cosine 0), then logistic regression is fitted on its new embeddings."""

    base_model: str = PACKAGED_MODEL
    # SetFit's ``num_iterations``: each query meets this many partners of its label and as many of others. Its
    # default 20 costs 4x the time; 5, measured on the WANDS label set's validation folds (158 queries, 28 labels),
    # lifted LR on the embeddings from 0.566 (frozen) to 0.634 (TF-IDF + LR 0.631)
    pairs_per_text: int = 5
    learning_rate: float = 2e-5  # SetFit's step for the encoder
    batch_size: int = 16  # SetFit's batch of pairs
    max_length: int = 32
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    seed: int = SEED
    device: str | None = None  # None = cuda when available


HEAD_FILE = "head.safetensors"


class PooledClassifier(torch.nn.Module):
    """MiniLM read as a sentence encoder (token vectors averaged over the mask, unit length) and a linear head:
    the features logistic regression on frozen embeddings sees. Labels live in the encoder's config."""

    def __init__(self, body: torch.nn.Module, labels: Sequence[str]) -> None:
        super().__init__()
        self.body = body
        self.body.config.id2label = dict(enumerate(labels))
        self.body.config.label2id = {lab: i for i, lab in enumerate(labels)}
        self.head = torch.nn.Linear(body.config.hidden_size, len(labels))

    def start_from(self, regression: CategoryHead) -> None:
        """Set the head to ``regression``'s weights (same labels, same order), so training starts where
        logistic regression on the frozen embeddings ends."""
        with torch.no_grad():
            self.head.weight.copy_(torch.as_tensor(regression.weight))
            self.head.bias.copy_(torch.as_tensor(regression.bias))

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **_) -> torch.Tensor:
        """(B, D) unit-length sentence embeddings: token vectors averaged over the mask."""
        tokens = self.body(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (B, T, D)
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **_) -> SequenceClassifierOutput:
        return SequenceClassifierOutput(logits=self.head(self.embed(input_ids, attention_mask)))

    def save_pretrained(self, folder: str | Path, safe_serialization: bool = True) -> None:
        """The encoder as a Hugging Face folder, the head beside it (safetensors only)."""
        self.body.save_pretrained(folder, safe_serialization=True)
        save_file({"weight": self.head.weight.detach().cpu().contiguous(),
                   "bias": self.head.bias.detach().cpu().contiguous()}, str(Path(folder) / HEAD_FILE))

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> PooledClassifier:
        """A saved classifier (encoder folder with :data:`HEAD_FILE`)."""
        body = AutoModel.from_pretrained(folder, use_safetensors=True)
        model = cls(body, [body.config.id2label[i] for i in range(len(body.config.id2label))])
        model.head.load_state_dict(load_file(str(Path(folder) / HEAD_FILE)))
        return model


@dataclass(frozen=True)
class IntentPrediction:
    """The classifier's answer for one query."""

    label: str
    confidence: float
    probabilities: dict[str, float]  # every label, summing to 1


class IntentClassifier(HFModel):
    """Predicts a shopping intent for each query; trains, saves and loads in Hugging Face format."""

    def __init__(self, model: torch.nn.Module, tokenizer, labels: Sequence[str], device: str,
                 max_length: int = 32) -> None:
        super().__init__(model, tokenizer, device, max_length)
        self.labels = list(labels)

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

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> list[IntentPrediction]:
        """Label, confidence and the full probability vector for each text. ``embeddings`` is accepted for the
        label model's sake and not read: a fine-tuned classifier reads the words itself."""
        probs = self.predict_proba(texts)
        return [IntentPrediction(label=self.labels[int(p.argmax())], confidence=float(p.max()),
                                 probabilities={lab: float(v) for lab, v in zip(self.labels, p)})
                for p in probs]

    def _tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        enc = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        return {k: v.to(self.device) for k, v in enc.items()}

    # ---- persistence (save and quantized: HFModel) ----
    @staticmethod
    def saved_in(folder: str | Path) -> bool:
        """Whether ``folder`` holds a classifier (an intent version may hold only a category head)."""
        return (Path(folder) / "config.json").exists()

    @classmethod
    def load(cls, folder: str | Path, device: str | None = None, runtime: str = "torch") -> IntentClassifier:
        """Load a saved classifier (no pickle: safetensors and JSON only) as ``runtime`` runs it
        (:meth:`~ecomrec.models.hf.HFModel.in_runtime`): from its ONNX export alone when there is one. Versions
        saved before the pooled head (a sequence-classification folder) load as they were trained."""
        forward = cls.exported(folder, device, runtime)
        if forward is not None:
            names = forward.config.id2label
            return cls(forward, AutoTokenizer.from_pretrained(folder), [names[i] for i in range(len(names))], "cpu")
        if not (Path(folder) / HEAD_FILE).exists():
            model, tokenizer, device = cls.load_parts(folder, device)
            clf = cls(model, tokenizer, [model.config.id2label[i] for i in range(model.config.num_labels)], device)
        else:
            model = PooledClassifier.from_pretrained(folder)
            labels = [model.body.config.id2label[i] for i in range(len(model.body.config.id2label))]
            clf = cls(model, AutoTokenizer.from_pretrained(folder), labels, pick_device(device))
        return clf.in_runtime(runtime, folder)

    # ---- training ----
    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str], config: IntentConfig = IntentConfig(),
              progress: ProgressFn | None = None, cancel: CancelFn | None = None,
              val: tuple[Sequence[str], Sequence[str]] | None = None, deadline: float | None = None,
              start: CategoryHead | None = None) -> tuple[IntentClassifier, dict]:
        """Fine-tune a classifier on (text, label) pairs (:func:`~ecomrec.models.training.fit`).

        Args:
            val: the validation (texts, labels) that pick the epoch; default: ``config.val_fraction`` of ``texts``
                held out (stratified).
            deadline: a ``time.perf_counter()`` value: no epoch starts that would end after it (the best so
                far is kept).
            start: logistic regression on the packaged encoder's embeddings of these training rows, over the
                same labels: the head starts from it and trains at the encoder's step (LP-FT); None: a new
                head at ``config.head_learning_rate``.

        Returns:
            (classifier, info) where info has ``train_s``, ``epochs_run``, ``best_val_macro_f1``,
            ``history`` (per-step losses) and ``device``. Nothing is written to disk.
        """
        torch.manual_seed(config.seed)
        device = pick_device(config.device)
        texts, labels = list(texts), list(labels)
        if val is not None:  # the caller's split: validation rows follow the training ones
            tr_idx = np.arange(len(texts))
            va_idx = np.arange(len(texts), len(texts) + len(val[0]))
            texts, labels = texts + list(val[0]), labels + list(val[1])
        label_names = sorted(set(labels))
        y = np.array([label_names.index(lab) for lab in labels])
        if val is None:
            idx = np.arange(len(texts))
            stratify = y if min(np.bincount(y)) >= 2 and len(texts) * config.val_fraction >= len(label_names) else None
            tr_idx, va_idx = train_test_split(idx, test_size=config.val_fraction, random_state=config.seed,
                                              stratify=stratify)
        path = resolve_model_path(config.base_model)
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = PooledClassifier(AutoModel.from_pretrained(path), label_names)
        started = start is not None and tuple(start.labels) == tuple(label_names)
        if started:
            model.start_from(start)
        if config.lora:
            model.body = lora_wrap(model.body, config.lora_r, "FEATURE_EXTRACTION")
        clf = cls(model, tokenizer, label_names, device, config.max_length)
        # inverse-frequency class weights: rare intents count as much as common ones
        counts = np.bincount(y[tr_idx], minlength=len(label_names)).astype(np.float32)
        weights = torch.tensor(counts.sum() / (len(label_names) * np.maximum(counts, 1)), device=device)
        loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
        lr = config.lora_learning_rate if config.lora else config.learning_rate
        params = [p for p in model.parameters() if p.requires_grad]
        total = -(-len(tr_idx) // config.batch_size) * config.epochs
        head = list(model.head.parameters())
        body = [p for p in model.body.parameters() if p.requires_grad]
        head_lr = lr if started else max(lr, config.head_learning_rate)  # a started head needs no larger step
        groups = [{"params": body, "lr": lr}, {"params": head, "lr": head_lr}]
        optim, sched = adamw_with_warmup(groups, lr, config.weight_decay, total, config.warmup_fraction)

        def batch_loss(positions: np.ndarray) -> torch.Tensor:
            rows = tr_idx[positions]
            logits = model(**clf._tokenize([texts[i] for i in rows])).logits  # (B, K)
            return loss_fn(logits, torch.as_tensor(y[rows], device=device))

        def evaluate() -> float:
            pred = clf.predict_proba([texts[i] for i in va_idx]).argmax(1)
            return macro_f1(y[va_idx], pred)

        run = fit(model, len(tr_idx), batch_loss, params, optim, sched, epochs=config.epochs,
                  patience=config.patience, seed=config.seed, batch_size=config.batch_size, evaluate=evaluate,
                  progress=progress, metric_name="macro-F1", cancel=cancel, deadline=deadline)
        if config.lora:
            model.body = model.body.merge_and_unload()  # plain encoder again: saves and loads like full fine-tuning
        clf = cls(model, tokenizer, label_names, device, config.max_length)
        info = {"train_s": run.train_s, "epochs_run": run.epochs_run, "best_val_macro_f1": round(run.best, 4),
                "history": run.history, "device": device, "head_started": started}
        return clf, info

    @classmethod
    def contrastive(cls, texts: Sequence[str], labels: Sequence[str], c: float,
                    config: ContrastiveConfig = ContrastiveConfig(), progress: ProgressFn | None = None,
                    cancel: CancelFn | None = None) -> tuple[IntentClassifier, dict]:
        """Few-shot contrastive training (:class:`ContrastiveConfig`): one pass over pairs of ``texts``, then
        logistic regression (``c``) on the tuned encoder's embeddings of them as the head.

        Returns:
            (classifier, info) where info has ``train_s``, ``pairs``, ``history`` (per-step losses) and ``device``.
        """
        torch.manual_seed(config.seed)
        rng = np.random.default_rng(config.seed)
        device = pick_device(config.device)
        texts, labels = list(texts), list(labels)
        names = sorted(set(labels))
        y = np.array([names.index(lab) for lab in labels])
        pairs = []  # (a, b, target cosine)
        for _ in range(config.pairs_per_text):
            for i in range(len(texts)):
                same, other = np.flatnonzero((y == y[i]) & (np.arange(len(y)) != i)), np.flatnonzero(y != y[i])
                pairs += [(i, int(rng.choice(same)), 1.0)] if len(same) else []
                pairs += [(i, int(rng.choice(other)), 0.0)] if len(other) else []
        path = resolve_model_path(config.base_model)
        model = PooledClassifier(AutoModel.from_pretrained(path), names)
        clf = cls(model, AutoTokenizer.from_pretrained(path), names, device, config.max_length)
        body = list(model.body.parameters())
        optim, sched = adamw_with_warmup(body, config.learning_rate, config.weight_decay,
                                         -(-len(pairs) // config.batch_size), config.warmup_fraction)
        pair_array = np.array(pairs, dtype=np.float64).reshape(-1, 3)

        def batch_loss(positions: np.ndarray) -> torch.Tensor:
            a, b, target = pair_array[positions].T
            ea = model.embed(**clf._tokenize([texts[int(i)] for i in a]))
            eb = model.embed(**clf._tokenize([texts[int(i)] for i in b]))
            return torch.nn.functional.mse_loss((ea * eb).sum(-1), torch.as_tensor(target, dtype=ea.dtype,
                                                                                    device=device))

        run = fit(model, len(pairs), batch_loss, body, optim, sched, epochs=1, patience=1, seed=config.seed,
                  batch_size=config.batch_size, progress=progress, metric_name="macro-F1", cancel=cancel)
        model.start_from(CategoryHead.fit(clf.embed(texts), labels, c, config.seed))
        return clf, {"train_s": run.train_s, "pairs": len(pairs), "history": run.history, "device": device}

    @torch.inference_mode()
    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """(N, D) the classifier's own unit-length sentence embeddings (what its head reads)."""
        out = [self.model.embed(**self._tokenize(list(texts[i:i + batch_size]))).float().cpu().numpy()
               for i in range(0, len(texts), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, self.model.body.config.hidden_size), dtype=np.float32)
