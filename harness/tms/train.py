"""Training of the toy models of superposition: their loss, through the one training loop.

``TMS_TRAINING`` follows the paper's notebook: AdamW (torch's default weight decay 0.01), lr 1e-3,
constant schedule without warmup; the loss is the importance-weighted squared error averaged over
batch and features, summed over instances (instances are independent, so each one gets exactly
its own gradient).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from harness.models.training import TrainConfig, TrainResult, optimize


LOSSES = ("mse", "cross_entropy")

TMS_TRAINING = TrainConfig(steps=3000, batch_size=1024, lr=1e-3, weight_decay=0.01, warmup_steps=0,
                           log_every=1000)

BatchFn = Callable[[torch.Generator], torch.Tensor | tuple]


def split_batch(batch) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, y)`` of a batch function's output (an autoencoder's ``x`` is its own target)."""
    if isinstance(batch, (tuple, list)):
        x, y = batch
        return x, y
    return batch, batch


def tms_loss(out: torch.Tensor, y: torch.Tensor, importance: torch.Tensor | None = None,
             loss: str = "mse") -> torch.Tensor:
    """Per-instance loss ``[instances]``.

    * ``"mse"``: ``out, y [batch, instances, d]``; ``mean_{batch, d} I_d (y - out)^2`` — the paper's
      importance-weighted reconstruction loss (section "Demonstrating Superposition").
    * ``"cross_entropy"`` (open problem 4.12): ``out [batch, instances, C]`` are logits, ``y
      [batch, instances]`` class indices; ``mean_batch I_y * CE(out, y)`` (importance acts as a
      per-class weight).

    ``importance``: ``None`` (all ones), ``[d]`` or ``[instances, d]``.
    """
    importance = None if importance is None else importance.to(out.device)
    if loss == "mse":
        err = (y - out) ** 2
        if importance is not None:
            err = err * importance
        return err.mean(dim=(0, 2))
    if loss == "cross_entropy":
        b, i, c = out.shape
        ce = F.cross_entropy(out.reshape(b * i, c), y.reshape(b * i), reduction="none").reshape(b, i)
        if importance is not None:
            imp = importance.expand(i, c)                               # [instances, C]
            ce = ce * imp.gather(1, y.T).T                              # weight of each row's class
        return ce.mean(0)
    raise ValueError(f"unknown loss {loss!r}; expected one of {LOSSES}")


def train_tms(
    model: nn.Module,
    batch_fn: BatchFn,
    importance: torch.Tensor | None,
    train: TrainConfig,
    seed: int,
    loss: str = "mse",
    label: str = "tms",
    progress: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train ``model`` in place through ``harness.models.training.optimize``.

    ``model(x)`` returns ``[batch, instances, d]`` (e.g. ``harness.tms.models.ReLUOutputModel``);
    ``batch_fn(generator) -> x`` (target ``x``) or ``-> (x, y)`` (see ``harness.tms.data``; the
    batch size lives in the batch function, ``train.batch_size`` is not read); ``importance``:
    ``None``, ``[d]`` or ``[instances, d]`` loss weights (the paper's ``I_i``); ``loss``: see
    ``tms_loss``. The loss is one per instance, so ``TrainResult.losses`` holds ``[instances]``
    lists.

    ``seed`` seeds the data generator and, inside a ``torch.random.fork_rng`` (the global RNG is
    restored afterwards), ``torch.manual_seed`` for dropout: same model init + same seed ->
    bitwise-identical weights on one machine.
    """
    device = train.training_device()
    model.to(device)
    weights = None if importance is None else torch.as_tensor(importance, dtype=torch.float32, device=device)
    data = torch.Generator(device=device).manual_seed(int(seed))  # batches drawn where they are used

    def batch_loss() -> torch.Tensor:
        x, y = split_batch(batch_fn(data))  # on the generator's device
        return tms_loss(model(x), y, weights, loss)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return optimize(model, batch_loss, train, label, progress)
