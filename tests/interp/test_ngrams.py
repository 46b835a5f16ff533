"""Repeated bigrams: the positions an induction head can predict."""

import torch

from harness.interp.ngrams import repeated_bigrams

def test_repeated_bigrams_marks_the_second_occurrence_only():
    tokens = torch.tensor([[5, 1, 2, 3, 1, 2, 1, 4]])
    # bigrams: (5,1) (1,2) (2,3) (3,1) (1,2)* (2,1) (1,4)
    assert repeated_bigrams(tokens).tolist() == [[False, False, False, False, True, False, False]]
