"""N-grams in a token stream: where it repeats itself (the positions an induction head can
predict), and whether a neuron reads the token before the current one (a trigram neuron)."""

from __future__ import annotations

import torch

from harness.interp.neurons import neuron_activations


def repeated_bigrams(tokens: torch.Tensor) -> torch.Tensor:
    """[batch, pos - 1] bool, aligned with ``metrics.per_token_loss``: entry i is True when the
    bigram (``tokens[:, i]``, ``tokens[:, i + 1]``) already occurred earlier in the row (an
    induction head, attending to the token after the previous copy of ``tokens[:, i]``, predicts
    ``tokens[:, i + 1]``). tokens: [batch, pos]."""
    current, following = tokens[:, :-1], tokens[:, 1:]
    same = (current[:, :, None] == current[:, None, :]) & (following[:, :, None] == following[:, None, :])
    earlier = torch.ones(same.shape[1], same.shape[1], dtype=torch.bool).tril(-1)  # [i, j]: j < i
    return (same & earlier).any(-1)


def bigram_after_prefixes(model, layer: int, neurons: torch.Tensor, bigrams: torch.Tensor, prefixes: torch.Tensor,
                          others: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(with_a [m], without_a [m], without_b [m]) for m candidate trigram neurons (``neurons`` [m],
    indices in ``layer``'s MLP) and their bigrams "A B" (``bigrams`` [m, 2]): each neuron's mean
    activation at the last token after each prefix (``prefixes`` [c, L], e.g. BOS and the start of
    a text window) followed by "A B", by "X B" and by "A X", with X the prefix's own next token
    (``others`` [c]); prefixes whose X is A are left out of the first two means, those whose X is
    B of the third (a trigram neuron needs both tokens: low on "X B" and on "A X")."""
    m, c = len(neurons), len(prefixes)
    a, b, x = bigrams[:, 0, None].expand(m, c), bigrams[:, 1, None].expand(m, c), others.expand(m, c)
    prompts = torch.stack([torch.cat([prefixes.expand(m, c, -1), first[..., None], second[..., None]], dim=-1)
                           for first, second in ((a, b), (x, b), (a, x))])  # [3, m, c, L + 2]
    acts, _ = neuron_activations(model, prompts.flatten(0, 2), [layer])
    at_last = acts[0, :, -1].view(3, m, c, -1).gather(3, neurons.to(acts.device).view(1, m, 1, 1).expand(3, m, c, 1))[..., 0]  # [3, m, c]
    keep = torch.stack([x != a, x != a, x != b]).float()  # [3, m, c]
    with_a, without_a, without_b = (at_last * keep).sum(-1) / keep.sum(-1).clamp(min=1)
    return with_a, without_a, without_b
