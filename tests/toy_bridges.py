"""Small randomly initialised TransformerBridge models for library tests (no training).

Weights are perturbed after initialisation so that biases, norm weights and unembedding bias
are non-zero: decompositions that forget a bias term then fail the tests.
"""

from __future__ import annotations

import functools

import torch
from transformer_lens.model_bridge import TransformerBridge

BASE = dict(n_layers=2, d_model=32, n_heads=4, d_head=8, n_ctx=16, d_vocab=40, act_fn="gelu", d_mlp=64,
            normalization_type="LN", positional_embedding_type="standard")
ARCHS = {
    # GPT-2 style: LayerNorm, biases, learned positions
    "ln-gelu": {},
    # Llama / SmolLM2 style: RMSNorm, grouped-query attention (4 query heads, 2 kv heads),
    # gated SiLU MLP, rotary positions
    "rms-gqa": dict(normalization_type="RMS", n_key_value_heads=2, gated_mlp=True, act_fn="silu",
                    positional_embedding_type="rotary"),
    # the toy induction models' shape: attention only
    "attn-only": dict(attn_only=True, n_layers=3),
    # tracr's compiled models' shape: no norm, ReLU, bidirectional attention
    "no-norm": dict(normalization_type=None, act_fn="relu", attention_dir="bidirectional"),
}


@functools.lru_cache(maxsize=None)
def toy_bridge(arch: str = "ln-gelu", seed: int = 0) -> TransformerBridge:
    torch.set_num_threads(1)
    model = TransformerBridge.boot_native(dict(BASE, **ARCHS[arch], seed=seed))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.1 * torch.randn(param.shape, generator=gen))
    return model.eval()


def random_tokens(batch: int, seq: int, seed: int, d_vocab: int = BASE["d_vocab"]) -> torch.Tensor:
    return torch.randint(0, d_vocab, (batch, seq), generator=torch.Generator().manual_seed(seed))
