"""Emergent large-magnitude features (Dettmers et al. 2022, "LLM.int8()", section 4.1): hidden
dimensions with values of magnitude >= 6 in the inputs of the linear layers, systematic across
layers and tokens.

Their criterion: a dimension is an outlier feature when a value of magnitude >= 6 occurs in it
in at least 25% of the layers and at at least 6% of the sequence positions (across all the
hidden states). The hidden states here are the inputs of each block's attention and MLP (the
outputs of its two norms, ``blocks.L.ln1/ln2.hook_out``): the residual stream, normalised and
scaled by the norm's weight, as the linear layers see it; a dimension is a residual dimension.
"""

from __future__ import annotations

import dataclasses

import torch

from harness.interp.ablation import cache_activations
from harness.interp.hooks import NORM_OUT_HOOK

MAGNITUDE = 6.0
MIN_LAYERS = 0.25
MIN_POSITIONS = 0.06


def linear_layer_inputs(model, tokens: torch.Tensor) -> torch.Tensor:
    """[n_layers, 2, batch, pos, d_model]: each block's attention and MLP inputs (the outputs
    of ``ln1`` and ``ln2``) on ``tokens`` [batch, pos], from one forward pass."""
    names = [NORM_OUT_HOOK.format(layer=layer, norm=norm) for layer in range(model.cfg.n_layers) for norm in ("ln1", "ln2")]
    cache = cache_activations(model, tokens.to(model.W_U.device), names)
    return torch.stack([cache[name].cpu() for name in names]).unflatten(0, (model.cfg.n_layers, 2))


@dataclasses.dataclass(frozen=True)
class OutlierFeatures:
    """dims: the outlier dimensions (ascending); layer_share, position_share: [d_model] the share
    of layers / of (example, position) pairs where the dimension reaches the magnitude;
    layers: {dim: the layers where it does}."""

    dims: list[int]
    layer_share: torch.Tensor
    position_share: torch.Tensor
    layers: dict[int, list[int]]


def outlier_features(hidden: torch.Tensor, magnitude: float = MAGNITUDE, min_layers: float = MIN_LAYERS,
                     min_positions: float = MIN_POSITIONS) -> OutlierFeatures:
    """Dettmers et al.'s criterion on hidden states [n_layers, ..., d_model] (the middle axes:
    hidden states of a layer, examples, positions; e.g. ``linear_layer_inputs``)."""
    large = hidden.abs() >= magnitude  # [n_layers, ..., d_model]
    per_layer = large.flatten(1, -2).any(1)  # [n_layers, d_model]
    per_position = large.flatten(0, -4).any(0).flatten(0, -2)  # [examples * positions, d_model]
    layer_share, position_share = per_layer.float().mean(0), per_position.float().mean(0)
    dims = ((layer_share >= min_layers) & (position_share >= min_positions)).nonzero().flatten().tolist()
    return OutlierFeatures(dims, layer_share, position_share,
                           {d: per_layer[:, d].nonzero().flatten().tolist() for d in dims})
