"""Floating-point operations of a forward pass, estimated from the model's configuration.

For a transformer (a TransformerLens config: ``n_layers``, ``d_model``, ``n_heads``, ``d_head``,
``d_mlp``, ``d_vocab``) over tokens [batch, seq], counting a multiply-add as 2 operations:

    2 x non-embedding matmul parameters x tokens   (W_Q, W_K, W_V, W_O; W_in, W_out, W_gate)
  + 2 x 2 x n_layers x n_heads x d_head x batch x seq^2   (q k^T and pattern v, the full square:
                                                          the kernels compute it before the mask)
  + 2 x d_model x d_vocab x tokens                        (the unembedding)

Norms, activations, softmax, biases and embeddings are left out: they are linear in d_model per
token, a few percent of the total. A pass that stops early or unembeds fewer positions costs
its blocks run and its positions unembedded (``layer_flops``, ``unembed_flops``). Other models
(MLPs, toy models of superposition) get 2 x parameters x rows (rows = the input's first
dimension), each weight used once per row.
"""

from __future__ import annotations

import torch


def layer_flops(cfg, batch: int, seq: int) -> int:
    """Forward FLOPs of one block of a transformer of config ``cfg`` over tokens [batch, seq]."""
    kv_heads = getattr(cfg, "n_key_value_heads", None) or cfg.n_heads
    attention = cfg.d_model * cfg.d_head * (2 * cfg.n_heads + 2 * kv_heads)  # W_Q, W_O; W_K, W_V
    mlp = 0 if cfg.attn_only else cfg.d_model * cfg.d_mlp * (3 if getattr(cfg, "gated_mlp", False) else 2)
    return 2 * (attention + mlp) * batch * seq + 2 * 2 * cfg.n_heads * cfg.d_head * batch * seq * seq


def unembed_flops(cfg, positions: int) -> int:
    """Forward FLOPs of the unembedding of ``positions`` residual vectors (all positions of all prompts)."""
    return 2 * cfg.d_model * cfg.d_vocab * positions


def transformer_forward_flops(cfg, batch: int, seq: int) -> int:
    """Forward FLOPs of a transformer of config ``cfg`` over tokens [batch, seq] (module docstring)."""
    return cfg.n_layers * layer_flops(cfg, batch, seq) + unembed_flops(cfg, batch * seq)


def forward_flops(model: torch.nn.Module, inputs: torch.Tensor) -> int:
    """Estimated forward FLOPs of ``model`` on ``inputs`` (tokens [batch, seq] for a transformer)."""
    cfg = getattr(model, "cfg", None)
    if cfg is not None and hasattr(cfg, "d_head") and inputs.dim() == 2:
        return transformer_forward_flops(cfg, *inputs.shape)
    rows = inputs.shape[0] if inputs.dim() else 1
    return 2 * sum(p.numel() for p in model.parameters()) * rows
