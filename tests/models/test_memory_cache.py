"""harness.models.memory_cache: the weight hash and placement recorded as each model's provenance."""

from __future__ import annotations

import torch

from harness.models.memory_cache import placement, weight_hash


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
