import copy

import torch

from harness.interp.weights import circuit_changes, head_circuits, relative_change
from tests.toy_bridges import toy_bridge


def test_relative_change_is_the_frobenius_ratio():
    before = torch.ones(3, 2, 2)
    assert torch.allclose(relative_change(before, 3 * before), torch.full((3,), 2.0))
    assert torch.equal(relative_change(before, before), torch.zeros(3))


def test_circuits_and_their_change():
    model = toy_bridge("ln-gelu")
    circuits = head_circuits(model)
    cfg = model.cfg
    assert circuits["QK"].shape == circuits["OV"].shape == (cfg.n_layers, cfg.n_heads, cfg.d_model, cfg.d_model)
    assert all(torch.equal(c, torch.zeros(cfg.n_layers, cfg.n_heads)) for c in circuit_changes(model, model).values())
    moved = copy.deepcopy(model)
    with torch.no_grad():
        for param in moved.parameters():
            param.mul_(1.5)
    changes = circuit_changes(model, moved)
    # QK and OV are products of two weights each: x 1.5 twice
    assert torch.allclose(changes["QK"], torch.full_like(changes["QK"], 1.25), atol=1e-6)
    assert torch.allclose(changes["OV"], torch.full_like(changes["OV"], 1.25), atol=1e-6)
