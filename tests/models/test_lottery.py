"""Lottery tickets: masks of the right sparsity, pruned weights stay zero through retraining from
the dense run's initial weights, and the cached ticket loads as a plain MLP."""

import dataclasses

import pytest
import torch

from catalog.modular import MOD_PROBLEMS, modular_mlp
from harness.models.lottery import LotteryTicketSpec
from harness.models.training import TrainConfig

TINY = TrainConfig(steps=4, lr=1e-3, warmup_steps=1, checkpoint_every=2, log_every=2)
DENSE = dataclasses.replace(modular_mlp("add"), d_hidden=8, train=TINY)


def ticket(mask: str) -> LotteryTicketSpec:
    return LotteryTicketSpec(name=f"tiny-ticket-{mask}", description="", dense=DENSE, keep=0.25, mask=mask, train=TINY)


@pytest.fixture
def cache(tmp_path):
    return tmp_path


@pytest.mark.parametrize("mask", ["magnitude", "random"])
def test_masks_keep_their_share_of_each_layer(cache, mask):
    for layer_mask in ticket(mask).masks(0, cache).values():
        assert float(layer_mask.mean()) == pytest.approx(0.25, abs=0.01)


def test_magnitude_mask_keeps_the_largest_trained_weights(cache):
    trained = DENSE.load(0, cache).fc_in.weight.detach().abs()
    kept = ticket("magnitude").masks(0, cache)["fc_in"].bool()
    assert float(trained[kept].min()) >= float(trained[~kept].max())


def test_ticket_retrains_from_the_dense_init_with_pruned_weights_at_zero(cache):
    spec = ticket("random")
    model = spec.load(0, cache)
    mask = spec.masks(0, cache)["fc_in"].bool()
    assert torch.all(model.fc_in.weight[~mask] == 0)
    assert not torch.equal(model.fc_in.weight[mask], DENSE.init(0).fc_in.weight[mask])  # it trained
    assert sorted(spec.checkpoints(0, cache)) == [2, 4]
    assert model(MOD_PROBLEMS["add"].one_hot).shape == (53**2, 53)


def test_unknown_mask_is_refused():
    with pytest.raises(ValueError, match="unknown mask"):
        ticket("largest")
