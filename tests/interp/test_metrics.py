import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.toy_bridges import ARCHS, random_tokens, toy_bridge

from harness.interp.ablation import head_sites, run_with_hooks, zero_ablation
from harness.interp.metrics import (answer_logit_diff, fraction_recovered, kl_divergence, logit_diff, mean_loss,
                                    metric_hooks, metric_with_hooks, per_token_loss, top_k_accuracy)

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


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_a_last_position_metric_unembeds_the_last_position_only(arch):
    model, tokens = toy_bridge(arch), random_tokens(4, 9, 3)
    hooks = zero_ablation(head_sites([(0, 1)]))
    metric = answer_logit_diff(tokens[:, 0], tokens[:, 1])
    assert metric_hooks(model, metric) and not metric_hooks(model, lambda logits: logits.sum())
    trimmed = model.run_with_hooks(tokens, fwd_hooks=hooks + metric_hooks(model, metric))
    assert trimmed.shape[1] == 1
    torch.testing.assert_close(metric_with_hooks(model, tokens, hooks, metric), float(metric(run_with_hooks(model, tokens, hooks))))
