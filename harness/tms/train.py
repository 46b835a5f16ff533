"""Training loop for the toy models of superposition (after the paper's notebook).

Defaults follow the notebook: AdamW (torch defaults, weight decay 0.01), lr 1e-3, constant
schedule, loss = importance-weighted squared error averaged over batch and features, summed over
instances (instances are independent, so each one gets exactly its own gradient).
"""
from __future__ import annotations

import math
import time
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from harness.models.threads import single_thread


LOSSES = ("mse", "cross_entropy")
OPTIMIZERS = ("adamw", "adam")
LR_SCHEDULES = ("constant", "linear", "cosine")

BatchFn = Callable[[torch.Generator], torch.Tensor | tuple]
Progress = Callable[[int, torch.Tensor], None]


def _split(batch) -> tuple[torch.Tensor, torch.Tensor]:
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


def _lr_factor(schedule: str, step: int, steps: int) -> float:
    if schedule == "constant":
        return 1.0
    if schedule == "linear":
        return 1.0 - step / steps
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * step / steps))
    raise ValueError(f"unknown lr_schedule {schedule!r}; expected one of {LR_SCHEDULES}")


def train_tms(
    model: nn.Module,
    batch_fn: BatchFn,
    importance: torch.Tensor | None = None,
    steps: int = 5_000,
    lr: float = 1e-3,
    seed: int = 0,
    log_every: int = 500,
    progress: Progress | None = None,
    loss: str = "mse",
    optimizer: str = "adamw",
    weight_decay: float | None = None,
    lr_schedule: str = "constant",
) -> dict:
    """Train ``model`` in place on batches from ``batch_fn`` and return a summary dict.

    Args:
        model: e.g. ``harness.tms.models.ReLUOutputModel``; ``model(x)`` must return
            ``[batch, instances, d]``.
        batch_fn: ``batch_fn(generator) -> x`` (target ``x``) or ``-> (x, y)``; see
            ``harness.tms.data``. The batch size lives in the batch function.
        importance: ``None``, ``[d]`` or ``[instances, d]`` loss weights (paper's ``I_i``).
        steps, lr: optimisation steps and peak learning rate (notebook: 10k steps, lr 1e-3).
        seed: seeds the data generator (``torch.Generator().manual_seed(seed)``) and, inside a
            ``torch.random.fork_rng`` (global RNG restored afterwards), ``torch.manual_seed(seed)``
            for dropout. Same model init + same seed -> bitwise-identical weights on one machine.
        log_every: record the per-instance loss (and call ``progress``) every this many steps and
            at the last step; ``0`` disables logging.
        progress: optional ``progress(step, per_instance_loss [instances])``.
        loss: ``"mse"`` (paper) or ``"cross_entropy"`` (4.12), see ``tms_loss``.
        optimizer: ``"adamw"`` (notebook) or ``"adam"``.
        weight_decay: AdamW weight decay; ``None`` = torch's default (0.01). Ignored for ``"adam"``.
        lr_schedule: ``"constant"`` (notebook default), ``"linear"`` or ``"cosine"`` decay to 0.

    Runs on one intra-op thread (``harness.models.threads.single_thread``): these models are tiny, and on
    a shared CPU torch's default threads were measured 3-100x slower (a 120-step run: 9 s with 2
    threads vs 0.09 s with 1).

    Returns:
        ``{"losses": [instances] final per-instance loss on one fresh batch (eval mode, no grad),
        "history": [(step, [instances] loss on that step's batch), ...], "steps", "lr", "seed",
        "seconds": wall-clock training time}``. The model is left in eval mode.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {OPTIMIZERS}")
    imp = None if importance is None else torch.as_tensor(importance, dtype=torch.float32)
    gen = torch.Generator()
    gen.manual_seed(int(seed))
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "adamw":
        kw = {} if weight_decay is None else {"weight_decay": weight_decay}
        opt = torch.optim.AdamW(params, lr=lr, **kw)
    else:
        opt = torch.optim.Adam(params, lr=lr)
    history: list[tuple[int, torch.Tensor]] = []
    t0 = time.perf_counter()
    with single_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        model.train()
        for step in range(steps):
            factor = _lr_factor(lr_schedule, step, steps)
            for group in opt.param_groups:
                group["lr"] = lr * factor
            x, y = _split(batch_fn(gen))
            per_instance = tms_loss(model(x), y, imp, loss)
            opt.zero_grad(set_to_none=True)
            per_instance.sum().backward()
            opt.step()
            if log_every and (step % log_every == 0 or step == steps - 1):
                snapshot = per_instance.detach().clone()
                history.append((step, snapshot))
                if progress is not None:
                    progress(step, snapshot)
        seconds = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            x, y = _split(batch_fn(gen))
            final = tms_loss(model(x), y, imp, loss)
    return {"losses": final, "history": history, "steps": steps, "lr": lr, "seed": seed, "seconds": seconds}
