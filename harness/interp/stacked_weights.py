"""A model's stacked weights (``W_O`` [n_layers, n_heads, d_head, d_model], ``W_out``
[n_layers, d_mlp, d_model], ...), built once per version of its parameters.

TransformerLens's bridge stacks its per-layer weights anew on every access of ``model.W_O``
(about 0.2 s for SmolLM2's ``W_O`` on 2 cores, 0.5 s for ``W_out``), so a measurement reading
them per call pays that each time. ``stacked`` keeps them with the model until a parameter is
edited, cast or moved (the activation memo's ``parameters_key``).
"""

from __future__ import annotations

import weakref

import torch

from harness.interp.activation_cache import parameters_key

_STACKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> (parameters key, {name: tensor})


def stacked(model, name: str) -> torch.Tensor:
    """``model.<name>`` (e.g. ``"W_O"``), detached, from the stack built for the model's current
    parameters. Raises ``AttributeError`` where the model has no such weight (e.g. ``b_O`` of a
    bias-free model). Shared: do not edit it in place."""
    key = parameters_key(model)
    cached_key, tensors = _STACKS.get(model, (None, {}))
    if cached_key != key:
        tensors = {}
        _STACKS[model] = (key, tensors)
    if name not in tensors:
        tensors[name] = getattr(model, name).detach()
    return tensors[name]
