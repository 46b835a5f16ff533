import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom
from tests.toy_bridges import random_tokens, toy_bridge

from catalog.prompts.ioi import CLASS_POSITIONS
from harness.interp.ablation import cache_activations, mean_ablate_heads, mean_activations, run_with_hooks
from harness.interp.circuits import (HeadCircuitEvaluator, HeadPositionCircuitEvaluator, all_heads,
                                     binomial_upper_tail, completeness, faithfulness, head_positions, minimality,
                                     random_circuits, ranking_against_truth, sufficiency_test)
from harness.interp.hooks import Z_HOOK
from harness.interp.metrics import answer_logit_diff


@pytest.fixture(scope="module")
def evaluator():
    model = toy_bridge("attn-only")
    tokens, reference = random_tokens(4, 8, 0), random_tokens(16, 8, 1)
    answers = random_tokens(2, 4, 2)
    return HeadCircuitEvaluator(model, tokens, reference, answer_logit_diff(answers[0], answers[1]))


def test_the_whole_model_is_a_faithful_complete_circuit(evaluator):
    everything = all_heads(evaluator.model)
    result = faithfulness(evaluator, everything)
    assert result["circuit"] == pytest.approx(result["model"]) and result["ratio"] == pytest.approx(1.0)
    gaps = completeness(evaluator, everything, random_circuits(everything, 3, 5, seed=0))
    assert gaps.shape == (5,) and gaps.max() < 1e-5


def test_circuit_value_is_the_model_with_the_complement_mean_ablated(evaluator):
    model, circuit = evaluator.model, [(0, 1), (2, 3)]
    complement = [h for h in all_heads(model) if h not in circuit]
    reference = random_tokens(16, 8, 1)
    direct = evaluator.metric(run_with_hooks(model, evaluator.tokens, mean_ablate_heads(model, reference, complement)))
    assert evaluator.keeping(circuit) == pytest.approx(float(direct), abs=1e-5)


def test_minimality_with_empty_k_is_the_single_head_effect(evaluator):
    circuit = [(0, 0), (1, 2), (2, 1)]
    scores = minimality(evaluator, circuit)
    for head, score in zip(circuit, scores):
        rest = [h for h in circuit if h != head]
        assert score.item() == pytest.approx(abs(evaluator.keeping(rest) - evaluator.keeping(circuit)), abs=1e-6)
    with_k = minimality(evaluator, circuit, {(0, 0): [(1, 2)]})
    expected = abs(evaluator.keeping([(2, 1)]) - evaluator.keeping([(0, 0), (2, 1)]))
    assert with_k[0].item() == pytest.approx(expected, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 60), st.floats(0.01, 0.99), st.data())
def test_binomial_tail_matches_scipy(trials, p, data):
    successes = data.draw(st.integers(0, trials))
    assert binomial_upper_tail(successes, trials, p) == pytest.approx(binom.sf(successes - 1, trials, p), abs=1e-9)


def test_random_circuits_are_seeded_subsets():
    heads = [(l, h) for l in range(3) for h in range(4)]
    circuits = random_circuits(heads, 4, 10, seed=3)
    assert circuits == random_circuits(heads, 4, 10, seed=3)
    assert all(len(set(c)) == 4 and set(c) <= set(heads) for c in circuits)


def test_a_circuit_of_every_head_is_not_better_than_random(evaluator):
    """Every random circuit of full size is the full model: the candidate beats none, p = 1."""
    result = sufficiency_test(evaluator, all_heads(evaluator.model), n_random=20)
    assert result.beaten_fraction == 0.0 and result.p_value == pytest.approx(1.0)


class CountingEvaluator:
    """Stand-in evaluator over 20 heads where F(C) counts the important heads C keeps."""

    heads = [(layer, head) for layer in range(4) for head in range(5)]
    important = {(0, 1), (2, 3), (3, 0)}

    def keeping(self, circuit) -> float:
        return float(len(self.important & set(map(tuple, circuit))))

    def without(self, ablated) -> float:
        return self.keeping([h for h in self.heads if h not in set(map(tuple, ablated))])


