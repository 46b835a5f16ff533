"""Generators of the 3.13 / 3.14 / 3.15 / 3.17 tasks and the in-context regression baselines:
regression prompts, 4-bit products, majority lists."""

import torch

from catalog.in_context_regression import (
    N_PAIRS, VALUES, Y_QUERIES, Y_RANGE, averaging, least_squares, nearest_neighbours, predictions, regression_batch,
    regression_prompts,
)
from catalog.majority import ASK, ASK_POS, MAJORITY_LEN, majority_batch
from catalog.multiplication import PRODUCT, multiply_four_bits


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_regression_prompts_are_one_function_per_prompt():
    xs, ys = regression_prompts("linear", gen(), 64)
    nonzero = xs[..., 0] != 0
    slopes = [set((ys[row][nonzero[row]] // xs[row, :, 0][nonzero[row]]).tolist()) for row in range(64)]
    assert all(len(s) <= 1 for s in slopes) and torch.equal(ys[nonzero] % xs[..., 0][nonzero], torch.zeros_like(ys[nonzero]))
    xs, ys = regression_prompts("stump", gen(), 64)
    for row in range(64):  # one value on each side of 0
        assert len(set(ys[row][xs[row, :, 0] > 0].tolist())) <= 1 and len(set(ys[row][xs[row, :, 0] <= 0].tolist())) <= 1
    tokens, mask = regression_batch("linear", gen(), 8)
    assert torch.equal(mask.nonzero()[:, 1].unique(), Y_QUERIES) and int(tokens.max()) <= 2 * Y_RANGE
    # the position Y_QUERIES[i] predicts y_i
    xs, ys = regression_prompts("linear", gen(), 8)
    assert torch.equal(tokens[:, Y_QUERIES + 1], ys + Y_RANGE)


def test_regression_baselines():
    xs = torch.tensor([[[1], [2], [0], [-1], [2], [1], [-2], [2]]])
    ys = 2 * xs[..., 0]
    assert torch.allclose(least_squares(xs, ys), torch.tensor([[0.0, 4.0, 0.0, -2.0, 4.0, 2.0, -4.0, 4.0]], dtype=torch.double))
    # x_3 = -1: nearest earlier x are 0 (distance 1), then 1 and 2 (distances 2, 3)
    assert nearest_neighbours(xs, ys)[0, 3].item() == (0 + 2 + 4) / 3
    # averaging at i = 1: w = y_0 x_0 / E[x^2] = 2 / 2, times x_1 = 2; at i = 2: x_2 = 0
    assert averaging(xs, ys)[0, :3].tolist() == [0.0, 2.0, 0.0]
    assert averaging(xs, ys).shape == (1, N_PAIRS)
    logits = torch.full((1, N_PAIRS * 2, len(VALUES)), -1e9)
    logits[:, :, Y_RANGE + 3] = 0  # certain of y = 3
    assert torch.equal(predictions(logits), torch.full((1, N_PAIRS), 3.0))


def test_product_bits_are_the_product():
    tokens, mask = multiply_four_bits(gen(), 64)
    powers = 2 ** torch.arange(3, -1, -1)
    a, b = tokens[:, :4] @ powers, tokens[:, 5:9] @ powers
    assert torch.equal(tokens[:, 10:] @ 2 ** torch.arange(7, -1, -1), a * b)
    assert torch.equal(mask.nonzero()[:, 1].unique(), torch.arange(PRODUCT.start, PRODUCT.stop))


def test_majority_lists_have_a_majority():
    tokens, mask = majority_batch(gen(), 256)
    counts = (tokens[:, :MAJORITY_LEN, None] == tokens[:, None, -1:]).sum(1)[:, 0]
    assert int(counts.min()) > MAJORITY_LEN // 2 and int(counts.max()) == MAJORITY_LEN
    assert bool((tokens[:, ASK_POS] == ASK).all()) and mask.nonzero()[:, 1].unique().tolist() == [ASK_POS]
