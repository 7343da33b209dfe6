"""The one training loop: early stopping with one meaning of patience, best epoch kept, cancellation."""
import numpy as np
import pytest
import torch

from ecomrec.models.training import TrainingCancelled, adamw_with_warmup, fit


def _run(val_curve, patience, epochs=6, cancel=None):
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    x, y = torch.randn(8, 2), torch.randn(8, 1)
    params = list(model.parameters())
    optim, sched = adamw_with_warmup(params, 1e-2, 0.0, epochs * 2, 0.1)
    weights_at_epoch = []
    curve = iter(val_curve)

    def evaluate() -> float:
        weights_at_epoch.append(model.weight.detach().clone())
        return next(curve)

    def loss(idx: np.ndarray) -> torch.Tensor:
        return torch.nn.functional.mse_loss(model(x[idx]), y[idx])

    run = fit(model, 8, loss, params, optim, sched, epochs=epochs, patience=patience, seed=0, batch_size=4,
              evaluate=evaluate, cancel=cancel)
    return run, model, weights_at_epoch


def test_patience_counts_epochs_in_a_row_without_a_gain_and_the_best_epoch_is_kept():
    # best at epoch 2; epochs 3 and 4 do not beat it: patience 2 stops after epoch 4
    run, model, seen = _run([0.5, 0.7, 0.6, 0.65, 0.9, 0.95], patience=2)
    assert run.epochs_run == 4 and run.best == 0.7
    assert torch.equal(model.weight, seen[1])  # epoch 2's weights restored
    assert len(run.history) == 4 * 2  # two steps per epoch


def test_patience_one_stops_at_the_first_epoch_without_a_gain():
    run, _, _ = _run([0.5, 0.4, 0.9], patience=1)
    assert run.epochs_run == 2 and run.best == 0.5


def test_cancel_stops_before_the_next_step():
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3  # the fourth step is refused

    with pytest.raises(TrainingCancelled, match="epoch 2, step 4 of 12"):
        _run([0.5] * 6, patience=6, cancel=cancel)
