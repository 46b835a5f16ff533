"""A layer's MLP as an extended embedding (open problem 2.30; Nanda's view of GPT-2 small's
MLP0): replace its output at every position by a per-token lookup table, the output it gives
the token with no context, and see how much of the model's behaviour survives."""

from __future__ import annotations

import torch

from harness.interp.ablation import cache_activations, patch_hooks
from harness.interp.hooks import MLP_OUT_HOOK, Hook


def mlp_token_table(model, token_ids: torch.Tensor, bos: int, layer: int = 0) -> torch.Tensor:
    """[len(token_ids), d_model]: MLP ``layer``'s output at token t of the two-token sequence
    ``[bos, t]``, for each t of ``token_ids`` [n] (the token without context)."""
    tokens = torch.stack([torch.full_like(token_ids, bos), token_ids], 1)
    name = MLP_OUT_HOOK.format(layer=layer)
    return cache_activations(model, tokens.to(model.W_U.device), [name], stop_at_layer=layer + 1)[name][:, 1]


def token_table_hooks(model, tokens: torch.Tensor, bos: int, layer: int = 0) -> list[Hook]:
    """Hooks replacing MLP ``layer``'s output at every position of ``tokens`` [batch, pos] by
    ``mlp_token_table`` of the token there."""
    ids, inverse = tokens.unique(return_inverse=True)
    table = mlp_token_table(model, ids, bos, layer)
    replacement = table[inverse.to(table.device)]  # [batch, pos, d_model]
    name = MLP_OUT_HOOK.format(layer=layer)
    return patch_hooks([(name, (...,))], {name: replacement})
