"""Per-row answer log-probability on a stub model with known logits."""

import math

import torch

from harness.interp.accuracy import answer_log_probs


def test_answer_log_probability_sums_the_masked_positions_only():
    logits = torch.log(torch.tensor([[[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]]]))  # [1, 3 positions, 2 tokens]
    tokens = torch.zeros(1, 3, dtype=torch.long)
    targets, mask = torch.tensor([[1, 0]]), torch.tensor([[False, True]])
    got = answer_log_probs(lambda _: logits, tokens, targets, mask)
    assert got.shape == (1,) and math.isclose(float(got[0]), math.log(0.9), rel_tol=1e-6)
    assert math.isclose(float(answer_log_probs(lambda _: logits, tokens, targets, mask | True)[0]), math.log(0.45), rel_tol=1e-6)
