"""Fine-tuned specs: the parent's cache key is part of the child's, and fine-tuning starts from
the parent's final weights at the same seed."""

import dataclasses

import pytest
import torch

from catalog.induction import attn_only_induction
from harness.models.toy_transformer import FineTunedSpec
from harness.models.training import TrainConfig

PARENT = dataclasses.replace(attn_only_induction(1), name="test-parent",
                             train=TrainConfig(steps=3, batch_size=4, lr=1e-2, warmup_steps=1))
FROZEN = TrainConfig(steps=2, batch_size=4, lr=0.0, warmup_steps=1)  # no update: the child keeps the parent's weights


def child(parent=PARENT, train=FROZEN) -> FineTunedSpec:
    return FineTunedSpec("test-child", "tiny", parent.arch, "shifted-copy", train, parent=parent)


def test_the_parent_key_is_part_of_the_child_key():
    other_parent = dataclasses.replace(PARENT, train=dataclasses.replace(PARENT.train, steps=4))
    assert child().payload(0)["parent"] == PARENT.payload(0)
    assert child().payload(0) != child(other_parent).payload(0)
    assert child().payload(0)["kind"] != PARENT.payload(0)["kind"]


def test_a_parent_of_another_arch_is_refused():
    with pytest.raises(ValueError, match="same arch"):
        FineTunedSpec("bad", "tiny", attn_only_induction(2).arch, "shifted-copy", FROZEN, parent=PARENT)


def test_fine_tuning_starts_from_the_parent_weights(tmp_path):
    parent = PARENT.load(0, tmp_path).state_dict()
    frozen = child().load(0, tmp_path).state_dict()
    trained = child(train=dataclasses.replace(FROZEN, lr=1e-2)).load(0, tmp_path).state_dict()
    assert all(torch.equal(parent[k], frozen[k]) for k in parent)
    assert not all(torch.equal(parent[k], trained[k]) for k in parent)
