"""harness.models.memory_cache: the weight hash and placement recorded as each model's provenance."""

from __future__ import annotations

import dataclasses

import torch

from catalog.modular import modular_mlp
from harness.models import memory_cache
from harness.models.memory_cache import placement, variant_checkpoints, weight_hash
from harness.models.mlp import neuron_slices
from harness.models.registry import register_model
from harness.models.training import TrainConfig


def test_the_weight_hash_depends_on_every_weight_and_not_on_the_key_order():
    torch.manual_seed(0)
    a = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    b = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    b.load_state_dict(dict(reversed(list(a.state_dict().items()))))
    assert weight_hash(a) == weight_hash(b) and len(weight_hash(a)) == 64
    with torch.no_grad():
        b[1].bias += 1e-7
    assert weight_hash(a) != weight_hash(b)
    assert weight_hash(a.to(torch.bfloat16)) != weight_hash(b.to(torch.float16))  # dtypes without numpy types hash too
    assert weight_hash({"value": 1.0}) is None


def test_placement_names_device_and_dtype():
    assert placement(torch.nn.Linear(1, 1).double()) == {"device": "cpu", "dtype": "float64"}
    assert placement({"value": 1.0}) == {"device": None, "dtype": None}


def test_a_variant_trains_under_its_own_key_and_keeps_the_registered_spec(tmp_path, monkeypatch):
    spec = dataclasses.replace(modular_mlp("add"), name="tiny-mod-add-mlp",
                               train=TrainConfig(steps=4, lr=1e-3, warmup_steps=1, checkpoint_every=2, log_every=0))
    register_model(spec)
    monkeypatch.setattr(memory_cache, "_cache_root", tmp_path)
    own = spec.checkpoints(0, tmp_path)
    other = variant_checkpoints("tiny-mod-add-mlp", 0, reinit=neuron_slices(3), reinit_seed=5)
    assert list(own) == list(other) == [2, 4] and len(list(tmp_path.glob("*/meta.json"))) == 2
    assert not torch.equal(own[2].fc_in.weight[3], other[2].fc_in.weight[3])
