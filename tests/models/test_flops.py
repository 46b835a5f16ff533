import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode
from transformer_lens.model_bridge import TransformerBridge

from harness.interp.metrics import UNEMBED_IN_HOOK, last_position
from harness.models import passes
from harness.models.flops import forward_flops
from tests.toy_bridges import ARCHS, BASE, random_tokens, toy_bridge


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


PASSES = {
    "full": lambda model, tokens: model(tokens),
    "early-stopped": lambda model, tokens: model(tokens, stop_at_layer=1),
    "last-position": lambda model, tokens: model.run_with_hooks(tokens, fwd_hooks=[(UNEMBED_IN_HOOK, last_position)]),
}


@pytest.mark.parametrize("kind", PASSES)
@pytest.mark.parametrize("arch", ARCHS)
def test_counted_flops_follow_the_blocks_run_and_the_positions_unembedded(arch, kind, monkeypatch):
    monkeypatch.setattr(passes, "_counts", {})
    # a large vocabulary, so that unembedding all positions instead of the last is well beyond the tolerance
    model = TransformerBridge.boot_native(dict(BASE, **ARCHS[arch], d_vocab=512, seed=0)).eval()  # hooked here
    passes.watch(model, "toy")
    tokens = random_tokens(4, 16, seed=0)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        PASSES[kind](model, tokens)
    assert passes.snapshot()["toy"]["needed_flops"] == pytest.approx(counter.get_total_flops(), rel=0.1)
