import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.toy_bridges import ARCHS, random_tokens, toy_bridge

from harness.interp.ablation import (ablated, cache_activations, group_mean_activations, head_sites, mean_activations,
                              mean_ablate_heads, mean_ablation, mlp_sites, neuron_sites, resample_ablation, resid_sites, run_with_hooks, zero_ablate_heads,
                              zero_ablation)

ATOL = 1e-5
archs = st.sampled_from(sorted(ARCHS))
heads = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 3)), max_size=4, unique=True)


def sites_for(arch: str, head_list, layer: int, positions) -> list:
    """Head sites plus, where the model has MLPs, an MLP, two neurons and residual positions."""
    sites = head_sites(head_list) + resid_sites(layer, positions)
    if not toy_bridge(arch).cfg.attn_only:
        sites += mlp_sites([layer]) + neuron_sites([(layer, 3), (layer, 7)])
    return sites


@settings(max_examples=15, deadline=None)
@given(archs, st.integers(0, 1000))
def test_ablating_nothing_is_the_identity(arch, seed):
    model, tokens = toy_bridge(arch), random_tokens(2, 9, seed)
    clean = run_with_hooks(model, tokens, [])
    for hooks in (zero_ablation([]), mean_ablation(model, tokens, []), resample_ablation(model, tokens, [])):
        torch.testing.assert_close(run_with_hooks(model, tokens, hooks), clean, atol=ATOL, rtol=0)


@settings(max_examples=15, deadline=None)
@given(archs, heads, st.integers(0, 1), st.lists(st.integers(0, 8), min_size=1, max_size=3, unique=True), st.integers(0, 1000))
def test_mean_over_a_one_example_batch_is_that_example(arch, head_list, layer, positions, seed):
    model, tokens = toy_bridge(arch), random_tokens(1, 9, seed)
    hooks = mean_ablation(model, tokens, sites_for(arch, head_list, layer, positions))
    torch.testing.assert_close(run_with_hooks(model, tokens, hooks), run_with_hooks(model, tokens, []), atol=ATOL, rtol=0)


@settings(max_examples=10, deadline=None)
@given(archs, heads, st.integers(0, 1000))
def test_resampling_from_the_same_batch_is_the_identity(arch, head_list, seed):
    model, tokens = toy_bridge(arch), random_tokens(3, 9, seed)
    hooks = resample_ablation(model, tokens, sites_for(arch, head_list, 1, [0, 4]))
    torch.testing.assert_close(run_with_hooks(model, tokens, hooks), run_with_hooks(model, tokens, []), atol=ATOL, rtol=0)


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_zero_and_mean_ablation_write_the_intended_values(arch):
    model, tokens, reference = toy_bridge(arch), random_tokens(3, 9, 0), random_tokens(5, 9, 1)
    z1 = "blocks.1.attn.hook_z"
    hooks = zero_ablate_heads([(1, 2)]) + mean_ablate_heads(model, reference, [(1, 0)])
    with ablated(model, hooks):
        z = cache_activations(model, tokens, [z1])[z1]
    clean_z = cache_activations(model, tokens, [z1])[z1]
    reference_mean = cache_activations(model, reference, [z1])[z1].mean(0)
    assert (z[:, :, 2] == 0).all()
    torch.testing.assert_close(z[:, :, 0], reference_mean[:, 0].expand(3, -1, -1))
    torch.testing.assert_close(z[:, :, [1, 3]], clean_z[:, :, [1, 3]])


@pytest.mark.parametrize("arch", ["ln-gelu", "rms-gqa"])
def test_neuron_and_position_ablation(arch):
    model, tokens, source = toy_bridge(arch), random_tokens(2, 9, 2), random_tokens(2, 9, 3)
    post, resid = "blocks.0.mlp.hook_post", "blocks.1.hook_resid_pre"
    hooks = zero_ablation(neuron_sites([(0, 5)])) + resample_ablation(model, source, resid_sites(1, [3]))
    with ablated(model, hooks):
        acts = cache_activations(model, tokens, [post, resid])
    source_resid = cache_activations(model, source, [resid])[resid]
    assert (acts[post][..., 5] == 0).all() and (acts[post][..., 4] != 0).all()
    torch.testing.assert_close(acts[resid][:, 3], source_resid[:, 3])


def test_context_manager_matches_run_with_hooks_and_cleans_up():
    model, tokens = toy_bridge("ln-gelu"), random_tokens(2, 9, 4)
    hooks = zero_ablation(mlp_sites([0])) + zero_ablate_heads([(1, 1)])
    with ablated(model, hooks), torch.inference_mode():
        inside = model(tokens)
    torch.testing.assert_close(inside, run_with_hooks(model, tokens, hooks))
    with torch.inference_mode():
        torch.testing.assert_close(model(tokens), run_with_hooks(model, tokens, []))
    assert not torch.allclose(inside, run_with_hooks(model, tokens, []))


def test_hook_lists_compose_by_concatenation():
    """Ablating two heads in one list equals nesting the two ablations."""
    model, tokens = toy_bridge("attn-only"), random_tokens(2, 9, 5)
    together = run_with_hooks(model, tokens, zero_ablate_heads([(0, 1), (2, 3)]))
    with ablated(model, zero_ablate_heads([(0, 1)])):
        nested = run_with_hooks(model, tokens, zero_ablate_heads([(2, 3)]))
    torch.testing.assert_close(together, nested)


def test_group_means_are_the_means_over_each_groups_rows():
    model, tokens = toy_bridge("ln-gelu"), random_tokens(6, 5, 7)
    groups, name = torch.tensor([5, 2, 5, 5, 2, 9]), "blocks.1.attn.hook_z"
    act = cache_activations(model, tokens, [name])[name]
    means = group_mean_activations(model, tokens, [name], groups)[name]
    assert means.shape == act.shape
    for row, group in enumerate(groups):
        assert torch.allclose(means[row], act[groups == group].mean(0), atol=ATOL)
    one_group = group_mean_activations(model, tokens, [name], torch.zeros(6, dtype=torch.long))[name]
    assert torch.allclose(one_group, mean_activations(model, tokens, [name])[name].expand_as(act), atol=ATOL)
