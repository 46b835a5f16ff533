import copy

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.toy_bridges import ARCHS, random_tokens, toy_bridge
from transformer_lens.tools.analysis import direct_logit_attribution

from harness.interp.dla import (
    attribution_hooks,
    logit_attribution,
    logit_attribution_from_cache,
    misleading_direct_effects,
    neuron_attribution,
)

ATOL = 1e-4  # float32 sums of ~20 terms of size ~1


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(sorted(ARCHS)), st.integers(0, 1000), st.booleans(), st.integers(-8, 7))
def test_components_sum_to_the_logits(arch, seed, difference, pos):
    """Embeddings + heads + attention biases + MLPs + constant = the run's logit (difference)."""
    model, tokens = toy_bridge(arch), random_tokens(3, 8, seed)
    answers = random_tokens(2, 3, seed + 1)
    attribution = logit_attribution(model, tokens, answers[0], answers[1] if difference else None, pos=pos)
    assert attribution.heads.shape == (model.cfg.n_layers, model.cfg.n_heads, 3)
    torch.testing.assert_close(attribution.total(), attribution.logits, atol=ATOL, rtol=0)


@pytest.mark.parametrize("arch", ["ln-gelu", "rms-gqa"])
def test_attribution_from_a_larger_cache_is_the_same(arch):
    """A run caching more than ``attribution_hooks`` (here the attention patterns) serves the
    attribution unchanged."""
    model, tokens = toy_bridge(arch), random_tokens(3, 8, 5)
    answers, wrong = random_tokens(2, 3, 6)
    names = attribution_hooks(model) | {f"blocks.{layer}.attn.hook_pattern" for layer in range(model.cfg.n_layers)}
    logits, cache = model.run_with_cache(tokens, names_filter=lambda name: name in names)
    expected, got = logit_attribution(model, tokens, answers, wrong), logit_attribution_from_cache(model, logits, cache, answers, wrong)
    for field in ("embed", "heads", "attn_bias", "mlps", "constant", "logits"):
        torch.testing.assert_close(getattr(got, field), getattr(expected, field))


@pytest.mark.parametrize("arch", ["ln-gelu", "rms-gqa", "no-norm"])
@pytest.mark.parametrize("layer", [0, 1])
def test_neurons_sum_to_their_mlp(arch, layer):
    model, tokens = toy_bridge(arch), random_tokens(4, 8, 7)
    answers, wrong = random_tokens(2, 4, 8)
    neurons, bias = neuron_attribution(model, tokens, layer, answers, wrong)
    assert neurons.shape == (model.cfg.d_mlp, 4)
    expected = logit_attribution(model, tokens, answers, wrong).mlps[layer]
    torch.testing.assert_close(neurons.sum(0) + bias, expected, atol=ATOL, rtol=0)


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_matches_transformer_lens_direct_logit_attribution(arch):
    """TL's DLA needs compatibility mode (final-norm weights folded into W_U); on such a copy
    of the model both must agree head by head and layer by layer."""
    model = copy.deepcopy(toy_bridge(arch))
    model.enable_compatibility_mode(disable_warnings=True)
    tokens, (answers, wrong) = random_tokens(3, 8, 9), random_tokens(2, 3, 10)
    ours = logit_attribution(model, tokens, answers, wrong)
    heads = direct_logit_attribution(model, tokens, answers, wrong, unit="head")
    n_heads = model.cfg.n_layers * model.cfg.n_heads
    torch.testing.assert_close(heads.attribution[:n_heads].reshape(ours.heads.shape).detach(), ours.heads, atol=ATOL, rtol=0)
    components = direct_logit_attribution(model, tokens, answers, wrong, unit="component")
    by_label = dict(zip(components.labels, components.attribution.detach()))
    embed = by_label["embed"] + by_label.get("pos_embed", 0.0)
    torch.testing.assert_close(embed, ours.embed, atol=ATOL, rtol=0)
    attn = ours.heads.sum(1) + ours.attn_bias
    for layer in range(model.cfg.n_layers):
        torch.testing.assert_close(by_label[f"{layer}_attn_out"], attn[layer], atol=ATOL, rtol=0)
        if not model.cfg.attn_only:
            torch.testing.assert_close(by_label[f"{layer}_mlp_out"], ours.mlps[layer], atol=ATOL, rtol=0)


@pytest.mark.slow
@pytest.mark.xdist_group("smollm2")
def test_toolkit_on_smollm2():
    """The HF Llama bridge (RMSNorm, 9 query / 3 kv heads, gated MLP, no biases): DLA sums to
    the IOI logit difference, neurons sum to their MLP, and the GQA-aware tools run with the
    documented shapes."""
    from harness.interp.attribution import attribute_heads
    from harness.interp.composition import composition_scores
    from harness.interp.heads import copying_scores
    from harness.interp.metrics import answer_logit_diff
    from harness.models.memory_cache import cache_root
    from harness.interp.patching import path_patch
    from harness.models.pretrained.smollm2_wheel import load_smollm2

    model = load_smollm2(cache_root())
    clean = model.to_tokens(["When Mary and John went to the store, John gave a drink to",
                             "When Tom and Anna went to the park, Anna gave a ball to"])
    corrupted = model.to_tokens(["When Mary and John went to the store, Bob gave a drink to",
                                 "When Tom and Anna went to the park, Sam gave a ball to"])
    answers = model.to_tokens([" Mary", " Tom"], prepend_bos=False)[:, 0]
    wrong = model.to_tokens([" John", " Anna"], prepend_bos=False)[:, 0]
    attribution = logit_attribution(model, clean, answers, wrong)
    torch.testing.assert_close(attribution.total(), attribution.logits, atol=1e-4, rtol=0)
    assert (attribution.logits > 0).all()  # the model prefers the indirect object
    neurons, bias = neuron_attribution(model, clean, 29, answers, wrong)
    torch.testing.assert_close(neurons.sum(0) + bias, attribution.mlps[29], atol=ATOL, rtol=0)
    metric = answer_logit_diff(answers, wrong)
    assert torch.isfinite(path_patch(model, clean, corrupted, [(5, 1)], [(10, 0), (12, 4)], metric, ("k", "v")))
    assert attribute_heads(model, clean, corrupted, metric).shape == (30, 9)
    assert copying_scores(model).shape == (30, 9)
    scores = composition_scores(model, "K")
    assert scores.shape == (30, 9, 30, 9) and 0 < scores.max() <= 1


def test_misleading_direct_effects_flags_opposite_signs_and_tenfold_gaps_above_the_noise_floor():
    direct = torch.tensor([1.0, 1.0, 0.01, 0.5, 0.02, 2.0])
    total = torch.tensor([0.9, -0.3, 1.2, 0.04, -0.01, 2.5])
    # consistent, opposite sign, 120x apart, 12.5x apart, both below the floor, consistent
    assert misleading_direct_effects(direct, total, floor=0.1).tolist() == [False, True, True, True, False, False]
