"""Period repeats: phrases ended by the period, the whole repeated; the masks pick the repeat's
predictions at periods and inside phrases, and the first copy's."""

import torch

from catalog.prompts.induction_bugs import period_repeats


def test_period_repeats_layout_and_masks():
    prompts = period_repeats(bos=0, period=7, d_vocab=9, batch=3, phrase_len=2, n_phrases=3, seed=1)
    tokens, half = prompts.tokens, 3 * 3
    assert tokens.shape == (3, 1 + 2 * half) and (tokens[:, 0] == 0).all()
    assert torch.equal(tokens[:, 1 : 1 + half], tokens[:, 1 + half :])
    assert (tokens[:, 3 : 1 + half : 3] == 7).all() and ((tokens[:, 1:] == 7).sum(1) == 6).all()
    current = tokens[:, :-1]
    assert (current[prompts.after_period] == 7).all() and prompts.after_period.sum(1).tolist() == [2, 2, 2]
    assert (current[prompts.within_phrase] != 7).all() and prompts.within_phrase.sum(1).tolist() == [6, 6, 6]
    assert not (prompts.first_half & (prompts.after_period | prompts.within_phrase)).any()
