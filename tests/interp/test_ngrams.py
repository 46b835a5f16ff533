"""Repeated bigrams: the positions an induction head can predict."""

import torch

from harness.interp.ngrams import bigram_after_prefixes, repeated_bigrams

def test_repeated_bigrams_marks_the_second_occurrence_only():
    tokens = torch.tensor([[5, 1, 2, 3, 1, 2, 1, 4]])
    # bigrams: (5,1) (1,2) (2,3) (3,1) (1,2)* (2,1) (1,4)
    assert repeated_bigrams(tokens).tolist() == [[False, False, False, False, True, False, False]]


def test_bigram_after_prefixes_reads_each_candidate_at_b():
    from tests.toy_bridges import random_tokens, toy_bridge

    from harness.interp.neurons import neuron_activations

    model = toy_bridge("ln-gelu")
    prefixes, others = random_tokens(3, 4, seed=1), torch.tensor([5, 6, 7])
    neurons, bigrams = torch.tensor([2, 9]), torch.tensor([[5, 8], [1, 3]])
    measured = bigram_after_prefixes(model, 0, neurons, bigrams, prefixes, others)
    for i, (neuron, (a, b)) in enumerate(zip(neurons.tolist(), bigrams.tolist())):
        full = lambda t: torch.full((3,), t)  # noqa: E731
        for value, (first, second), keep in zip(measured, ((full(a), full(b)), (others, full(b)), (full(a), others)),
                                                (others != a, others != a, others != b)):
            # the prefixes whose X is A (5, for the first candidate) or B are left out where X replaces it
            at_last = neuron_activations(model, torch.cat([prefixes, first[:, None], second[:, None]], 1), [0])[0][0, :, -1, neuron]
            torch.testing.assert_close(value[i], at_last[keep].mean())
