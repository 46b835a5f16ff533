"""Toy models of superposition (Elhage et al. 2022, "Toy Models of Superposition").

Plain ``torch.nn.Module`` s, with many *instances* of the same small model trained side by side in
one batch, as in the paper's notebook: every parameter has the instance dimension first, and
activations are ``[batch, instances, ...]``.

* ``ReLUOutputModel`` — the paper's main model (section "Demonstrating Superposition"):
  ``h = W x``, ``x' = ReLU(W^T h + b)``, with ``W: [instances, n_hidden, n_features]``.
  Column ``W[k, :, i]`` is the hidden-space direction of feature ``i`` in instance ``k``
  (the paper's ``W_i``). ``activation="none"`` gives the paper's linear baseline.
* ``ComputationModel`` — the "Computation in Superposition" setting (absolute-value model):
  ``x -> ReLU(W_1 x + b_1) -> ... -> W_out h + b_out`` with a privileged (ReLU) hidden basis,
  trained to compute ``f(x)`` (``|x|``, ``x^2``, ``max(|x|, |y|)``, AND/OR, ``max(x, y)``; see
  ``harness.tms.data`` for targets).

Initialisation: each instance's weight matrix is drawn Xavier-normal with its own fan-in / fan-out
(``std = sqrt(2 / (fan_in + fan_out))``); the notebook calls ``xavier_normal_`` on the whole
3-D tensor, which also counts the instance dimension in the fans. Biases start at zero.
Pass ``seed`` to make initialisation independent of the global RNG.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from harness.models.widening import widen_neurons


ACTIVATIONS = ("relu", "gelu", "none")


def apply_activation(x: torch.Tensor, name: str) -> torch.Tensor:
    """Elementwise activation by name: ``"relu"``, ``"gelu"`` (exact erf GELU) or ``"none"``."""
    if name == "relu":
        return F.relu(x)
    if name == "gelu":
        return F.gelu(x)
    if name == "none":
        return x
    raise ValueError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")


def _generator(seed: int | None) -> torch.Generator | None:
    if seed is None:
        return None
    g = torch.Generator()
    g.manual_seed(int(seed))
    return g


def _xavier(n_instances: int, fan_out: int, fan_in: int, gen: torch.Generator | None) -> torch.Tensor:
    """[n_instances, fan_out, fan_in] Xavier-normal, per instance."""
    std = math.sqrt(2.0 / (fan_in + fan_out))
    return torch.randn(n_instances, fan_out, fan_in, generator=gen) * std


class ReLUOutputModel(nn.Module):
    """The paper's ReLU output model, ``n_instances`` copies trained in parallel.

    ``h = W x`` (``[batch, instances, n_hidden]``), then ``x' = act(W^T h + b)``.

    Args:
        n_instances: independent copies (e.g. one per sparsity level).
        n_features: n, input/output dimension.
        n_hidden: m, bottleneck dimension (m < n for superposition).
        activation: ``"relu"`` (paper), ``"gelu"`` (open problem 4.10/4.11) or ``"none"`` (the
            paper's linear model baseline).
        hidden_dropout: dropout probability applied to ``h`` in training mode (open problem 4.1).
        seed: seed for the initialisation (a private ``torch.Generator``); ``None`` uses the
            global RNG.

    Parameters:
        W: ``[n_instances, n_hidden, n_features]``.
        b_final: ``[n_instances, n_features]``.

    Forward: ``x [batch, n_instances, n_features] -> [batch, n_instances, n_features]``.
    """

    def __init__(
        self,
        n_instances: int,
        n_features: int,
        n_hidden: int,
        activation: str = "relu",
        hidden_dropout: float = 0.0,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {ACTIVATIONS}")
        self.n_instances, self.n_features, self.n_hidden = n_instances, n_features, n_hidden
        self.activation = activation
        self.hidden_dropout = float(hidden_dropout)
        gen = _generator(seed)
        self.W = nn.Parameter(_xavier(n_instances, n_hidden, n_features, gen))
        self.b_final = nn.Parameter(torch.zeros(n_instances, n_features))

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        """``x [batch, instances, features] -> h [batch, instances, hidden]`` (dropout in train mode)."""
        h = torch.einsum("bif,ihf->bih", x, self.W)
        if self.hidden_dropout > 0:
            h = F.dropout(h, p=self.hidden_dropout, training=self.training)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.hidden(x)
        out = torch.einsum("bih,ihf->bif", h, self.W) + self.b_final
        return apply_activation(out, self.activation)

    def extra_repr(self) -> str:
        return (f"n_instances={self.n_instances}, n_features={self.n_features}, n_hidden={self.n_hidden}, "
                f"activation={self.activation!r}, hidden_dropout={self.hidden_dropout}")


class ComputationModel(nn.Module):
    """Computation-in-superposition model (paper section "Computation in Superposition").

    ``h_1 = act(W_in x + b_in)``, ``h_{l+1} = act(W_hidden[l] h_l + b_hidden[l])``,
    ``y = out_act(W_out h_L + b_out)``. The paper's absolute-value model is
    ``n_layers=1, activation="relu", output_activation="relu"``; the default output is linear.

    Args:
        n_instances: independent copies trained in one batch.
        n_inputs: input features.
        n_hidden_neurons: neurons per hidden layer (the privileged basis).
        n_outputs: outputs (``n_inputs`` for elementwise targets, number of pairs for pair targets).
        n_layers: number of hidden ReLU layers (>= 1; open problem 4.14 uses 2).
        activation: hidden activation, ``"relu"`` or ``"gelu"``.
        output_activation: ``"none"`` (linear, default), ``"relu"`` (paper) or ``"gelu"``.
        seed: initialisation seed (private generator); ``None`` uses the global RNG.

    Parameters:
        W_in: ``[n_instances, n_hidden_neurons, n_inputs]``; b_in ``[n_instances, n_hidden_neurons]``.
        W_hidden: ``[n_layers - 1, n_instances, n_hidden_neurons, n_hidden_neurons]``;
            b_hidden ``[n_layers - 1, n_instances, n_hidden_neurons]``.
        W_out: ``[n_instances, n_outputs, n_hidden_neurons]``; b_out ``[n_instances, n_outputs]``.

    Forward: ``x [batch, n_instances, n_inputs] -> [batch, n_instances, n_outputs]``.
    """

    def __init__(
        self,
        n_instances: int,
        n_inputs: int,
        n_hidden_neurons: int,
        n_outputs: int | None = None,
        n_layers: int = 1,
        activation: str = "relu",
        output_activation: str = "none",
        seed: int | None = None,
    ) -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError("n_layers must be >= 1")
        for a in (activation, output_activation):
            if a not in ACTIVATIONS:
                raise ValueError(f"unknown activation {a!r}; expected one of {ACTIVATIONS}")
        n_outputs = n_inputs if n_outputs is None else n_outputs
        self.n_instances, self.n_inputs, self.n_outputs = n_instances, n_inputs, n_outputs
        self.n_hidden_neurons, self.n_layers = n_hidden_neurons, n_layers
        self.activation, self.output_activation = activation, output_activation
        gen = _generator(seed)
        self.W_in = nn.Parameter(_xavier(n_instances, n_hidden_neurons, n_inputs, gen))
        self.b_in = nn.Parameter(torch.zeros(n_instances, n_hidden_neurons))
        hidden = [_xavier(n_instances, n_hidden_neurons, n_hidden_neurons, gen) for _ in range(n_layers - 1)]
        self.W_hidden = nn.Parameter(
            torch.stack(hidden) if hidden else torch.zeros(0, n_instances, n_hidden_neurons, n_hidden_neurons))
        self.b_hidden = nn.Parameter(torch.zeros(n_layers - 1, n_instances, n_hidden_neurons))
        self.W_out = nn.Parameter(_xavier(n_instances, n_outputs, n_hidden_neurons, gen))
        self.b_out = nn.Parameter(torch.zeros(n_instances, n_outputs))

    def hidden_activations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Post-activation hidden layers: list of ``n_layers`` tensors ``[batch, instances, neurons]``."""
        h = apply_activation(torch.einsum("bif,inf->bin", x, self.W_in) + self.b_in, self.activation)
        acts = [h]
        for layer in range(self.n_layers - 1):
            h = apply_activation(
                torch.einsum("bim,inm->bin", h, self.W_hidden[layer]) + self.b_hidden[layer], self.activation)
            acts.append(h)
        return acts

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.hidden_activations(x)[-1]
        out = torch.einsum("bin,ion->bio", h, self.W_out) + self.b_out
        return apply_activation(out, self.output_activation)

    def extra_repr(self) -> str:
        return (f"n_instances={self.n_instances}, n_inputs={self.n_inputs}, "
                f"n_hidden_neurons={self.n_hidden_neurons}, n_outputs={self.n_outputs}, "
                f"n_layers={self.n_layers}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}")


def widened(net: ComputationModel, factor: int, noise: float, seed: int) -> ComputationModel:
    """A copy of a one-hidden-layer ``net`` with each hidden neuron copied ``factor`` times
    (``harness.models.widening.widen_neurons``: input-weight noise ``noise`` x their std, drawn
    with ``seed``; output weights / ``factor``), on the CPU, where toy models train."""
    if net.n_layers != 1:
        raise ValueError("widened() takes a model with one hidden layer")
    wide = ComputationModel(net.n_instances, net.n_inputs, net.n_hidden_neurons * factor, net.n_outputs,
                            activation=net.activation, output_activation=net.output_activation, seed=seed)
    w_in, b_in, w_out = widen_neurons(net.W_in.detach().cpu(), net.b_in.detach().cpu(), net.W_out.detach().cpu(),
                                      factor, noise, _generator(seed))
    with torch.no_grad():
        for param, value in ((wide.W_in, w_in), (wide.b_in, b_in), (wide.W_out, w_out), (wide.b_out, net.b_out)):
            param.copy_(value)
    return wide
