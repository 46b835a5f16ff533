"""Low-dimensional structure of sets of vectors and of linear maps: variance in the top
principal components, effective rank, overlap of two spans, and the cyclic order of points
in a plane (Engels et al. 2024, "Not all language model features are linear")."""

from __future__ import annotations

import torch


def principal_axes(points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """points [n, d] -> (variance shares [min(n, d)] summing to 1, axes [min(n, d), d]), largest
    first, of the mean-centred points."""
    centred = points.double() - points.double().mean(0)
    _, sing, axes = torch.linalg.svd(centred, full_matrices=False)
    return sing.pow(2) / sing.pow(2).sum(), axes


def participation_rank(singular_values: torch.Tensor) -> float:
    """(sum s^2)^2 / sum s^4 of singular values [n]: n when all are equal, 1 for a rank-one map."""
    energy = singular_values.double().pow(2)
    return float(energy.sum().pow(2) / energy.pow(2).sum())


def rank_for_share(singular_values: torch.Tensor, share: float) -> int:
    """Fewest singular values (largest first) holding ``share`` of the squared norm."""
    energy = singular_values.double().pow(2).sort(descending=True).values
    return int((energy.cumsum(0) / energy.sum() < share).sum()) + 1


def span_basis(vectors: torch.Tensor, share: float) -> torch.Tensor:
    """Orthonormal basis [d, r] of the smallest principal subspace of the rows of ``vectors``
    [n, d] (not centred) that holds ``share`` of their squared norm."""
    _, sing, axes = torch.linalg.svd(vectors.double(), full_matrices=False)
    return axes[: rank_for_share(sing, share)].T


def subspace_overlap(basis_a: torch.Tensor, basis_b: torch.Tensor) -> float:
    """Mean squared cosine of the principal angles between span(basis_a) [d, r] (orthonormal)
    and span(basis_b) [d, s]: ||A^T B||_F^2 / min(r, s), 1 when one span contains the other.
    Random spans in d dimensions give max(r, s) / d in expectation (``random_overlap``)."""
    return float((basis_a.T.double() @ basis_b.double()).pow(2).sum() / min(basis_a.shape[1], basis_b.shape[1]))


def random_overlap(d: int, r: int, s: int) -> float:
    """Expected ``subspace_overlap`` of uniformly random r- and s-dimensional spans in R^d."""
    return max(r, s) / d


def plane_angles(points: torch.Tensor) -> torch.Tensor:
    """[n] angle (radians) of each of ``points`` [n, d] in the plane of its top two principal
    components, about their mean."""
    _, axes = principal_axes(points)
    coords = (points.double() - points.double().mean(0)) @ axes[:2].T
    return torch.atan2(coords[:, 1], coords[:, 0])


def cyclic_order_agreement(angles: torch.Tensor) -> float:
    """Share of the n steps i -> i+1 (mod n) of points given in their intended cyclic order whose
    angle step is the neighbouring one in the angular order, in the dominant direction of
    travel: 1 when the points go round the circle once in order. angles: [n]."""
    n = angles.shape[0]
    rank = torch.empty(n, dtype=torch.long)
    rank[angles.argsort()] = torch.arange(n)
    steps = (rank.roll(-1) - rank) % n
    return max(float((steps == 1).float().mean()), float((steps == n - 1).float().mean()))

