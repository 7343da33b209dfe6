"""A transformer over the basket as a set: which product completes it (masked-item prediction).

Each training basket is shown with one of its products replaced by a mask token; a small
bidirectional transformer (no positions: a basket has no order) reads the rest and scores every
catalog product for the masked place, through the item table it also reads with (as the
sequential model does). The item table starts from the packaged encoder's text embeddings
(PCA-projected), so products seen in few baskets start near products described alike.

The cart list blends it in only when that beats its best setting without it (co-occurrence, EASE and the
rest) on validation baskets (:mod:`ecomrec.recommend.cart_tuning`).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from ecomrec.config import PACKAGED_MODEL, SEED
from ecomrec.models.device import pick_device
from ecomrec.models.sequential import pca_projection
from ecomrec.models.training import CancelFn, ProgressFn, adamw_with_warmup, fit

WEIGHTS_FILE = "basket.safetensors"
CONFIG_FILE = "basket_config.json"


@dataclass(frozen=True)
class BasketConfig:
    """Hyper-parameters of the basket model and its training run."""

    base_model: str = PACKAGED_MODEL  # whose text embeddings initialise the item table
    hidden: int = 64  # as the sequential model: a few thousand products and baskets need no more
    layers: int = 2
    heads: int = 2
    max_items: int = 30  # a basket's products read at most (Online Retail's median basket holds 15)
    dropout: float = 0.2
    epochs: int = 20  # validation HR@10 picks the epoch
    budget_s: float = 90.0  # no epoch starts that would end later (Groceries: ~4 s an epoch, Online Retail ~12 s)
    patience: int = 3  # stop after 3 epochs in a row without a better validation HR@10
    batch_size: int = 128
    learning_rate: float = 2e-3
    weight_decay: float = 0.0
    warmup_fraction: float = 0.05
    seed: int = SEED
    device: str | None = None


class BasketEncoder(nn.Module):
    """Item embeddings (ids 1..N, 0 pads, N+1 masks) -> bidirectional transformer -> the mask's state."""

    def __init__(self, n_items: int, config: BasketConfig, init_table: np.ndarray | None = None) -> None:
        super().__init__()
        self.config, self.n_items = config, n_items
        self.items = nn.Embedding(n_items + 2, config.hidden, padding_idx=0)
        if init_table is not None:
            with torch.no_grad():
                self.items.weight[1:n_items + 1] = torch.as_tensor(init_table, dtype=torch.float32)
        layer = nn.TransformerEncoderLayer(config.hidden, config.heads, 2 * config.hidden, config.dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.hidden)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, items: torch.Tensor) -> torch.Tensor:
        """(B, T) item ids whose column 0 is the mask token -> (B, H) the mask's state."""
        x = self.dropout(self.items(items) * self.config.hidden ** 0.5)  # (B, T, H)
        h = self.encoder(x, src_key_padding_mask=items.eq(0))
        return self.norm(h[:, 0])

    def logits(self, states: torch.Tensor) -> torch.Tensor:
        """(B, H) -> (B, N) scores over items 1..N."""
        return states @ self.items.weight[1:self.n_items + 1].T


