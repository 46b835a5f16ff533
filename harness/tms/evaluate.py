"""Behavioural measurements on trained toy models (what the model computes, not its weights).

Every function takes outputs / targets with the instance dimension second, as the models return
them: ``[batch, instances, d]``. Our measures (simple summaries used by the claims), not numbers
from Elhage et al. 2022.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn


_EPS = 1e-12


def output_r2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-output coefficient of determination ``1 - SSE / SST`` over the batch:
    ``pred, target [batch, instances, d] -> [instances, d]``. 1 = computed exactly, 0 = no better
    than the output's mean (e.g. a constant bias), negative = worse. Constant targets give -inf
    unless predicted exactly (then 1)."""
    sse = ((pred - target) ** 2).sum(0)
    sst = ((target - target.mean(0)) ** 2).sum(0)
    r2 = 1 - sse / sst.clamp_min(_EPS)
    return torch.where((sst <= _EPS) & (sse <= _EPS), torch.ones_like(r2), r2)


def single_input_r2(net: nn.Module, target_fn: Callable[[torch.Tensor], torch.Tensor], n_inputs: int,
                    n_instances: int, values: torch.Tensor) -> torch.Tensor:
    """How well the model computes its target when only input ``i`` is active (the sparse regime):
    for every input ``i``, inputs ``x = v e_i`` for ``v`` in ``values [k]``; the R² of all outputs
    jointly, ``1 - sum (out - y)^2 / sum (y - mean_v y)^2`` with ``y = target_fn(x)``.
    Returns ``[instances, n_inputs]``."""
    k = values.shape[0]
    eye = torch.eye(n_inputs, device=values.device)
    x = (values[:, None, None] * eye[None]).reshape(k * n_inputs, n_inputs)     # row (v, i) = v e_i
    x = x[:, None, :].expand(-1, n_instances, -1)
    with torch.no_grad():
        out, y = net(x), target_fn(x)
    out = out.reshape(k, n_inputs, n_instances, -1)
    y = y.reshape(k, n_inputs, n_instances, -1)
    sse = ((out - y) ** 2).sum(dim=(0, 3))
    sst = ((y - y.mean(0)) ** 2).sum(dim=(0, 3))
    return (1 - sse / sst.clamp_min(_EPS)).T


def classification_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Top-1 accuracy per instance: ``logits [batch, instances, C]``, ``labels [batch, instances]``
    -> ``[instances]``."""
    return (logits.argmax(-1) == labels).float().mean(0)


def represented_sets(W: torch.Tensor, threshold: float = 0.5) -> list[frozenset[int]]:
    """The set of features with ``||W_i|| > threshold``, per instance: ``W [instances, m, n]``."""
    keep = W.norm(dim=-2) > threshold
    return [frozenset(torch.nonzero(row).flatten().tolist()) for row in keep]
