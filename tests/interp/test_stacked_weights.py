import copy

import torch

from harness.interp.activation_cache import parameters_key
from harness.interp.stacked_weights import stacked
from harness.models.memory_cache import load_model


def test_stacked_weights_are_built_once_per_parameter_version():
    model = copy.deepcopy(load_model("toy-attn-2l", 0))
    first = stacked(model, "W_O")
    assert torch.equal(first, model.W_O) and not first.requires_grad
    assert stacked(model, "W_O") is first
    with torch.no_grad():
        for parameter in model.parameters():  # an in-place edit bumps each parameter's version
            parameter.mul_(2)
    assert torch.equal(stacked(model, "W_O"), 2 * first)


def test_a_parameter_assigned_anew_changes_the_key():
    model = copy.deepcopy(load_model("toy-attn-2l", 0))
    before = parameters_key(model)
    assert parameters_key(model) == before
    attn = model.blocks[0].attn.original_component
    attn.o.original_component.weight = torch.nn.Parameter(attn.o.original_component.weight.detach().clone())
    assert parameters_key(model) != before
