"""Behavioural measurements on trained toy models (what the model computes, not its weights).

Every function takes outputs / targets with the instance dimension second, as the models return
them: ``[batch, instances, d]``. Our measures (simple summaries used by the claims), not numbers
from Elhage et al. 2022.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from harness.interp.neurons import MONOSEMANTIC_PURITY, live_neurons, monosemantic_classes
from harness.tms.models import apply_activation


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


def coactive_pair_errors(net: nn.Module, instance: int, pairs: torch.Tensor, value: float = 1.0
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """Reconstruction of feature pairs alone and together (simultaneous interference, open
    problem 4.16) in an autoencoder ``net`` (``[batch, instances, n] -> [batch, instances, n]``).
    ``pairs [P, 2]`` feature indices of ``instance``. Returns (single, both), each ``[P, 2]``:
    the squared error of each feature of the pair at ``value`` when it is the only active feature,
    and when the two are active together (the error on the pair's own two outputs)."""
    n_pairs, n = pairs.shape[0], net.W.shape[-1]
    rows = torch.arange(n_pairs)
    x = torch.zeros(3, n_pairs, n, device=net.W.device)
    x[0, rows, pairs[:, 0]] = value
    x[1, rows, pairs[:, 1]] = value
    x[2] = x[0] + x[1]
    batch = torch.zeros(3 * n_pairs, net.W.shape[0], n, device=net.W.device)
    batch[:, instance] = x.reshape(3 * n_pairs, n)
    with torch.no_grad():
        out = net(batch)[:, instance].reshape(3, n_pairs, n).cpu()
    own = out.gather(2, pairs[None].expand(3, -1, -1))  # [3, P, 2]: outputs of the pair's features
    single = torch.stack([own[0, :, 0], own[1, :, 1]], dim=1)
    return (single - value) ** 2, (own[2] - value) ** 2


def neurons_for_recovery(net: nn.Module, x: torch.Tensor, instance: int, share: float = 0.9) -> torch.Tensor:
    """Per-input decomposability of a one-hidden-layer ``ComputationModel`` (open problem 4.19):
    the fewest hidden neurons, kept in order of the norm of their output contribution
    ``h_k W_out[:, k]`` (the others set to 0, their ReLU's off state), whose output recovers
    ``share`` of the way from all neurons off to the full output:
    ``1 - ||f_k - f||^2 / ||f_0 - f||^2 >= share``. x: ``[batch, instances, n_inputs]``; returns
    ``[batch]`` (0 where the full output equals the all-off output)."""
    with torch.no_grad():
        h = net.hidden_activations(x)[-1][:, instance]                     # [b, N]
        contributions = h[:, :, None] * net.W_out[instance].T[None]       # [b, N, out]
        order = contributions.norm(dim=-1).argsort(dim=1, descending=True)
        ranked = contributions.gather(1, order[:, :, None].expand_as(contributions))
        kept = torch.cat([torch.zeros_like(ranked[:, :1]), ranked.cumsum(1)], dim=1) + net.b_out[instance]
        outputs = apply_activation(kept, net.output_activation)            # [b, N + 1, out]: k = 0 .. N kept
        full, off = outputs[:, -1:], outputs[:, :1]
        recovered = 1 - (outputs - full).pow(2).sum(-1) / (off - full).pow(2).sum(-1).clamp_min(_EPS)
    fewest = (recovered >= share).int().argmax(1)  # the first k that recovers enough (k = N always does)
    return torch.where((off - full).pow(2).sum(-1)[:, 0] > _EPS, fewest, 0).cpu()


def single_input_neurons(net: nn.Module, instance: int, values: tuple[float, ...] = (1.0, -1.0)
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    """(acts [n_inputs * k, neurons], out [neurons, n_inputs * k]) of ``instance`` of a
    one-hidden-layer ``ComputationModel`` with one output per input, for
    ``harness.interp.motifs.asymmetric_superposition``: feature ``i * k + v`` is the input
    ``values[v] e_i`` (k = len(values)); its activations are the hidden neurons' minus those at
    x = 0, its readout output i (``W_out[:, i, :]``)."""
    x = torch.zeros(net.n_inputs * len(values) + 1, net.n_instances, net.n_inputs)
    for i in range(net.n_inputs):
        for v, value in enumerate(values):
            x[i * len(values) + v, :, i] = value
    with torch.no_grad():
        h = net.hidden_activations(x.to(net.W_in.device))[0][:, instance].cpu()
    out = net.W_out.detach()[instance].cpu().repeat_interleave(len(values), dim=0).T
    return h[:-1] - h[-1], out


def neuron_features(net: nn.Module, x: torch.Tensor, purity: float = MONOSEMANTIC_PURITY, k: int = 20) -> list[torch.Tensor]:
    """Per instance, the input feature each live first-hidden-layer neuron stands for, or -1 when
    it is polysemantic: ``[live neurons]`` int (``harness.interp.neurons.monosemantic_classes`` with
    an example's class its largest ``|x_i|``; live: ``live_neurons``), over x ``[batch, instances,
    features]`` of a ``ComputationModel``. Our measure, the SoLU paper's "looks monosemantic"
    rating made automatic, with the features known. An input with no feature is a class of its
    own, and a neuron whose top activations are mostly such inputs stands for no feature (-1)."""
    with torch.no_grad():
        acts = net.hidden_activations(x)[0].cpu()  # [batch, instances, neurons]
    none = x.shape[-1]
    classes = torch.where(x.abs().amax(-1) > 0, x.abs().argmax(-1), none).cpu()
    rated = [monosemantic_classes(a, c, purity, k)[live_neurons(a, k)] for a, c in zip(acts.unbind(1), classes.unbind(1))]
    return [torch.where(r == none, -1, r) for r in rated]
