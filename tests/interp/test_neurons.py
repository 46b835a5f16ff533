"""Neuron statistics: activations from one pass, AUROC against sklearn's, selected / held-out
AUROC, the token variance share, top-class purity, effective classes, polysemantic-neuron choice,
context separation, max correlation and column alignment on constructed cases; a neuron's input
split by component, gap shares, secondary tokens and the small-neuron output share."""

import pytest

import torch
from sklearn.metrics import roc_auc_score
from tests.toy_bridges import BASE, random_tokens, toy_bridge
from transformer_lens.model_bridge import TransformerBridge

from harness.interp.ablation import ablated, cache_activations
from harness.interp.hooks import NEURON_HOOK, NORM_OUT_HOOK
from harness.interp.neurons import (auroc_per_neuron, column_alignment, context_pair_activations, context_separation,
                                    direct_paths, effective_classes, gap_shares, live_neurons, max_activating_contexts,
                                    max_correlation, mlp_norm_activations, monosemantic_classes, neuron_activations,
                                    neuron_input_contributions, neuroscope_token_share, polysemantic_neurons,
                                    secondary_tokens, selected_auroc, small_activation_ablation,
                                    small_neuron_output_share, token_variance_share, top_class_purity, top_k_overlap,
                                    top_token_share)


def test_neuron_activations_are_the_post_activations_of_each_layer():
    model, tokens = toy_bridge("ln-gelu"), random_tokens(3, 10, seed=0)
    norm = NORM_OUT_HOOK.format(layer=0, norm="ln2")
    acts, extra = neuron_activations(model, tokens, [0, 1], extra_hooks=[norm])
    cache = cache_activations(model, tokens, [NEURON_HOOK.format(layer=1), norm])
    assert acts.shape == (2, 3, 10, model.cfg.d_mlp)
    torch.testing.assert_close(acts[1], cache[NEURON_HOOK.format(layer=1)])
    torch.testing.assert_close(extra[norm], cache[norm])


def test_auroc_matches_sklearn_with_ties():
    gen = torch.Generator().manual_seed(0)
    acts = torch.randint(0, 4, (200, 5), generator=gen).float()  # many ties
    labels = torch.rand(200, generator=gen) < 0.3
    expected = [roc_auc_score(labels.numpy(), acts[:, j].numpy()) for j in range(5)]
    torch.testing.assert_close(auroc_per_neuron(acts, labels), torch.tensor(expected, dtype=torch.float32))


def test_selected_auroc_picks_the_detector_and_scores_it_held_out():
    gen = torch.Generator().manual_seed(1)
    labels = torch.rand(400, generator=gen) < 0.2
    acts = torch.randn(400, 6, generator=gen)
    acts[:, 4] += 3 * labels  # neuron 4 detects the label
    neuron, chosen, held_out = selected_auroc(acts, labels, torch.arange(400) < 200)
    assert neuron == 4 and chosen > 0.95 and held_out > 0.95


def test_token_variance_share_is_one_for_a_token_lookup_and_small_for_noise():
    gen = torch.Generator().manual_seed(2)
    ids = torch.randint(0, 10, (1000,), generator=gen)
    lookup = torch.randn(10, 3, generator=gen)[ids]
    noise = torch.randn(1000, 3, generator=gen)
    torch.testing.assert_close(token_variance_share(lookup, ids), torch.ones(3))
    assert (token_variance_share(noise, ids) < 0.05).all()
    rare = torch.cat([ids, torch.tensor([99])])  # a token seen once is left out
    torch.testing.assert_close(token_variance_share(torch.cat([lookup, torch.full((1, 3), 50.0)]), rare), torch.ones(3))


