"""Ablation of attention heads as forward-hook lists, composable by concatenation:

    hooks = zero_ablate_heads([(0, 1)]) + mean_ablate_heads(model, reference, [(1, 2)])
    logits = run_with_hooks(model, tokens, hooks)

Heads are ablated at ``hook_z`` ([batch, pos, head, d_head]), the head's output before W_O.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable

import torch

Head = tuple[int, int]
Hook = tuple[str, Callable]
Z_HOOK = "blocks.{layer}.attn.hook_z"


def heads_by_layer(heads: Iterable[Head]) -> dict[int, list[int]]:
    layers: dict[int, list[int]] = defaultdict(list)
    for layer, head in heads:
        layers[int(layer)].append(int(head))
    return dict(layers)


def replace_heads_hook(head_idx: list[int], replacement: torch.Tensor | None) -> Callable:
    """Hook on hook_z setting heads ``head_idx`` to ``replacement`` ([pos, head, d_head] or
    broadcastable), or to zero when ``replacement`` is None."""

    def hook(z: torch.Tensor, hook=None) -> torch.Tensor:
        z = z.clone()
        if replacement is None:
            z[:, :, head_idx] = 0.0
        else:
            z[:, :, head_idx] = replacement[..., head_idx, :].to(z.dtype).expand_as(z[:, :, head_idx])
        return z

    return hook


def zero_ablate_heads(heads: Iterable[Head]) -> list[Hook]:
    return [(Z_HOOK.format(layer=layer), replace_heads_hook(idx, None)) for layer, idx in heads_by_layer(heads).items()]


def head_z_means(model, reference_tokens: torch.Tensor, layers: Iterable[int]) -> dict[int, torch.Tensor]:
    """Per-position mean of hook_z over a reference batch: {layer: [pos, n_heads, d_head]}."""
    names = {Z_HOOK.format(layer=layer) for layer in layers}
    with torch.inference_mode():
        _, cache = model.run_with_cache(reference_tokens, names_filter=lambda n: n in names)
    return {layer: cache[Z_HOOK.format(layer=layer)].mean(0) for layer in layers}


def mean_ablate_heads(model, reference_tokens: torch.Tensor, heads: Iterable[Head]) -> list[Hook]:
    """Replace each head's output by its per-position mean over ``reference_tokens``
    ([batch, seq], same seq as the ablated run)."""
    by_layer = heads_by_layer(heads)
    means = head_z_means(model, reference_tokens, by_layer)
    return [(Z_HOOK.format(layer=layer), replace_heads_hook(idx, means[layer])) for layer, idx in by_layer.items()]


def run_with_hooks(model, tokens: torch.Tensor, hooks: list[Hook]) -> torch.Tensor:
    """Logits [batch, seq, d_vocab] of a run with ``hooks`` (no gradient)."""
    with torch.inference_mode():
        return model.run_with_hooks(tokens, fwd_hooks=hooks)