def test_sufficiency_counts_the_random_circuits_the_candidate_beats():
    evaluator, n = CountingEvaluator(), 200
    candidate = sorted(evaluator.important)
    result = sufficiency_test(evaluator, candidate, n_random=n, q_star=0.9, seed=1)
    others = random_circuits(evaluator.heads, 3, n, seed=1)
    wins = sum(evaluator.keeping(c) < 3 for c in others)  # candidate gap 0, strictly beaten
    assert result.candidate_gap == 0 and result.beaten_fraction == wins / n
    assert result.p_value == pytest.approx(binom.sf(wins - 1, n, 0.9))
    assert result.p_value < 1e-6  # only 1 in C(20, 3) = 1140 random circuits ties the candidate
    weak = sufficiency_test(evaluator, [(1, 0), (1, 1), (0, 1)], n_random=n, q_star=0.9, seed=1)
    assert weak.p_value > 0.5


# Position-specific circuits with per-template means (Wang et al. 2022). Toy "templates": two
# groups of prompts whose reference rows differ in where a fixed token stands, so their
# per-position means differ.
N, SEQ = 8, 8


@pytest.fixture(scope="module")
def templated():
    """(evaluator, reference) on the ln-gelu bridge: 8 prompts, groups 0 and 1 alternating; the
    reference puts token 0 at position 2 (group 0) or 5 (group 1)."""
    model = toy_bridge("ln-gelu")
    tokens, reference = random_tokens(N, SEQ, 3), random_tokens(N, SEQ, 4)
    groups = torch.arange(N) % 2
    reference[groups == 0, 2] = 0
    reference[groups == 1, 5] = 0
    answers = random_tokens(2, N, 5)
    metric = answer_logit_diff(answers[0], answers[1])
    return HeadPositionCircuitEvaluator(model, tokens, reference, metric, groups), reference


def every_position(evaluator, heads):
    return {head: torch.arange(SEQ).expand(N, SEQ) for head in heads}


def test_the_full_head_position_circuit_is_faithful(templated):
    evaluator, _ = templated
    result = faithfulness(evaluator, every_position(evaluator, evaluator.heads))
    assert result["circuit"] == pytest.approx(result["model"], abs=1e-6) and result["ratio"] == pytest.approx(1.0)


def test_the_empty_circuit_is_the_model_with_every_head_replaced_by_its_template_mean(templated):
    evaluator, reference = templated
    groups = torch.arange(N) % 2
    names = [Z_HOOK.format(layer=l) for l in range(evaluator.model.cfg.n_layers)]
    acts = cache_activations(evaluator.model, reference, names)
    means = {name: torch.stack([act[groups == g].mean(0) for g in groups]) for name, act in acts.items()}

    hooks = [(name, lambda act, hook, mean=mean: mean.to(act.dtype)) for name, mean in means.items()]
    direct = evaluator.metric(run_with_hooks(evaluator.model, evaluator.tokens, hooks))
    assert evaluator.keeping({}) == pytest.approx(float(direct), abs=1e-5)


def test_template_means_differ_from_pooled_means_where_templates_differ(templated):
    evaluator, reference = templated
    name = Z_HOOK.format(layer=0)
    pooled = mean_activations(evaluator.model, reference, [name])[name][0]
    per_template = evaluator.means[name]
    assert not torch.allclose(per_template[0], pooled, atol=1e-4)
    assert not torch.allclose(per_template[0], per_template[1], atol=1e-4)
    assert torch.equal(per_template[0], per_template[2])  # same template, same mean
    pooled_evaluator = HeadPositionCircuitEvaluator(evaluator.model, evaluator.tokens, reference, evaluator.metric,
                                                    torch.zeros(N, dtype=torch.long))
    assert pooled_evaluator.keeping({}) != pytest.approx(evaluator.keeping({}), abs=1e-4)


