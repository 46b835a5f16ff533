import numpy as np
import torch

from harness.interp.grokking import label_separation, pca_explained, principal_components
from harness.interp.statistics import (
    bootstrap_mean_difference, n_segmentations, permutation_p_value, random_segments, top_share,
)


def test_bootstrap_mean_difference_sums_groups_and_covers_the_estimate():
    a = torch.tensor([[3.0, 4, 5, 4], [1, 2, 1, 2]])
    b = torch.tensor([[1.0, 2, 1, 2], [1, 1, 1, 1]])
    estimate, low, high = bootstrap_mean_difference(a, b)
    assert estimate == 3.0 and 0 < low <= estimate <= high
    assert bootstrap_mean_difference(a, b) == (estimate, low, high)       # seeded


def test_bootstrap_interval_contains_zero_for_equal_distributions():
    gen = torch.Generator().manual_seed(0)
    _, low, high = bootstrap_mean_difference(torch.randn(200, generator=gen), torch.randn(200, generator=gen))
    assert low < 0 < high


def test_constant_samples_give_a_point_interval():
    assert bootstrap_mean_difference(torch.full((5,), 2.0), torch.ones(7)) == (1.0, 1.0, 1.0)


def test_random_segments_are_contiguous_and_large_enough():
    rng = np.random.default_rng(0)
    for _ in range(200):
        labels = random_segments(rng, 12, 3, 2)
        assert len(labels) == 12 and (np.diff(labels) >= 0).all()
        assert np.bincount(labels, minlength=3).min() >= 2


def test_permutation_p_value_of_a_perfect_split_is_small_and_of_noise_is_not():
    points = torch.cat([torch.zeros(10, 2), torch.ones(10, 2)])
    labels = np.repeat([0, 1], 10)
    score = lambda lab: label_separation(points, torch.as_tensor(lab))
    assert permutation_p_value(score, labels, lambda rng: rng.permutation(labels), 500) < 0.01
    noise = torch.randn(20, 2, generator=torch.Generator().manual_seed(1))
    noise_score = lambda lab: label_separation(noise, torch.as_tensor(lab))
    assert permutation_p_value(noise_score, labels, lambda rng: rng.permutation(labels), 500) > 0.05


def test_label_separation_bounds():
    points = torch.tensor([[0.0, 0], [0, 0], [4, 0], [4, 0]])
    assert label_separation(points, torch.tensor([0, 0, 1, 1])) == 1.0
    assert label_separation(points, torch.tensor([0, 1, 0, 1])) == 0.0


def test_principal_components_of_a_line():
    line = torch.arange(10.0)[:, None] * torch.tensor([[1.0, 2.0, 2.0]])
    plane, share = principal_components(line, 2)
    assert plane.shape == (10, 2) and abs(share - 1) < 1e-9 and pca_explained(line, 1) == share
    assert torch.allclose(plane[:, 0].abs(), (torch.arange(10.0, dtype=torch.float64) - 4.5).abs() * 3, atol=1e-9)


def test_n_segmentations_counts_the_distinct_cuts():
    rng = np.random.default_rng(0)
    drawn = {tuple(random_segments(rng, 9, 3, 2)) for _ in range(2000)}
    assert len(drawn) == n_segmentations(9, 3, 2) == 10


def test_top_share_of_an_even_and_a_concentrated_total():
    assert top_share(torch.ones(20), 0.1) == 0.1
    assert top_share(torch.tensor([97.0, 1, 1, 1]), 0.25) == 0.97
    assert top_share(torch.tensor([1.0, 2, 3]), 0.01) == 0.5  # at least one entry
