import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom
from tests.toy_bridges import random_tokens, toy_bridge

from harness.interp.ablation import mean_ablate_heads, run_with_hooks
from harness.interp.circuits import (CircuitEvaluator, all_heads, binomial_upper_tail, completeness, faithfulness,
                              minimality, random_circuits, ranking_against_truth,
                              sufficiency_test)
from harness.interp.metrics import answer_logit_diff


@pytest.fixture(scope="module")
def evaluator():
    model = toy_bridge("attn-only")
    tokens, reference = random_tokens(4, 8, 0), random_tokens(16, 8, 1)
    answers = random_tokens(2, 4, 2)
    return CircuitEvaluator(model, tokens, reference, answer_logit_diff(answers[0], answers[1]))


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


def test_ranking_against_truth():
    scores = {"a": 3.0, "b": -2.0, "c": 0.5, "d": 0.0}
    got = ranking_against_truth(scores, truth={"a", "c"}, found_above=1.0)
    # found {a, b}: one of two found is in the circuit, one of two circuit parts found;
    # pairs (a>b, a>d, c<b, c>d) -> 3 of 4
    assert got == {"precision": 0.5, "recall": 0.5, "auroc": 0.75}
    assert ranking_against_truth({"a": 1.0, "b": 1.0}, {"a"}, 0.5)["auroc"] == 0.5
    assert math.isnan(ranking_against_truth({"a": 1.0}, {"a"}, 0.5)["auroc"])
