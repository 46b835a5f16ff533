"""Neuron statistics: activations from one pass, AUROC against sklearn's, selected / held-out
AUROC, the token variance share, top-class purity, effective classes, polysemantic-neuron choice,
context separation, max correlation and column alignment on constructed cases."""

import torch
from sklearn.metrics import roc_auc_score
from tests.toy_bridges import random_tokens, toy_bridge

from harness.interp.ablation import cache_activations
from harness.interp.hooks import NEURON_HOOK, NORM_OUT_HOOK
from harness.interp.neurons import (auroc_per_neuron, column_alignment, context_separation, direct_paths,
                                    effective_classes, live_neurons, max_activating_contexts, max_correlation,
                                    monosemantic_classes, neuron_activations, neuroscope_token_share,
                                    polysemantic_neurons, selected_auroc, token_variance_share, top_class_purity,
                                    top_k_overlap, top_token_share)


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