def test_top_class_purity_counts_the_most_common_class_of_the_top_k():
    classes = torch.tensor([0, 0, 1, 1, 2, 2])
    acts = torch.tensor([[6.0, 1.0], [5.0, 6.0], [4.0, 2.0], [1.0, 5.0], [2.0, 4.0], [3.0, 3.0]])
    # neuron 0's top 4: rows 0, 1, 2, 5 -> classes 0, 0, 1, 2; neuron 1's: rows 1, 3, 4, 5 -> 0, 1, 2, 2
    torch.testing.assert_close(top_class_purity(acts, classes, k=4), torch.tensor([0.5, 0.5]))


def test_monosemantic_classes_names_the_class_of_each_pure_neuron():
    classes = torch.tensor([0, 0, 1, 1, 2, 2])
    acts = torch.tensor([[6.0, 1.0, 0.0], [5.0, 6.0, 0.0], [1.0, 5.0, 0.0], [2.0, 4.0, 0.0], [3.0, 3.0, 9.0],
                         [4.0, 2.0, 8.0]])
    # top 2: neuron 0 rows 0, 1 (class 0, 0); neuron 1 rows 1, 2 (0, 1); neuron 2 rows 4, 5 (2, 2)
    torch.testing.assert_close(monosemantic_classes(acts, classes, purity=0.8, k=2), torch.tensor([0, -1, 2]))
    torch.testing.assert_close(monosemantic_classes(acts, classes, purity=0.5, k=2), torch.tensor([0, 0, 2]))


def test_live_neurons_leaves_out_neurons_whose_top_k_reach_zero():
    acts = torch.tensor([[1.0, 0.0, 2.0], [2.0, 0.0, 0.0], [3.0, 0.0, 0.0]])
    assert live_neurons(acts, k=2).tolist() == [True, False, False]
    assert live_neurons(acts, k=1).tolist() == [True, False, True]


def test_column_alignment_is_the_absolute_cosine_with_each_column():
    weights = torch.tensor([[2.0, 0.0, 1.0], [0.0, -3.0, 1.0]])
    torch.testing.assert_close(column_alignment(weights, torch.tensor([1.0, 0.0])),
                               torch.tensor([1.0, 0.0, 2 ** -0.5]))



def test_effective_classes_is_one_for_one_class_and_c_for_c_even_classes():
    classes = torch.tensor([0, 0, 1, 1, 2, 2])
    acts = torch.tensor([[6.0, 1.0], [5.0, 6.0], [1.0, 5.0], [2.0, 4.0], [3.0, 3.0], [4.0, 2.0]])
    # neuron 0's top 2: rows 0, 1 -> classes 0, 0; neuron 1's top 2: rows 1, 2 -> classes 0, 1
    torch.testing.assert_close(effective_classes(acts, classes, k=2), torch.tensor([1.0, 2.0]))


def test_polysemantic_neurons_prefers_mixed_strong_neurons():
    gen = torch.Generator().manual_seed(3)
    classes = torch.arange(400) % 4
    acts = torch.randn(400, 4, generator=gen) * 0.01  # neuron 3: weak and mixed
    acts[:, 0] += 5.0 * (classes == 0)  # monosemantic
    acts[:, 1] += 5.0 * (classes <= 1)  # two classes
    acts[:, 2] += 5.0 * (classes <= 2)  # three classes
    assert polysemantic_neurons(acts, classes, n=2, k=40).tolist() == [2, 1]


def test_context_separation_reads_which_class_fired_from_the_context():
    gen = torch.Generator().manual_seed(4)
    classes = torch.arange(400) % 2
    activation = torch.randn(400, generator=gen)
    context = torch.randn(400, 8, generator=gen)
    context[:, 0] += 4.0 * classes  # the context says the class
    accuracy, majority = context_separation(activation, context, classes, share=0.25)
    assert accuracy > 0.95 and 0.5 <= majority < 0.7
    noise_accuracy, _ = context_separation(activation, torch.randn(400, 8, generator=gen), classes, share=0.25)
    assert noise_accuracy < 0.75
    assert context_separation(activation, context, torch.zeros(400, dtype=torch.long)) is None  # one class only


