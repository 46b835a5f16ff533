import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.interp.fourier import (
    column_frequency_norms,
    excluded_logits,
    fourier_basis,
    frequencies_above,
    frequency_norms,
    grid_frequency_fraction,
    key_frequencies,
    loss_and_accuracy,
    periodic_directions,
    restricted_logits,
    separated_key_frequencies,
    single_frequency_fraction,
    top_frequency_fraction,
)
from harness.interp.grokking import first_step, pca_explained, progress_measures

odd_p = st.sampled_from([3, 5, 7, 11, 13])


@given(odd_p)
def test_basis_is_orthonormal(p):
    basis = fourier_basis(p)
    assert torch.allclose(basis @ basis.T, torch.eye(p, dtype=torch.float64), atol=1e-10)


@settings(max_examples=20)
@given(odd_p, st.integers(1, 4), st.integers(0, 2**31))
def test_frequency_norms_sum_to_the_non_constant_norm(p, d, seed):
    weights = torch.randn(p, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    centred = weights - weights.mean(dim=0)
    assert math.isclose(float(frequency_norms(weights).sum()), float(centred.pow(2).sum()), rel_tol=1e-9)


def test_a_pure_frequency_has_all_its_norm_there():
    p, k = 11, 3
    x = torch.arange(p, dtype=torch.float64)
    weights = torch.stack([torch.cos(2 * math.pi * k * x / p), 2 * torch.sin(2 * math.pi * k * x / p)], dim=1)
    norms = frequency_norms(weights)
    assert key_frequencies(norms, 1) == [k]
    assert math.isclose(top_frequency_fraction(norms, 1), 1.0, rel_tol=1e-9)


@given(odd_p)
def test_periodic_directions_are_orthonormal(p):
    s = torch.arange(p * p) % p
    q = periodic_directions(s, p, [1, (p - 1) // 2])
    assert q.shape == (p * p, 4)
    assert torch.allclose(q.T @ q, torch.eye(4, dtype=torch.float64), atol=1e-10)


@settings(max_examples=20)
@given(odd_p, st.integers(0, 2**31))
def test_restricted_plus_excluded_is_logits_plus_their_mean(p, seed):
    logits = torch.randn(p * p, p, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    q = periodic_directions(((a + b) % p).flatten(), p, [1])
    total = restricted_logits(logits, q) + excluded_logits(logits, q)
    assert torch.allclose(total, logits + logits.mean(dim=0), atol=1e-9)


def test_restricted_logits_keep_an_addition_algorithm_and_excluded_remove_it():
    p, k = 7, 2
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    s = ((a + b) % p).flatten()
    c = torch.arange(p)
    logits = 5 * torch.cos(2 * math.pi * k * (s[:, None] - c[None, :]).double() / p)
    q = periodic_directions(s, p, [k])
    assert loss_and_accuracy(restricted_logits(logits, q), s)[1] == 1.0
    assert excluded_logits(logits, q).abs().max() < 1e-9


def test_grid_fraction_of_a_product_neuron():
    p, k = 11, 4
    x = torch.arange(p, dtype=torch.float64)
    wave = torch.cos(2 * math.pi * k * x / p)
    acts = (wave[:, None] * wave[None, :] + wave[:, None])[..., None]  # [p, p, 1]
    assert math.isclose(float(grid_frequency_fraction(acts, [k])[0]), 1.0, rel_tol=1e-9)
    assert float(grid_frequency_fraction(acts, [k + 1])[0]) < 1e-9


def test_first_step_and_pca():
    assert first_step([10, 20, 30], [3.0, 1.0, 0.5], "<", 2.0) == 20
    assert first_step([10, 20], [0.1, 0.2], ">", 0.5) is None
    line = torch.arange(10.0)[:, None] * torch.tensor([[1.0, 2.0, 3.0]])
    assert math.isclose(pca_explained(line, 1), 1.0, rel_tol=1e-9)


def test_column_norms_separate_columns():
    p = 7
    x = torch.arange(p, dtype=torch.float64)
    weights = torch.stack([torch.cos(2 * math.pi * x / p), torch.sin(2 * math.pi * 3 * x / p)], dim=1)
    norms = column_frequency_norms(weights)
    assert norms.argmax(dim=0).tolist() == [0, 2]


def test_separated_key_frequencies_cut_at_the_last_clear_drop_and_never_inside_near_ties():
    grokked = torch.tensor([0.01, 0.30, 0.01, 0.25, 0.02, 0.20, 0.01, 0.20])  # shares: 1.0 in total
    assert separated_key_frequencies(grokked, 0.02) == [2, 4, 6, 8]  # 0.20 -> 0.02, not 0.30 -> 0.25
    near_ties = torch.tensor([0.050, 0.049, 0.043, 0.042, 0.041, 0.040] + [0.039 - 0.001 * i for i in range(20)])
    assert separated_key_frequencies(near_ties / near_ties.sum(), 0.02) == []
    assert separated_key_frequencies(torch.tensor([3.0, 1.0]), 0.5) == [1]  # shares 0.75 / 0.25


def test_frequencies_above_counts_the_frequencies_over_the_share():
    norms = torch.tensor([0.5, 0.05, 0.3, 0.15])
    assert frequencies_above(norms, 0.1) == [1, 3, 4]
    assert frequencies_above(torch.full((26,), 1.0), 0.1) == []  # a flat spectrum has no key frequency


def test_single_frequency_fit_finds_each_neurons_own_frequency():
    p = 11
    x = 2 * math.pi * torch.arange(p, dtype=torch.float64) / p
    a, b = x[:, None], x[None, :]
    one = torch.cos(3 * (a + b))  # cos(3a)cos(3b) - sin(3a)sin(3b): frequency 3 only
    mixed = torch.cos(2 * a) + torch.cos(4 * b)  # half its variance in each of two frequencies
    share, frequency = single_frequency_fraction(torch.stack([one, mixed], dim=-1))
    assert frequency[0] == 3 and math.isclose(float(share[0]), 1.0, rel_tol=1e-9)
    assert math.isclose(float(share[1]), 0.5, rel_tol=1e-9)


def test_progress_measures_use_the_papers_splits():
    p = 7
    labels = torch.arange(p * p) % p
    train = torch.arange(p * p) < 30
    logits = 5.0 * torch.nn.functional.one_hot(labels, p).float()  # perfect, and periodic in the answer
    measures = progress_measures(logits, labels, train, p, list(range(1, 4)))
    assert {"restricted loss", "excluded train loss", "restricted test accuracy", "excluded test loss"} <= measures.keys()
    assert measures["restricted accuracy"] == 1.0  # all frequencies kept: nothing lost, on all pairs
    assert measures["excluded train accuracy"] < 0.5  # all removed: nothing left on the training pairs
