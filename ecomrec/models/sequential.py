"""SASRec-style sequential recommender: causal self-attention over a shopper's item sequence.

Each position attends to the items before it and predicts the next one, scored against every
product in the catalog (full softmax: with a few thousand products it is cheap and beats SASRec's
one sampled negative). The item table starts from the MiniLM text embeddings projected by PCA to
the model width, so every product has a sensible place before anyone has viewed it, and a product
that arrives after training is placed by the same projection (:meth:`SequentialRecommender.item_table_for`).

Like RecBole's sequential models it has three calls: :meth:`SASRec.forward` (loss inputs),
:meth:`SequentialRecommender.score` (all items for many sequences) and training.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ecomrec.config import PACKAGED_MODEL, SEED
from ecomrec.models.device import pick_device
from ecomrec.models.training import CancelFn, ProgressFn, adamw_with_warmup, fit

WEIGHTS_FILE = "sasrec.safetensors"
CONFIG_FILE = "sasrec.json"

EvaluateFn = Callable[["SequentialRecommender"], float]
"""evaluate(model) -> validation HR@10 (higher is better)."""


@dataclass(frozen=True)
class SequentialConfig:
    """Hyper-parameters of the sequential recommender and its training run."""

    base_model: str = PACKAGED_MODEL  # whose text embeddings initialise the item table
    hidden: int = 64  # SASRec's width; 3.6k items and ~20k training positions do not need more
    layers: int = 2  # SASRec's default: one layer for the last item, one for the context
    heads: int = 2
    max_len: int = 50  # the longest sample history is 40 distinct items
    dropout: float = 0.3  # small data: strong dropout, as SASRec uses on sparse sets
    epochs: int = 30  # the validation HR@10 picks the best epoch; on the sample it peaks near epoch 11
    patience: int = 3  # stop after 3 epochs in a row without a better validation HR@10
    batch_size: int = 128
    learning_rate: float = 2e-3
    weight_decay: float = 0.0
    warmup_fraction: float = 0.05
    seed: int = SEED
    device: str | None = None


class SASRec(nn.Module):
    """Item and position embeddings -> causal transformer encoder -> a vector per position.

    Item ids are 1..N; 0 pads (sequences are left-padded so the last position is the newest item).
    """

    def __init__(self, n_items: int, config: SequentialConfig, init_table: np.ndarray | None = None) -> None:
        super().__init__()
        self.config = config
        self.items = nn.Embedding(n_items + 1, config.hidden, padding_idx=0)
        if init_table is not None:
            with torch.no_grad():
                self.items.weight[1:] = torch.as_tensor(init_table, dtype=torch.float32)
        self.positions = nn.Embedding(config.max_len, config.hidden)
        layer = nn.TransformerEncoderLayer(config.hidden, config.heads, 2 * config.hidden, config.dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.hidden)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        """(B, T) item ids -> (B, T, H) states; state t summarises items 0..t."""
        t = seq.shape[1]
        pos = torch.arange(t, device=seq.device)
        x = self.dropout(self.items(seq) * self.config.hidden ** 0.5 + self.positions(pos))  # (B, T, H)
        causal = torch.ones(t, t, dtype=torch.bool, device=seq.device).triu(1)  # True = may not attend
        pad = seq.eq(0)
        # a padded query position would see only masked keys (NaN, which then spreads through the
        # next layer's values); position 0 stays visible to all: a constant "sink" key for every row
        pad[:, 0] = False
        h = self.encoder(x, mask=causal, src_key_padding_mask=pad)
        return self.norm(h)

    def logits(self, states: torch.Tensor) -> torch.Tensor:
        """(..., H) states -> (..., N) scores over items 1..N (the item table is the output layer too)."""
        return states @ self.items.weight[1:].T


def pca_projection(embeddings: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (D, dim) PCA projection of text embeddings, scaled so projected rows have unit spread."""
    mean = embeddings.mean(axis=0)
    _, s, vt = np.linalg.svd(embeddings - mean, full_matrices=False)
    proj = vt[:dim].T / (s[:dim] / np.sqrt(len(embeddings)))[None, :]  # whitened: each axis variance 1
    return mean.astype(np.float32), (proj * 0.1).astype(np.float32)  # small, like nn.Embedding's init scale


