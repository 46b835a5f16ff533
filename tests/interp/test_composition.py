import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.toy_bridges import ARCHS, toy_bridge

from harness.interp.composition import (KINDS, chain_singular_values, composed_singular_values, composition_baseline, composition_scores, factored_scores,
                                        gaussian_composed_singular_values, head_factors, pair_rank)


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("kind", KINDS)
def test_matches_transformer_lens_all_composition_scores(arch, kind):
    model = toy_bridge(arch)
    with torch.inference_mode():
        theirs = model.all_composition_scores(kind).scores.float()
    torch.testing.assert_close(composition_scores(model, kind), theirs, atol=1e-5, rtol=1e-4)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 12), st.integers(1, 6), st.integers(1, 6), st.integers(0, 10_000))
def test_factored_scores_match_dense_products_and_lie_in_unit_interval(d_model, r1, r2, seed):
    gen = torch.Generator().manual_seed(seed)
    a1, b1 = torch.randn(2, d_model, r1, generator=gen, dtype=torch.float64), torch.randn(2, r1, d_model, generator=gen, dtype=torch.float64)
    a2, b2 = torch.randn(3, d_model, r2, generator=gen, dtype=torch.float64), torch.randn(3, r2, d_model, generator=gen, dtype=torch.float64)
    scores = factored_scores(a1, b1, a2, b2)
    left, right = a1 @ b1, a2 @ b2
    dense = (left[:, None] @ right[None]).norm(dim=(-2, -1)) / (left.norm(dim=(-2, -1))[:, None] * right.norm(dim=(-2, -1))[None])
    torch.testing.assert_close(scores, dense)
    assert (scores >= 0).all() and (scores <= 1 + 1e-12).all()


@pytest.mark.parametrize("kind", KINDS)
def test_scores_in_unit_interval_and_zero_unless_later(kind):
    model = toy_bridge("attn-only")
    scores = composition_scores(model, kind)
    assert scores.shape == (3, 4, 3, 4)
    assert (scores >= 0).all() and (scores <= 1).all()
    earlier = torch.arange(3)[:, None, None, None] < torch.arange(3)[None, None, :, None]
    assert (scores[~earlier.expand_as(scores)] == 0).all() and (scores[earlier.expand_as(scores)] > 0).all()


def test_composing_with_itself_scores_one():
    """A rank-1 W_OV = u v^T composes perfectly (score 1) with a reader whose W_Q W_K^T is v w^T."""
    u, v, w = torch.randn(3, 8, 1, dtype=torch.float64)
    assert factored_scores(u[None], v.T[None], v[None], w.T[None]).item() == pytest.approx(1.0)


def test_random_baseline():
    """Gaussian baseline: deterministic per seed, inside (0, 1), and (Elhage et al. 2021)
    far below 1 for d_head << d_model; our random-init toy models sit near it."""
    model = toy_bridge("attn-only")
    baseline = composition_baseline(model, "K", n_samples=200, seed=0)
    assert baseline.shape == (200,)
    torch.testing.assert_close(baseline, composition_baseline(model, "K", n_samples=200, seed=0))
    assert 0 < baseline.min() and baseline.max() < 0.5
    scores = composition_scores(model, "K")
    layer_pairs = scores[0, :, 1, :]
    assert abs(layer_pairs.mean() - baseline.mean()) < 4 * baseline.std()


def test_pair_rank():
    scores = torch.zeros(2, 2, 2, 2)
    scores[0, :, 1, :] = torch.tensor([[0.1, 0.5], [0.3, 0.2]])
    assert pair_rank(scores, (0, 0), (1, 1), layers=(0, 1)) == 1
    assert pair_rank(scores, (0, 0), (1, 0), layers=(0, 1)) == 4


def test_composed_singular_values_of_the_k_path_match_the_dense_product():
    model = toy_bridge("rms-gqa")
    w = head_factors(model)
    dense = w["W_V"][0, 1] @ w["W_O"][0, 1] @ w["W_K"][1, 2] @ w["W_Q"][1, 2].T
    sing = composed_singular_values(model, (0, 1), (1, 2), "K")
    dense_sing = torch.linalg.svdvals(dense)
    torch.testing.assert_close(sing, dense_sing[: model.cfg.d_head])
    assert (dense_sing[model.cfg.d_head:] < 1e-9 * dense_sing[0]).all()  # rank <= d_head


def test_chain_singular_values_match_the_dense_product():
    gen = torch.Generator().manual_seed(0)
    a1, b1, a2, b2 = (torch.randn(*shape, generator=gen, dtype=torch.float64) for shape in [(12, 3), (3, 12), (12, 3), (3, 12)])
    torch.testing.assert_close(chain_singular_values(a1, b1, a2, b2), torch.linalg.svdvals(a1 @ b1 @ a2 @ b2)[:3])
    assert gaussian_composed_singular_values(d_model=12, d_head=3, n_samples=5).shape == (5, 3)