class BasketModel:
    """A trained :class:`BasketEncoder` with the product ids of its item table.

    Example:
        >>> model, info = BasketModel.train(train_baskets, ids, text_emb)
        >>> model.score([["P00001", "P00042"]])  # (1, N): what completes that basket
    """

    def __init__(self, net: BasketEncoder, product_ids: Sequence[str], device: str) -> None:
        self.net = net.to(device).eval()
        self.product_ids = list(product_ids)
        self._row = {p: i + 1 for i, p in enumerate(self.product_ids)}
        self.device = device

    @property
    def config(self) -> BasketConfig:
        return self.net.config

    def encode(self, baskets: Sequence[Sequence[str]]) -> torch.Tensor:
        """(B, 1 + longest) ids: the mask token, then up to ``max_items`` known products, then padding."""
        t = self.config.max_items
        out = np.zeros((len(baskets), t + 1), dtype=np.int64)
        out[:, 0] = len(self.product_ids) + 1
        for b, basket in enumerate(baskets):
            ids = list(dict.fromkeys(self._row[p] for p in basket if p in self._row))[:t]
            out[b, 1:1 + len(ids)] = ids
        width = int((out > 0).sum(axis=1).max()) if len(out) else 1  # left-aligned: trailing padding dropped
        return torch.as_tensor(out[:, :width], device=self.device)

    @torch.inference_mode()
    def score(self, baskets: Sequence[Sequence[str]], batch_size: int = 512) -> np.ndarray:
        """(B, N) log-probabilities of each product completing each basket (columns: :attr:`product_ids`)."""
        self.net.eval()
        out = [torch.log_softmax(self.net.logits(self.net(self.encode(baskets[s:s + batch_size]))), dim=-1)
               .float().cpu().numpy() for s in range(0, len(baskets), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, len(self.product_ids)), dtype=np.float32)

    @classmethod
    def train(cls, baskets: Sequence[Sequence[str]], product_ids: Sequence[str], text_embeddings: np.ndarray,
              config: BasketConfig = BasketConfig(), evaluate: Callable[[BasketModel], float] | None = None,
              progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> tuple[BasketModel, dict]:
        """Train on ``baskets`` (product ids) of two or more known products: each epoch hides every product of
        every basket once, and the rest of its basket predicts it.

        Args:
            evaluate: validation HR@10 after each epoch; the best epoch's weights are kept.

        Returns:
            The model and a dict with ``train_s``, ``epochs_run``, ``best_val_hr@10``, ``device``.
        """
        torch.manual_seed(config.seed)
        device = pick_device(config.device)
        emb = np.asarray(text_embeddings, dtype=np.float32)
        mean, proj = pca_projection(emb, config.hidden)
        init = np.zeros((len(product_ids), config.hidden), dtype=np.float32)  # a catalog smaller than the width:
        init[:, :proj.shape[1]] = (emb - mean) @ proj  # fewer principal axes than columns, the rest start at 0
        model = cls(BasketEncoder(len(product_ids), config, init), product_ids, device)
        rows = [list(dict.fromkeys(model._row[p] for p in b if p in model._row))[:config.max_items + 1]
                for b in baskets]
        rows = [r for r in rows if len(r) >= 2]
        if not rows:
            raise ValueError("no basket holds two or more known products: nothing to learn a basket from")
        t = config.max_items + 1
        table = np.zeros((len(rows), t), dtype=np.int64)  # (U, T) each basket's items, padded with 0
        for i, r in enumerate(rows):
            table[i, :len(r)] = r
        sizes = (table > 0).sum(axis=1)
        # every (basket, product) pair is an example: each epoch hides each product of each basket once
        examples = np.array([(i, j) for i in range(len(rows)) for j in range(sizes[i])], dtype=np.int64)  # (E, 2)
        total = config.epochs * -(-len(examples) // config.batch_size)
        optim, sched = adamw_with_warmup(model.net.parameters(), config.learning_rate, config.weight_decay, total,
                                         config.warmup_fraction)
        mask_id = len(product_ids) + 1

        def batch_loss(positions: np.ndarray) -> torch.Tensor:
            which, hide = examples[positions, 0], examples[positions, 1]
            items = table[which].copy()  # (B, T)
            at = np.arange(len(positions))
            target = items[at, hide].copy()
            items[at, hide] = items[:, 0]  # the hidden product's place takes column 0's product
            items[:, 0] = mask_id  # and column 0 becomes the mask
            items = items[:, :int(sizes[which].max())]  # rows are left-aligned: no column of padding alone
            logits = model.net.logits(model.net(torch.as_tensor(items, device=device)))  # (B, N)
            return nn.functional.cross_entropy(logits, torch.as_tensor(target - 1, device=device))

        run = fit(model.net, len(examples), batch_loss, list(model.net.parameters()), optim, sched,
                  epochs=config.epochs,
                  patience=config.patience, seed=config.seed, batch_size=config.batch_size,
                  evaluate=None if evaluate is None else lambda: evaluate(model), progress=progress,
                  metric_name="HR@10", cancel=cancel, deadline=time.perf_counter() + config.budget_s)
        return model, {"train_s": run.train_s, "epochs_run": run.epochs_run,
                       "best_val_hr@10": None if run.best is None else round(run.best, 4), "device": device}

    def save(self, folder: Path) -> None:
        """Weights as safetensors, config and product ids as JSON (no pickle)."""
        folder = Path(folder)
        save_file({k: v.detach().cpu().contiguous() for k, v in self.net.state_dict().items()}, folder / WEIGHTS_FILE)
        (folder / CONFIG_FILE).write_text(json.dumps({"config": {k: v for k, v in asdict(self.config).items()
                                                                 if k != "device"},
                                                      "product_ids": self.product_ids}) + "\n")

    @classmethod
    def load(cls, folder: Path, device: str | None = None) -> BasketModel:
        """Load a model written by :meth:`save`."""
        meta = json.loads((Path(folder) / CONFIG_FILE).read_text())
        net = BasketEncoder(len(meta["product_ids"]), BasketConfig(**meta["config"]))
        net.load_state_dict(load_file(Path(folder) / WEIGHTS_FILE))
        return cls(net, meta["product_ids"], pick_device(device))

    @staticmethod
    def exists(folder: Path) -> bool:
        """Whether ``folder`` holds a saved basket model."""
        return (Path(folder) / WEIGHTS_FILE).exists()
