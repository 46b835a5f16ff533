import math

import pytest
import torch

from harness.interp.fourier import column_frequency_norms
from harness.interp.reduction import METHODS, component_frequency_shares, frequency_silhouette, principal_trajectory, reduce

P = 13


def wave(k: int, phase: float = 0.0) -> torch.Tensor:
    return torch.cos(2 * math.pi * k * torch.arange(P, dtype=torch.float64) / P + phase)


def test_pure_frequency_columns_give_share_one():
    components = torch.stack([wave(1), wave(3, 0.4)], dim=1)
    assert torch.allclose(component_frequency_shares(components), torch.ones(2, dtype=torch.float64))


def test_mixed_column_splits_its_share():
    assert math.isclose(float(component_frequency_shares((wave(1) + wave(2))[:, None])[0]), 0.5, rel_tol=1e-9)


def test_grid_components_use_the_best_frequency_fit():
    a, b = torch.meshgrid(torch.arange(P), torch.arange(P), indexing="ij")
    grid = torch.cos(2 * math.pi * 2 * (a + b).double() / P).flatten()[:, None]  # [p**2, 1]
    assert float(component_frequency_shares(grid)[0]) > 0.999


@pytest.mark.parametrize("method", METHODS)
def test_reduce_shapes(method):
    x = torch.randn(P, 6, generator=torch.Generator().manual_seed(0))
    assert reduce(x, method, 3).shape == (P, 3)


def test_pca_of_disjoint_frequency_blocks_is_single_frequency():
    # columns 0-3 carry frequency 1 (two amplitudes), columns 4-5 frequency 4: no mixing
    x = torch.stack([3 * wave(1), 3 * wave(1, 1.0), 3 * wave(1, 2.0), 3 * wave(1, 0.5), wave(4), wave(4, 1.0)], dim=1)
    assert bool((component_frequency_shares(reduce(x, "pca", 2)) > 0.99).all())


def test_units_with_one_frequency_each_cluster_better_than_shuffled():
    units = torch.stack([wave(k, 0.3 * i) + 0.05 * wave(5) for k in (1, 2, 3) for i in range(5)], dim=1)
    grouped, shuffled = frequency_silhouette(column_frequency_norms(units))
    assert grouped > 0.9 > shuffled


def test_silhouette_is_nan_with_one_group():
    units = torch.stack([wave(1, 0.3 * i) for i in range(4)], dim=1)
    assert all(math.isnan(v) for v in frequency_silhouette(column_frequency_norms(units)))


def test_the_principal_trajectory_of_points_on_a_line_is_that_line():
    t = torch.linspace(0, 1, 20, dtype=torch.float64)[:, None]
    points = t * torch.tensor([[3.0, 4.0, 0.0]], dtype=torch.float64) + 1e-6 * torch.randn(20, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    coordinates, shares = principal_trajectory(points, 2)
    assert coordinates.shape == (20, 2) and shares[0] > 0.999
    torch.testing.assert_close(coordinates[:, 0].abs(), (5 * (t[:, 0] - t.mean())).abs(), atol=1e-4, rtol=0)
