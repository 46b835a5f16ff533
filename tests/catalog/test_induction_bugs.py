"""The bug prompt sets: period repeats (phrases ended by the period, the whole repeated), ambiguous
repeats (a token twice with different successors), split-token repeats and skip-trigram prompts;
the masks pick the right predictions."""

import torch

from catalog.prompts.induction_bugs import ambiguous_repeats, period_repeats, skip_trigrams, split_token_repeats
from catalog.prompts.probe_text import TextCodec

# a toy codec: "w1".."w9" are one token with a leading space; bare, "wN" is the tokens 10 + N, 20 + N
WORDS = {" keep": 1, " in": 2, " mind": 3, " at": 4, " bay": 5}
CODEC = TextCodec(lambda text: [WORDS[text]] if text in WORDS else ([int(text[2:])] if text.startswith(" w")
                                                                     else [10 + int(text[1:]), 20 + int(text[1:])]),
                  str, 0)


def test_period_repeats_layout_and_masks():
    prompts = period_repeats(bos=0, period=7, d_vocab=9, batch=3, phrase_len=2, n_phrases=3, seed=1)
    tokens, half = prompts.tokens, 3 * 3
    assert tokens.shape == (3, 1 + 2 * half) and (tokens[:, 0] == 0).all()
    assert torch.equal(tokens[:, 1 : 1 + half], tokens[:, 1 + half :])
    assert (tokens[:, 3 : 1 + half : 3] == 7).all() and ((tokens[:, 1:] == 7).sum(1) == 6).all()
    current = tokens[:, :-1]
    assert (current[prompts.bug] == 7).all() and prompts.bug.sum(1).tolist() == [2, 2, 2]
    assert (current[prompts.control] != 7).all() and prompts.control.sum(1).tolist() == [6, 6, 6]
    assert not (prompts.first_copy & (prompts.bug | prompts.control)).any()


def test_ambiguous_repeats_mark_the_repeat_at_the_twice_seen_token():
    prompts = ambiguous_repeats(bos=0, d_vocab=50, batch=4, length=10, seed=2)
    tokens, current = prompts.tokens, prompts.tokens[:, :-1]
    assert tokens.shape == (4, 21) and torch.equal(tokens[:, 1:11], tokens[:, 11:])
    assert prompts.bug.sum(1).tolist() == [2, 2, 2, 2]
    for row in range(4):
        a = current[row][prompts.bug[row]]
        assert a[0] == a[1] and (tokens[row, 1:11] == a[0]).sum() == 2
        after = tokens[row, 1:][current[row] == a[0]]
        assert after[0] != after[1]  # different successors in the first copy
    assert not (prompts.bug & prompts.control).any() and not (prompts.first_copy & prompts.bug).any()


def test_split_token_repeats_differ_only_in_the_first_occurrence():
    prompts = split_token_repeats(CODEC, ["w3", "w4"], d_vocab=40, batch=5, gap=2, follow=2, seed=0)
    split, whole = prompts.split, prompts.whole
    assert split.shape == whole.shape == (5, 1 + 2 + 2 + 2 + 2 + 1 + 2)
    assert torch.equal(split[:, 5:], whole[:, 5:]) and torch.equal(split[:, :3], whole[:, :3])
    word = split[:, -3]  # the one-token second occurrence
    assert torch.equal(split[:, 3], word + 10) and torch.equal(split[:, 4], word + 20) and torch.equal(whole[:, 4], word)
    assert torch.equal(split[:, 1:][prompts.at], split[:, 5]) and torch.equal(split[:, 1:][prompts.first_copy], split[:, 5])


def test_skip_trigram_prompts_and_their_completions():
    prompts = skip_trigrams(CODEC, d_vocab=30, batch=3, gap=2, seed=0)
    assert prompts.tokens.shape == prompts.control.shape == (6, 5)
    assert (prompts.tokens[:, 1] == 1).all() and not (prompts.control[:, 1] == 1).any()
    assert torch.equal(prompts.tokens[:, 2:], prompts.control[:, 2:])
    assert prompts.tokens[:, -1].tolist() == [2, 2, 2, 4, 4, 4]
    assert prompts.right.tolist() == [3, 3, 3, 5, 5, 5] and prompts.wrong.tolist() == [5, 5, 5, 3, 3, 3]