def test_max_correlation_finds_the_matching_neuron_up_to_sign_and_scale():
    gen = torch.Generator().manual_seed(5)
    acts = torch.randn(500, 3, generator=gen)
    others = torch.cat([-2.0 * acts[:, 1:2] + 1.0, torch.randn(500, 2, generator=gen), torch.ones(500, 1)], dim=1)
    similarity = max_correlation(acts, others)
    assert abs(float(similarity[1]) - 1.0) < 1e-5
    assert (similarity[[0, 2]] < 0.2).all()
def test_max_activating_contexts_index_the_strongest_positions():
    acts = torch.zeros(2, 5, 2)
    acts[1, 3, 0], acts[0, 0, 0], acts[0, 4, 1], acts[1, 1, 1] = 3.0, 2.0, 5.0, 4.0
    tokens = torch.arange(10).view(2, 5)
    values, contexts = max_activating_contexts(acts, tokens, k=2, width=3)
    assert values.tolist() == [[3.0, 2.0], [5.0, 4.0]]
    assert contexts.tolist() == [[[6, 7, 8], [-1, -1, 0]], [[2, 3, 4], [-1, 5, 6]]]
    torch.testing.assert_close(top_token_share(torch.tensor([[[0, 4], [1, 4], [2, 5]], [[0, 1], [0, 2], [0, 3]]])),
                               torch.tensor([2 / 3, 1 / 3]))


def test_neuroscope_token_share_on_a_model():
    model, tokens = toy_bridge("ln-gelu"), random_tokens(4, 12, seed=0)
    acts = neuron_activations(model, tokens, [0])[0][0][:, 1:]
    torch.testing.assert_close(neuroscope_token_share(model, tokens, k=5),
                               top_token_share(max_activating_contexts(acts, tokens[:, 1:], k=5)[1]))


def test_top_k_overlap_counts_the_kept_inputs():
    before = torch.tensor([[3.0, 0.0], [2.0, 1.0], [1.0, 2.0], [0.0, 3.0]])
    after = torch.tensor([[3.0, 3.0], [0.0, 2.0], [2.0, 1.0], [1.0, 0.0]])
    assert top_k_overlap(before, after, k=2).tolist() == [0.5, 0.0]


def test_direct_paths_read_the_weights_through_the_norms():
    model = toy_bridge("ln-gelu")
    with torch.no_grad():
        for norm in (model.blocks[1].ln2, model.ln_final):  # not the identity, so that leaving them out shows
            norm.original_component.weight.uniform_(0.5, 1.5, generator=torch.Generator().manual_seed(0))
    embedding_input, logit_effect = direct_paths(model, 1, 3)
    ln2, ln_final = model.blocks[1].ln2.original_component.weight, model.ln_final.original_component.weight
    torch.testing.assert_close(embedding_input, model.W_E @ (model.W_in[1][:, 3] * ln2))
    effect = (model.W_out[1][3] * ln_final) @ model.W_U
    torch.testing.assert_close(logit_effect, effect - effect.mean())


@pytest.mark.parametrize("arch", ["ln-gelu", "rms-gqa"])
@pytest.mark.parametrize("layer", [0, 1])
def test_neuron_input_contributions_sum_to_the_pre_activation(arch, layer):
    model, tokens = toy_bridge(arch), random_tokens(3, 10, seed=2)
    contributions, names = neuron_input_contributions(model, tokens, layer, 5)
    pre = cache_activations(model, tokens, [f"blocks.{layer}.mlp.hook_pre"])[f"blocks.{layer}.mlp.hook_pre"][..., 5]
    assert contributions.shape == (len(names), 3, 10) and names[0] == "embed" and names[-1] == "bias"
    assert len(names) == 2 + (layer + 1) * model.cfg.n_heads + layer
    torch.testing.assert_close(contributions.sum(0), pre.float().cpu(), atol=1e-4, rtol=1e-4)


