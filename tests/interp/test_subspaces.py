import math

import torch

from harness.interp.subspaces import (cyclic_order_agreement, participation_rank, plane_angles, principal_axes,
                                      random_overlap, rank_for_share, span_basis, subspace_overlap)


def circle(n: int, d: int = 10, seed: int = 0) -> torch.Tensor:
    """n points round a circle in a random plane of R^d, in order, plus a constant offset."""
    plane = torch.linalg.qr(torch.randn(d, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)).Q
    angles = torch.arange(n, dtype=torch.float64) * 2 * math.pi / n
    return torch.stack([angles.cos(), angles.sin()], 1) @ plane.T + 3.0


def test_circle_has_all_variance_in_two_components_and_cyclic_order():
    points = circle(7)
    shares, _ = principal_axes(points)
    assert abs(float(shares[:2].sum()) - 1) < 1e-9  # shares are sorted, largest first
    assert cyclic_order_agreement(plane_angles(points)) == 1.0
    assert cyclic_order_agreement(plane_angles(points.flip(0))) == 1.0  # either direction


def test_swapping_two_days_breaks_the_order():
    points = circle(7)[[0, 1, 3, 2, 4, 5, 6]]
    assert cyclic_order_agreement(plane_angles(points)) < 1.0


def test_participation_rank_and_rank_for_share():
    assert abs(participation_rank(torch.ones(5)) - 5) < 1e-9
    assert abs(participation_rank(torch.tensor([1.0, 0, 0])) - 1) < 1e-9
    assert rank_for_share(torch.tensor([4.0, 1.0, 0.1]), 0.9) == 1
    assert rank_for_share(torch.tensor([1.0, 1.0, 1.0]), 0.9) == 3


def test_overlap_of_nested_orthogonal_and_random_spans():
    eye = torch.eye(6, dtype=torch.float64)
    assert subspace_overlap(eye[:, :2], eye[:, :3]) == 1.0
    assert subspace_overlap(eye[:, :2], eye[:, 2:4]) == 0.0
    gen = torch.Generator().manual_seed(0)
    overlaps = [subspace_overlap(torch.linalg.qr(torch.randn(60, 5, generator=gen)).Q, torch.linalg.qr(torch.randn(60, 5, generator=gen)).Q)
                for _ in range(200)]
    assert abs(sum(overlaps) / len(overlaps) - random_overlap(60, 5, 5)) < 0.02


def test_span_basis_holds_the_share_and_projects_its_rows():
    vectors = torch.zeros(4, 5, dtype=torch.float64)
    vectors[:, 0], vectors[:2, 1] = 10.0, 0.1
    basis = span_basis(vectors, 0.9)
    assert basis.shape == (5, 1)
    assert ((vectors @ basis).pow(2).sum(-1) / vectors.pow(2).sum(-1) > 0.99).all()  # each row inside the span
