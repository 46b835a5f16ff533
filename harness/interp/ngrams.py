"""Where a token stream repeats itself: the positions an induction head can predict."""

from __future__ import annotations

import torch


def repeated_bigrams(tokens: torch.Tensor) -> torch.Tensor:
    """[batch, pos - 1] bool, aligned with ``metrics.per_token_loss``: entry i is True when the
    bigram (``tokens[:, i]``, ``tokens[:, i + 1]``) already occurred earlier in the row (an
    induction head, attending to the token after the previous copy of ``tokens[:, i]``, predicts
    ``tokens[:, i + 1]``). tokens: [batch, pos]."""
    current, following = tokens[:, :-1], tokens[:, 1:]
    same = (current[:, :, None] == current[:, None, :]) & (following[:, :, None] == following[:, None, :])
    earlier = torch.ones(same.shape[1], same.shape[1], dtype=torch.bool).tril(-1)  # [i, j]: j < i
    return (same & earlier).any(-1)