def test_gap_shares_split_the_gap_between_groups():
    labels = torch.tensor([True, True, False, False])
    contributions = torch.tensor([[3.0, 3.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [5.0, 5.0, 5.0, 5.0]])
    torch.testing.assert_close(gap_shares(contributions, labels), torch.tensor([0.75, 0.25, 0.0]))


def test_secondary_tokens_are_the_strongest_distinct_tokens_outside_the_main_feature():
    activation = torch.tensor([9.0, 8.0, 7.0, 6.0, 5.0, 1.0])
    token_ids = torch.tensor([1, 2, 2, 3, 4, 5])
    main = torch.tensor([True, False, False, False, False, False])
    assert secondary_tokens(activation, token_ids, main, n=2, k=4).tolist() == [2, 3]


def test_small_neuron_output_share_is_the_projection_of_the_small_neurons_part():
    pre = torch.tensor([[10.0, 0.5, 0.5], [10.0, 5.0, 5.0]])
    post = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    w_out = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    # token 0: neuron 1 is small and writes (0, 1) of the total (1, 1): half; token 1: nothing is small
    torch.testing.assert_close(small_neuron_output_share(pre, post, w_out), torch.tensor([0.5, 0.0]))


def test_mlp_norm_activations_read_solu_before_its_layernorm():
    solu = TransformerBridge.boot_native(dict(BASE, act_fn="solu_ln", seed=0)).eval()
    tokens = random_tokens(2, 8, seed=3)
    before, after = mlp_norm_activations(solu, tokens, 1)
    pre = cache_activations(solu, tokens, ["blocks.1.mlp.hook_pre"])["blocks.1.mlp.hook_pre"].float()
    torch.testing.assert_close(before, pre * pre.softmax(-1))  # x * softmax(x), not yet normalised
    torch.testing.assert_close(after, neuron_activations(solu, tokens, [1])[0][0])
    gelu_before, gelu_after = mlp_norm_activations(toy_bridge("ln-gelu"), tokens, 0)
    torch.testing.assert_close(gelu_before, gelu_after)


def test_small_activation_ablation_zeroes_the_small_activations_before_the_norm():
    gelu, tokens = toy_bridge("ln-gelu"), random_tokens(2, 8, seed=4)
    post = neuron_activations(gelu, tokens, [0])[0][0]
    kept = post * (post.abs() >= 0.3 * post.abs().amax(-1, keepdim=True))
    with ablated(gelu, small_activation_ablation(gelu, [0], 0.3)):
        out = cache_activations(gelu, tokens, ["blocks.0.hook_mlp_out"])["blocks.0.hook_mlp_out"]
    torch.testing.assert_close(out, kept @ gelu.W_out[0].detach() + gelu.b_out[0].detach(), atol=1e-5, rtol=1e-4)
    solu = TransformerBridge.boot_native(dict(BASE, act_fn="solu_ln", seed=0)).eval()
    with ablated(solu, small_activation_ablation(solu, [1], 2.0)):  # everything is small: the norm sees zeros
        post = neuron_activations(solu, tokens, [1])[0][0]
    torch.testing.assert_close(post, post[:1, :1].expand_as(post))


def test_context_pair_activations_read_the_last_position_of_each_built_input():
    model, tokens = toy_bridge("ln-gelu"), torch.tensor([3, 7, 11])
    alone, combined = context_pair_activations(model, 0, 5, tokens, bos=0, context=4)
    acts = neuron_activations(model, torch.tensor([[0, 11, 11, 11, 11, 7], [0, 3, 3, 3, 3, 3], [0, 7, 7, 7, 7, 7]]), [0])[0]
    assert combined.shape == (3, 3) and alone.shape == (3,)
    torch.testing.assert_close(combined[1, 2], acts[0, 0, -1, 5])  # 11's run, then 7
    torch.testing.assert_close(combined.diagonal()[:1], acts[0, 1, -1, 5:6])
    torch.testing.assert_close(alone[1], neuron_activations(model, torch.tensor([[0, 7]]), [0])[0][0, 0, -1, 5])
