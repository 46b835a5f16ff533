"""Composition scores between attention heads (Elhage et al. 2021, "A Mathematical Framework
for Transformer Circuits"): for an earlier head with W_OV = W_V W_O and a later head,

    score = ||W_OV^earlier  M^later||_F / (||W_OV^earlier||_F ||M^later||_F)

with M = W_Q W_K^T (Q-composition), W_K W_Q^T (K-composition) or W_V W_O (V-composition), in
TransformerLens's row-vector convention (x @ W). Every matrix is a product of a [d_model,
d_head] and a [d_head, d_model] factor, so the d_model x d_model matrices are never formed
(``factored_scores``); unlike TL's ``all_composition_scores``, memory stays small on a
30-layer model (SmolLM2). Grouped-query key / value weights are repeated over the
query heads that share them. Scores lie in [0, 1]; random matrices of the same shapes give the
baseline (``composition_baseline``).
"""

from __future__ import annotations

import torch

from harness.interp.hooks import Head
from harness.interp.stacked_weights import stacked

KINDS = ("Q", "K", "V")


def expand_kv_heads(weight: torch.Tensor, n_heads: int) -> torch.Tensor:
    """[n_layers, n_kv_heads, ...] -> [n_layers, n_heads, ...] (each kv head repeated for its group)."""
    return weight.repeat_interleave(n_heads // weight.shape[1], dim=1)


def head_factors(model) -> dict[str, torch.Tensor]:
    """{"W_Q", "W_K", "W_V": [n_layers, n_heads, d_model, d_head], "W_O": [n_layers, n_heads, d_head, d_model]}
    as float64 on the CPU."""
    n_heads = model.cfg.n_heads
    with torch.inference_mode():
        weights = {name: stacked(model, name) for name in ("W_Q", "W_K", "W_V", "W_O")}
        weights = {k: expand_kv_heads(w.double().cpu(), n_heads) for k, w in weights.items()}
    return weights


def reader_factors(weights: dict[str, torch.Tensor], kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(A [n_layers, n_heads, d_model, d_head], B [n_layers, n_heads, d_head, d_model]) with
    M = A B the later head's matrix for ``kind``."""
    if kind == "Q":
        return weights["W_Q"], weights["W_K"].transpose(-1, -2)
    if kind == "K":
        return weights["W_K"], weights["W_Q"].transpose(-1, -2)
    if kind == "V":
        return weights["W_V"], weights["W_O"]
    raise ValueError(f"composition kind must be one of {KINDS}, got {kind!r}")


def factored_scores(a1: torch.Tensor, b1: torch.Tensor, a2: torch.Tensor, b2: torch.Tensor) -> torch.Tensor:
    """||a1 b1 a2 b2||_F / (||a1 b1||_F ||a2 b2||_F) for every (left i, right j) pair.

    a1: [n1, d, r1], b1: [n1, r1, d], a2: [n2, d, r2], b2: [n2, r2, d] -> [n1, n2].
    With a1 = Q1 R1 and b2^T = Q2 R2 (QR, Q with orthonormal columns), ||a1 X||_F = ||R1 X||_F
    and ||X b2||_F = ||X R2^T||_F, so all pairs reduce to one [n1 r1, d] x [d, n2 r2] product."""
    left = torch.linalg.qr(a1).R @ b1  # [n1, r1', d]
    right = a2 @ torch.linalg.qr(b2.transpose(-1, -2)).R.transpose(-1, -2)  # [n2, d, r2']
    n1, k1, d = left.shape
    n2, _, k2 = right.shape
    product = (left.reshape(n1 * k1, d) @ right.permute(1, 0, 2).reshape(d, n2 * k2)).reshape(n1, k1, n2, k2)
    left_norm, right_norm = left.pow(2).sum((1, 2)).sqrt(), right.pow(2).sum((1, 2)).sqrt()
    return product.pow(2).sum((1, 3)).sqrt() / (left_norm[:, None] * right_norm[None, :])


def composition_scores(model, kind: str) -> torch.Tensor:
    """[n_layers, n_heads, n_layers, n_heads] float32: entry (l1, h1, l2, h2) is the ``kind``
    ("Q", "K" or "V") composition of head (l1, h1) into the later head (l2, h2); zero where
    l1 >= l2."""
    weights = head_factors(model)
    reader_a, reader_b = reader_factors(weights, kind)
    n_layers, n_heads = reader_a.shape[:2]
    scores = torch.zeros(n_layers, n_heads, n_layers, n_heads, dtype=torch.float64)
    for later in range(1, n_layers):
        block = factored_scores(weights["W_V"][:later].flatten(0, 1), weights["W_O"][:later].flatten(0, 1),
                                reader_a[later], reader_b[later])
        scores[:later, :, later] = block.reshape(later, n_heads, n_heads)
    return scores.float()


def composition_baseline(model, kind: str, n_samples: int = 1000, seed: int = 0) -> torch.Tensor:
    """[n_samples] composition scores of independent Gaussian matrices with the model's head
    shapes (d_model, d_head): the score expected with no structure (Elhage et al. 2021 compare
    against this). The score is scale-free, so the Gaussian's variance does not matter."""
    d_model, d_head = model.cfg.d_model, model.cfg.d_head
    gen = torch.Generator().manual_seed(seed)

    def gaussian(*shape: int) -> torch.Tensor:
        return torch.randn(n_samples, *shape, generator=gen, dtype=torch.float64)

    weights = {"W_Q": gaussian(1, d_model, d_head), "W_K": gaussian(1, d_model, d_head),
               "W_V": gaussian(1, d_model, d_head), "W_O": gaussian(1, d_head, d_model)}
    reader_a, reader_b = reader_factors(weights, kind)
    left_a, left_b = gaussian(d_model, d_head), gaussian(d_head, d_model)
    pairs = [factored_scores(left_a[i : i + 1], left_b[i : i + 1], reader_a[i], reader_b[i]) for i in range(n_samples)]
    return torch.cat(pairs).flatten().float()


def pair_rank(scores: torch.Tensor, earlier: Head, later: Head, layers: tuple[int, int]) -> int:
    """Rank (1 = largest) of the pair's score among all pairs from layer ``layers[0]`` into
    ``layers[1]``. scores: [n_layers, n_heads, n_layers, n_heads]."""
    block = scores[layers[0], :, layers[1], :]
    value = scores[earlier[0], earlier[1], later[0], later[1]]
    return int((block > value).sum()) + 1



def chain_singular_values(a1: torch.Tensor, b1: torch.Tensor, a2: torch.Tensor, b2: torch.Tensor) -> torch.Tensor:
    """Singular values [..., r] (largest first) of a1 b1 a2 b2, with a1 [..., d, r], b1 [..., r, d],
    a2 [..., d, r2], b2 [..., r2, d]: with a1 = Q1 R1 and b2^T = Q2 R2 they are those of the
    small core R1 b1 a2 R2^T, so no d x d matrix is formed. The other d - r are zero."""
    core = torch.linalg.qr(a1).R @ b1 @ a2 @ torch.linalg.qr(b2.transpose(-1, -2)).R.transpose(-1, -2)
    return torch.linalg.svdvals(core)


def composed_singular_values(model, earlier: Head, later: Head, kind: str) -> torch.Tensor:
    """[d_head] singular values (float64, largest first) of the earlier head's W_OV times the
    later head's ``kind`` matrix (W_V W_O  W_K W_Q^T for "K"): the map through which what the
    earlier head writes reaches the later head's keys (queries, values). Its rank is <= d_head."""
    weights = head_factors(model)
    reader_a, reader_b = reader_factors(weights, kind)
    (l1, h1), (l2, h2) = earlier, later
    return chain_singular_values(weights["W_V"][l1, h1], weights["W_O"][l1, h1], reader_a[l2, h2], reader_b[l2, h2])


def gaussian_composed_singular_values(d_model: int, d_head: int, n_samples: int = 100, seed: int = 0) -> torch.Tensor:
    """[n_samples, d_head] singular values of products of four independent Gaussian matrices
    with the head shapes ([d_model, d_head] [d_head, d_model] [d_model, d_head] [d_head,
    d_model]): ``composed_singular_values`` with no learned structure."""
    gen = torch.Generator().manual_seed(seed)
    factors = [torch.randn(n_samples, rows, cols, generator=gen, dtype=torch.float64)
               for rows, cols in [(d_model, d_head), (d_head, d_model)] * 2]
    return chain_singular_values(*factors)