class SequentialRecommender:
    """A trained SASRec with the product ids of its item table.

    Example:
        >>> rec, info = SequentialRecommender.train(train_seqs, ids, text_emb, valid=(prefixes, targets))
        >>> scores = rec.score([["P00001", "P00042"]])  # (1, N) over ``rec.product_ids``
    """

    def __init__(self, model: SASRec, product_ids: Sequence[str], mean: np.ndarray, projection: np.ndarray,
                 device: str) -> None:
        self.model = model.to(device).eval()
        self.product_ids = list(product_ids)
        self._row = {p: i + 1 for i, p in enumerate(self.product_ids)}  # product id -> item id
        self.mean, self.projection = mean, projection
        self.device = device

    @property
    def config(self) -> SequentialConfig:
        return self.model.config

    def encode_sequences(self, sequences: Sequence[Sequence[str]]) -> torch.Tensor:
        """Left-padded (B, T) item ids of the newest ``max_len`` known products of each sequence."""
        t = self.config.max_len
        out = np.zeros((len(sequences), t), dtype=np.int64)
        for b, seq in enumerate(sequences):
            ids = [self._row[p] for p in seq if p in self._row][-t:]
            if ids:
                out[b, t - len(ids):] = ids
        return torch.as_tensor(out, device=self.device)

    @torch.inference_mode()
    def score(self, sequences: Sequence[Sequence[str]], item_table: np.ndarray | None = None,
              batch_size: int = 512) -> np.ndarray:
        """(B, N) next-item scores for each sequence (oldest item first).

        Args:
            item_table: (N', H) item vectors to score against (:meth:`item_table_for` a catalog);
                default: the trained table, columns in :attr:`product_ids` order.
        """
        self.model.eval()
        table = None if item_table is None else torch.as_tensor(item_table, dtype=torch.float32, device=self.device)
        out = []
        for start in range(0, len(sequences), batch_size):
            state = self.model(self.encode_sequences(sequences[start:start + batch_size]))[:, -1]  # (b, H)
            logits = self.model.logits(state) if table is None else state @ table.T
            out.append(logits.float().cpu().numpy())
        n = len(self.product_ids) if item_table is None else len(item_table)
        return np.concatenate(out) if out else np.zeros((0, n), dtype=np.float32)

    def item_table_for(self, product_ids: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """Item vectors for ``product_ids``: learned rows where trained, else the text-embedding projection."""
        table = self.model.items.weight.detach().cpu().numpy()
        out = ((embeddings - self.mean) @ self.projection).astype(np.float32)  # (N', H)
        for i, p in enumerate(product_ids):
            if p in self._row:
                out[i] = table[self._row[p]]
        return out

    # ---- training ----
    @classmethod
    def train(cls, sequences: Sequence[Sequence[str]], product_ids: Sequence[str], text_embeddings: np.ndarray,
              config: SequentialConfig = SequentialConfig(), progress: ProgressFn | None = None,
              evaluate: EvaluateFn | None = None, cancel: CancelFn | None = None
              ) -> tuple[SequentialRecommender, dict]:
        """Train on ``sequences`` (product ids, oldest first): every position predicts the next item.

        Args:
            product_ids: the catalog; ``text_embeddings`` (N, D) are its MiniLM embeddings, same order.
            evaluate: validation HR@10 after each epoch; the best epoch's weights are kept.

        Returns:
            The model and a dict with ``train_s``, ``epochs_run``, ``best_val_hr@10``, ``device``.
        """
        torch.manual_seed(config.seed)
        device = pick_device(config.device)
        mean, proj = pca_projection(np.asarray(text_embeddings, dtype=np.float32), config.hidden)
        init = (np.asarray(text_embeddings, dtype=np.float32) - mean) @ proj
        rec = cls(SASRec(len(product_ids), config, init), product_ids, mean, proj, device)
        model = rec.model
        usable = [s for s in sequences if sum(p in rec._row for p in s) >= 2]
        if not usable:
            raise ValueError("no shopper has two or more known products in a row: nothing to learn a sequence from")
        seqs = rec.encode_sequences([list(s) for s in usable])  # (U, T) rows padded on the left
        total = config.epochs * -(-len(usable) // config.batch_size)
        optim, sched = adamw_with_warmup(model.parameters(), config.learning_rate, config.weight_decay, total,
                                         config.warmup_fraction)

        def batch_loss(positions: np.ndarray) -> torch.Tensor:
            batch = seqs[torch.as_tensor(positions, device=device)]  # (B, T)
            inputs, targets = batch[:, :-1], batch[:, 1:]  # predict item t+1 from items <= t
            mask = (inputs > 0) & (targets > 0)
            # scores only where there is a next item (P positions, not B x (T-1)): at 50,000 products the
            # (B, T-1, N) table and its gradient would be 2.5 GB, the (P, N) one is a few hundred MB
            logits = model.logits(model(inputs)[mask])  # (P, N)
            return nn.functional.cross_entropy(logits, targets[mask] - 1)

        run = fit(model, len(usable), batch_loss, list(model.parameters()), optim, sched, epochs=config.epochs,
                  patience=config.patience, seed=config.seed, batch_size=config.batch_size,
                  evaluate=None if evaluate is None else lambda: evaluate(rec), progress=progress,
                  metric_name="HR@10", cancel=cancel)
        return rec, {"train_s": run.train_s, "epochs_run": run.epochs_run,
                     "best_val_hr@10": None if run.best is None else round(run.best, 4), "device": device}

    # ---- persistence (safetensors + JSON, no pickle) ----
    def save(self, folder: Path) -> None:
        """Write weights, the PCA projection, config and product ids into ``folder``."""
        folder = Path(folder)
        tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        tensors["mean"] = torch.as_tensor(self.mean)
        tensors["projection"] = torch.as_tensor(np.ascontiguousarray(self.projection))
        save_file(tensors, folder / WEIGHTS_FILE)
        (folder / CONFIG_FILE).write_text(json.dumps({"config": {k: v for k, v in asdict(self.config).items()
                                                                 if k != "device"},
                                                      "product_ids": self.product_ids}) + "\n")

    @classmethod
    def load(cls, folder: Path, device: str | None = None) -> SequentialRecommender:
        """Load a model written by :meth:`save`."""
        folder = Path(folder)
        meta = json.loads((folder / CONFIG_FILE).read_text())
        config = SequentialConfig(**meta["config"])
        tensors = load_file(folder / WEIGHTS_FILE)
        model = SASRec(len(meta["product_ids"]), config)
        model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")})
        return cls(model, meta["product_ids"], tensors["mean"].numpy(), tensors["projection"].numpy(),
                   pick_device(device))
