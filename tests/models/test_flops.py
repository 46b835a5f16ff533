import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from harness.models.flops import forward_flops
from tests.toy_bridges import ARCHS, random_tokens, toy_bridge


@pytest.mark.parametrize("arch", ARCHS)
def test_estimated_forward_flops_are_within_ten_percent_of_torchs_count(arch):
    model, tokens = toy_bridge(arch), random_tokens(4, 16, seed=0)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(tokens)
    assert forward_flops(model, tokens) == pytest.approx(counter.get_total_flops(), rel=0.1)


def test_other_models_count_each_weight_once_per_row():
    model = torch.nn.Sequential(torch.nn.Linear(8, 16, bias=False), torch.nn.ReLU(), torch.nn.Linear(16, 4, bias=False))
    inputs = torch.randn(5, 8)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model(inputs)
    assert forward_flops(model, inputs) == counter.get_total_flops() == 2 * (8 * 16 + 16 * 4) * 5
