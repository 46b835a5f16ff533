import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.interp.metrics import (answer_logit_diff, fraction_recovered, kl_divergence, logit_diff, mean_loss,
                             per_token_loss, top_k_accuracy)

finite = st.floats(-1e3, 1e3, allow_nan=False)


def random_logits(seed: int, shape=(3, 6, 11)) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def test_per_token_loss_is_shifted_cross_entropy():
    logits, tokens = random_logits(0), torch.randint(0, 11, (3, 6), generator=torch.Generator().manual_seed(1))
    expected = F.cross_entropy(logits[:, :-1].reshape(-1, 11), tokens[:, 1:].reshape(-1), reduction="none")
    torch.testing.assert_close(per_token_loss(logits, tokens), expected.reshape(3, 5))
    torch.testing.assert_close(mean_loss(logits, tokens, slice(2, 4)), expected.reshape(3, 5)[:, 2:4].mean())


def test_logit_diff_and_its_metric():
    logits = random_logits(2)
    correct, wrong = torch.tensor([0, 1, 2]), torch.tensor([3, 4, 5])
    rows = torch.arange(3)
    expected = logits[rows, -1, correct] - logits[rows, -1, wrong]
    torch.testing.assert_close(logit_diff(logits[:, -1], correct, wrong), expected)
    torch.testing.assert_close(answer_logit_diff(correct, wrong)(logits), expected.mean())


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_kl_to_itself_is_zero_and_otherwise_positive(seed):
    logits, other = random_logits(seed), random_logits(seed + 1)
    assert kl_divergence(logits, logits).abs().max() < 1e-5
    assert (kl_divergence(other, logits) > 0).all()


def test_top_k_accuracy():
    logits = torch.tensor([[0.0, 2.0, 1.0], [3.0, 2.0, 1.0]])
    assert top_k_accuracy(logits, torch.tensor([1, 2])) == 0.5
    assert top_k_accuracy(logits, torch.tensor([2, 1]), k=2) == 1.0


@given(finite, finite)
def test_fraction_recovered_is_one_for_clean_and_zero_for_corrupted(clean, corrupted):
    if abs(clean - corrupted) < 1e-3:
        return
    clean_t, corrupted_t = torch.tensor(clean, dtype=torch.float64), torch.tensor(corrupted, dtype=torch.float64)
    assert fraction_recovered(clean_t, clean_t, corrupted_t) == 1.0
    assert fraction_recovered(corrupted_t, clean_t, corrupted_t) == 0.0
