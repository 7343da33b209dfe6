"""What every fine-tuning loop here shares: progress reports, the optimiser and its schedule."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

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
