"""harness.tms: the simultaneous-interference and decomposability measures on hand-set weights, and
the paired (correlated / anticorrelated) feature data."""

from __future__ import annotations

import torch

from harness.tms.data import generate_features
from harness.tms.evaluate import coactive_pair_errors, neurons_for_recovery
from harness.tms.models import ComputationModel, ReLUOutputModel


def test_antipodal_pair_cancels_when_coactive_and_orthogonal_pair_does_not():
    model = ReLUOutputModel(n_instances=2, n_features=3, n_hidden=2, seed=0)
    with torch.no_grad():
        model.W.copy_(torch.tensor([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]]).expand(2, -1, -1))  # 0, 1 antipodal; 2 apart
        model.b_final.zero_()
    single, both = coactive_pair_errors(model, 1, torch.tensor([[0, 1], [0, 2]]))
    torch.testing.assert_close(single, torch.zeros(2, 2))
    torch.testing.assert_close(both, torch.tensor([[1.0, 1.0], [0.0, 0.0]]))  # h = W_0 + W_1 = 0: both outputs 0


def test_neurons_for_recovery_counts_the_neurons_an_input_uses():
    model = ComputationModel(n_instances=1, n_inputs=4, n_hidden_neurons=4, seed=0)
    with torch.no_grad():  # neuron k reads input k alone and writes output k alone
        model.W_in.copy_(torch.eye(4)[None])
        model.W_out.copy_(torch.eye(4)[None])
        model.b_in.zero_()
        model.b_out.zero_()
    x = torch.tensor([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])[:, None]
    # 1 of 1, 2 of 2 (one alone recovers 50%), 4 of 4 (three recover 75% < 90%); nothing to recover: 0
    assert neurons_for_recovery(model, x, 0).tolist() == [1, 2, 4, 0]
    assert neurons_for_recovery(model, x, 0, share=0.7).tolist() == [1, 2, 3, 0]


def test_paired_features_are_present_together_or_apart_with_their_own_probability():
    gen = torch.Generator().manual_seed(0)
    together = generate_features(20_000, 1, 4, 0.2, "pairs_together", gen)[:, 0] > 0
    apart = generate_features(20_000, 1, 4, 0.2, "pairs_apart", gen)[:, 0] > 0
    assert (together[:, 0::2] == together[:, 1::2]).all()
    assert not (apart[:, 0::2] & apart[:, 1::2]).any()
    for present in (together, apart):
        assert torch.allclose(present.float().mean(0), torch.full((4,), 0.2), atol=0.01)