def test_pooled_means_at_every_position_are_the_head_circuit_evaluator(templated):
    evaluator, reference = templated
    pooled = HeadPositionCircuitEvaluator(evaluator.model, evaluator.tokens, reference, evaluator.metric,
                                          torch.zeros(N, dtype=torch.long))
    heads_only = HeadCircuitEvaluator(evaluator.model, evaluator.tokens, reference, evaluator.metric)
    circuit = [(0, 1), (1, 3)]
    assert pooled.keeping(every_position(pooled, circuit)) == pytest.approx(heads_only.keeping(circuit), abs=1e-5)


def test_a_head_is_kept_at_its_circuit_positions_and_ablated_elsewhere(templated):
    evaluator, _ = templated
    kept = torch.tensor([1, 2, 3, 4, 5, 6, 7, 1])  # one position per prompt
    circuit = {(0, 2): kept}
    name = Z_HOOK.format(layer=0)
    seen = {}

    def capture(act, hook):
        seen["z"] = act.clone()

    run_with_hooks(evaluator.model, evaluator.tokens, evaluator.hooks(~evaluator.mask(circuit)) + [(name, capture)])
    clean = cache_activations(evaluator.model, evaluator.tokens, [name])[name]
    rows = torch.arange(N)
    inside = torch.zeros(N, SEQ, dtype=torch.bool)
    inside[rows, kept] = True
    z, mean = seen["z"][..., 2, :], evaluator.means[name][..., 2, :]
    # layer 0 reads only the embeddings, so a kept head's output is its clean output
    assert torch.allclose(z[inside], clean[..., 2, :][inside], atol=1e-6)
    assert torch.allclose(z[~inside], mean[~inside], atol=1e-6)
    assert not torch.allclose(clean[..., 2, :][~inside], mean[~inside], atol=1e-4)
    assert torch.allclose(seen["z"][..., 1, :], evaluator.means[name][..., 1, :], atol=1e-6)  # not in the circuit


def test_paper_style_circuit_by_class_runs_end_to_end(templated):
    """The gpt2-small replication claim's code path, on a toy bridge with a made-up circuit."""
    evaluator, _ = templated
    positions = {"IO": torch.full((N,), 1), "S1": torch.full((N,), 2), "S1+1": torch.full((N,), 3),
                 "S2": torch.arange(N) % 2 + 4, "end": torch.full((N,), SEQ - 1)}
    classes = {"name mover": [(1, 0)], "s-inhibition": [(1, 2)], "induction": [(0, 3)], "previous token": [(0, 1)],
               "duplicate token": [(0, 3)]}
    circuit = head_positions(classes, CLASS_POSITIONS, positions)
    assert circuit[(1, 0)].shape == (N, 1) and circuit[(0, 3)].shape == (N, 2)  # in two classes: both kept
    assert torch.equal(circuit[(0, 1)][:, 0], positions["S1+1"])
    result = faithfulness(evaluator, circuit)
    assert result["model"] == pytest.approx(evaluator.without({}))
    assert result["circuit"] == pytest.approx(evaluator.ablating(~evaluator.mask(circuit)))
    assert result["ratio"] == pytest.approx(result["circuit"] / result["model"])
    assert result["circuit"] != pytest.approx(evaluator.keeping({}), abs=1e-4)


def test_ranking_against_truth():
    scores = {"a": 3.0, "b": -2.0, "c": 0.5, "d": 0.0}
    got = ranking_against_truth(scores, truth={"a", "c"}, found_above=1.0)
    # found {a, b}: one of two found is in the circuit, one of two circuit parts found;
    # pairs (a>b, a>d, c<b, c>d) -> 3 of 4
    assert got == {"precision": 0.5, "recall": 0.5, "auroc": 0.75}
    assert ranking_against_truth({"a": 1.0, "b": 1.0}, {"a"}, 0.5)["auroc"] == 0.5
    assert math.isnan(ranking_against_truth({"a": 1.0}, {"a"}, 0.5)["auroc"])
