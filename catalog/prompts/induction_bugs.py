"""Prompt sets for the "bugs" of induction (open problems 1.19-1.22): where a copying head should
stop or go on. One so far:

- ``period_repeats``: phrases of random tokens, each ended by the model's "." token, the whole
  sequence then repeated. In the repeat, the token after a "." is as predictable by induction as
  any other; a model whose induction stops at end-of-phrase tokens (1.21) predicts it worse.
"""

from __future__ import annotations

import dataclasses

import torch

PHRASE_LEN = 5


@dataclasses.dataclass(frozen=True)
class PeriodRepeats:
    """tokens [batch, 1 + 2 * n_phrases * (phrase_len + 1)]: BOS, then the phrases twice;
    after_period / within_phrase [batch, seq - 1] bool, aligned with ``per_token_loss``: the
    repeat's predictions made at a "." (of the next phrase's first token) and inside a phrase;
    first_half [batch, seq - 1]: the predictions inside the first copy (not predictable)."""

    tokens: torch.Tensor
    after_period: torch.Tensor
    within_phrase: torch.Tensor
    first_half: torch.Tensor


def period_repeats(bos: int, period: int, d_vocab: int, batch: int = 8, phrase_len: int = PHRASE_LEN, n_phrases: int = 4,
                   seed: int = 0) -> PeriodRepeats:
    """Random tokens (ids 1 .. d_vocab - 1 other than ``period``, drawn with ``seed``) in
    ``n_phrases`` phrases of ``phrase_len`` tokens, each followed by ``period``; repeated once."""
    gen = torch.Generator().manual_seed(seed)
    words = torch.randint(1, d_vocab - 1, (batch, n_phrases, phrase_len), generator=gen)
    words = words + (words >= period).long()  # skip the period's id
    phrases = torch.cat([words, torch.full((batch, n_phrases, 1), period)], dim=2).flatten(1)
    tokens = torch.cat([torch.full((batch, 1), bos), phrases, phrases], dim=1)
    current = tokens[:, :-1]
    position = torch.arange(current.shape[1]).expand_as(current)
    in_repeat = position > phrases.shape[1]  # predictions from inside the second copy
    return PeriodRepeats(tokens, in_repeat & (current == period), in_repeat & (current != period),
                         (position >= 1) & (position < phrases.shape[1]))
