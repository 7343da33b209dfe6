"""The one training loop every model here uses, and what it shares: progress, optimiser, LoRA.

:func:`fit` runs epochs of shuffled mini-batches, reports progress after every step, measures the
validation metric after every epoch, keeps the best epoch's weights and stops early after
``patience`` epochs in a row without a gain. A ``cancel`` callable, checked before every step, stops
the run with :class:`TrainingCancelled` so nothing half-trained is saved.
"""
from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch


@dataclass(frozen=True)
class TrainProgress:
    """One report from a training loop, for progress bars and loss curves."""

    step: int
    total_steps: int
    epoch: int
    loss: float
    val_metric: float | None = None  # set on the last step of an epoch
    metric_name: str = "macro-F1"  # what ``val_metric`` measures, for chart labels


ProgressFn = Callable[[TrainProgress], None]
CancelFn = Callable[[], bool]
"""cancel() -> True to stop the run (checked before every step)."""


def data_fingerprint(texts: Sequence[str], labels: Sequence[str]) -> str:
    """Short hash of the training pairs, recorded in the manifest."""
    h = hashlib.sha256()
    for t, lab in zip(texts, labels):
        h.update(f"{t}\x1f{lab}\x1e".encode())
    return h.hexdigest()[:16]


def hyperparameters(config) -> dict:
    """A training config dataclass as a JSON-ready dict for the manifest."""
    return {k: v for k, v in asdict(config).items() if k != "device"}


def adamw_with_warmup(params: Iterable, lr: float, weight_decay: float, total_steps: int,
                      warmup_fraction: float) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW with a linear warm-up then a linear decay to zero over ``total_steps``.

    ``params`` is parameters or parameter groups (dicts with their own ``lr``).
    """
    optim = torch.optim.AdamW(list(params), lr=lr, weight_decay=weight_decay)
    warmup = max(1, int(warmup_fraction * total_steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup))))
    return optim, sched


def optimizer_step(loss: torch.Tensor, params: list[torch.nn.Parameter], optim: torch.optim.Optimizer,
                   sched: torch.optim.lr_scheduler.LRScheduler, max_grad_norm: float = 1.0) -> float:
    """Backward, clip the gradient norm of ``params``, step optimiser and schedule, clear; returns the loss."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
    optim.step()
    sched.step()
    optim.zero_grad()
    return float(loss.item())


def lora_wrap(model: torch.nn.Module, r: int, task_type: str) -> torch.nn.Module:
    """Wrap ``model`` with LoRA adapters (peft) on the attention's query and value projections."""
    from peft import LoraConfig, get_peft_model

    return get_peft_model(model, LoraConfig(task_type=task_type, r=r, lora_alpha=2 * r, lora_dropout=0.1,
                                            target_modules=["query", "value"]))


class TrainingCancelled(RuntimeError):
    """Raised by :func:`fit` when its ``cancel`` callable says stop; nothing was saved."""


@dataclass
class FitResult:
    """What :func:`fit` did: epochs run, the best validation value (None without one), per-step losses."""

    epochs_run: int
    best: float | None
    train_s: float
    history: list[float] = field(default_factory=list)


def fit(model: torch.nn.Module, n_examples: int, batch_loss: Callable[[np.ndarray], torch.Tensor],
        params: list[torch.nn.Parameter], optim: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LRScheduler,
        *, epochs: int, patience: int, seed: int, batch_size: int,
        evaluate: Callable[[], float] | None = None, progress: ProgressFn | None = None,
        metric_name: str = "macro-F1", cancel: CancelFn | None = None, deadline: float | None = None) -> FitResult:
    """Train ``model`` for up to ``epochs`` passes over ``n_examples`` and keep its best epoch.

    Args:
        batch_loss: the loss of one mini-batch, given the example positions in it.
        evaluate: the validation metric (higher is better), run in eval mode after each epoch; the
            epoch with the best value is kept. None: every epoch runs and the last one is kept.
        patience: stop after this many epochs in a row without a validation gain.
        seed: the shuffling order (the caller seeds torch for weight initialisation).
        deadline: a ``time.perf_counter()`` value: no epoch starts that would, at the last epoch's pace, end
            after it (the best epoch so far is kept; the first epoch always runs).

    Raises:
        TrainingCancelled: when ``cancel()`` turns true; the model is left as it was at that step.
    """
    rng = np.random.default_rng(seed)
    steps_per_epoch = -(-n_examples // batch_size)
    total = steps_per_epoch * epochs
    best, best_state, since_best, step, history, epoch = None, None, 0, 0, [], 0
    t0 = time.perf_counter()
    for epoch in range(1, epochs + 1):
        pace = (time.perf_counter() - t0) / max(epoch - 1, 1)
        if deadline is not None and epoch > 1 and time.perf_counter() + pace > deadline:
            epoch -= 1
            break
        model.train()
        order = rng.permutation(n_examples)
        val = None
        for b in range(steps_per_epoch):
            if cancel is not None and cancel():
                raise TrainingCancelled(f"training cancelled at epoch {epoch}, step {step + 1} of {total}")
            history.append(optimizer_step(batch_loss(order[b * batch_size:(b + 1) * batch_size]), params, optim,
                                          sched))
            step += 1
            if b == steps_per_epoch - 1 and evaluate is not None:
                model.eval()
                val = float(evaluate())
            if progress:
                progress(TrainProgress(step, total, epoch, history[-1], val, metric_name))
        if val is None:
            continue
        if best is None or val > best:
            best, since_best = val, 0
            best_state = copy.deepcopy(model.state_dict()) if epochs > 1 else None  # one epoch: it is the best
        else:
            since_best += 1
            if since_best >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return FitResult(epochs_run=epoch, best=best, train_s=round(time.perf_counter() - t0, 2), history=history)
