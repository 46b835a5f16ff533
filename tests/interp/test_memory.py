"""harness.interp.memory: read / write cosines of neurons, component outputs summing to the
residual stream, erasure cosines and presence on small random bridges and constructed tensors."""

import pytest
import torch
from tests.toy_bridges import random_tokens, toy_bridge

from harness.interp.ablation import cache_activations
from harness.interp.dla import norm_parameters
from harness.interp.hooks import RESID_HOOK
from harness.interp.memory import component_outputs, erasure_cosines, neuron_read_write_cosines, presence, random_cosines


@pytest.mark.parametrize("arch", ["ln-gelu", "rms-gqa"])
def test_neuron_cosines_read_through_the_norm_weight(arch):
    model = toy_bridge(arch)
    cosines = neuron_read_write_cosines(model)
    layer, neuron = 1, 5
    read = model.W_in[layer, :, neuron] * norm_parameters(model.blocks[layer].ln2)[0]
    assert cosines.shape == (model.cfg.n_layers, model.cfg.d_mlp)
    torch.testing.assert_close(cosines[layer, neuron], torch.cosine_similarity(read, model.W_out[layer, neuron], dim=0).cpu())


def test_random_cosines_are_small_in_many_dimensions():
    cosines = random_cosines(576, 10_000, seed=0)
    assert cosines.abs().max() < 0.25 and abs(float(cosines.std()) - 576 ** -0.5) < 0.005


@pytest.mark.parametrize("arch", ["ln-gelu", "attn-only"])
def test_component_outputs_sum_to_the_residual_stream_up_to_the_biases(arch):
    model, tokens = toy_bridge(arch), random_tokens(2, 6, seed=1)
    outputs, names, layers = component_outputs(model, tokens)
    n_layers, n_heads = model.cfg.n_layers, model.cfg.n_heads
    assert len(names) == len(layers) == outputs.shape[1] == 1 + n_layers * (n_heads + (0 if model.cfg.attn_only else 1))
    assert names[:2] == ["embed", "L0H0"] and layers == sorted(layers)
    final = cache_activations(model, tokens, [RESID_HOOK.format(layer=n_layers - 1, where="post")])
    biases = model.b_O.sum(0) if hasattr(model, "b_O") else 0.0
    torch.testing.assert_close(outputs.sum(1) + biases, next(iter(final.values())).flatten(0, 1), atol=1e-4, rtol=1e-4)


def test_erasure_cosines_find_a_component_writing_the_negative():
    gen = torch.Generator().manual_seed(0)
    outputs = torch.randn(50, 3, 64, generator=gen)
    outputs[:, 2] = -outputs[:, 0] + 0.1 * torch.randn(50, 64, generator=gen)  # component 2 erases component 0
    same = erasure_cosines(outputs, [-1.0, 0.0, 1.0])
    shifted = erasure_cosines(outputs, [-1.0, 0.0, 1.0], shift=1)
    assert same[2, 0] < -0.95 and abs(float(shifted[2, 0])) < 0.2
    assert torch.isnan(same[0]).all() and torch.isnan(same[1, 1:]).all()  # only strictly earlier components


def test_erasure_cosines_keep_heads_of_one_layer_apart():
    same = erasure_cosines(torch.randn(4, 3, 8), [0.0, 0.0, 0.5])
    assert torch.isnan(same[1, 0]) and not torch.isnan(same[2, 0])


def test_presence_is_one_plus_the_later_writers_projection():
    model, tokens = toy_bridge("attn-only"), random_tokens(2, 6, seed=2)
    kept = presence(model, tokens, (1, 2))
    assert kept.shape == (2,) and torch.isfinite(kept).all()
    outputs, names, _ = component_outputs(model, tokens)
    out = outputs.view(2, 6, -1, outputs.shape[-1])[:, 1:, names.index("L1H2")]
    later = outputs.view(2, 6, -1, outputs.shape[-1])[:, 1:, names.index("L2H0"):].sum(2) + model.b_O[2].detach()
    torch.testing.assert_close(kept[1] - kept[0], (later * out).sum() / out.pow(2).sum(), atol=1e-4, rtol=1e-4)
