"""Composition scores between attention heads (Elhage et al. 2021, "A Mathematical Framework
for Transformer Circuits"): ||M_later · W_OV^earlier||_F / (||M_later||_F ||W_OV^earlier||_F)
with M = W_QK^T (Q-), W_QK (K-) or W_OV (V-composition)."""

from __future__ import annotations

import torch

Head = tuple[int, int]


def composition_scores(model, kind: str) -> torch.Tensor:
    """[n_layers, n_heads, n_layers, n_heads]: entry (l1, h1, l2, h2) is the ``kind``
    ("Q", "K" or "V") composition of head (l1, h1) into the later head (l2, h2); zero
    where l1 >= l2. Uses TransformerLens's ``all_composition_scores``."""
    if kind not in ("Q", "K", "V"):
        raise ValueError(f"composition kind must be 'Q', 'K' or 'V', got {kind!r}")
    with torch.inference_mode():
        return model.all_composition_scores(kind).scores.detach().cpu().clone()


def pair_rank(scores: torch.Tensor, earlier: Head, later: Head, layers: tuple[int, int]) -> int:
    """Rank (1 = largest) of the pair's score among all pairs from layer ``layers[0]`` into
    ``layers[1]``. scores: [n_layers, n_heads, n_layers, n_heads]."""
    block = scores[layers[0], :, layers[1], :]
    value = scores[earlier[0], earlier[1], later[0], later[1]]
    return int((block > value).sum()) + 1
