"""catalog.head_superposition: the flag-rules task's sequences and answers."""

from __future__ import annotations

import torch

from catalog.head_superposition import (
    FLAG_COPY,
    FLAG_POSITION,
    FLAG_SWAP,
    FR_LEN,
    FR_SEQ,
    flag_rule_sequences,
    flag_rules_task,
    other_rule_answers,
    partner,
    rule_answers,
)


def test_partner_swaps_each_pair():
    words = torch.arange(3, 23)
    assert partner(words).tolist() == [4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19, 22, 21]
    assert (partner(partner(words)) == words).all()


def test_rules_answer_from_their_source():
    tokens = torch.tensor([[0, 3, 8, 9, 12, 14, FLAG_COPY], [0, 3, 8, 9, 12, 14, FLAG_SWAP]])
    assert rule_answers(tokens).tolist() == [3, 13]
    assert other_rule_answers(tokens).tolist() == [13, 3]


def test_task_sequences_hold_distinct_words_the_flag_and_the_answer():
    tokens, mask = flag_rules_task(torch.Generator().manual_seed(0), 64)
    assert tokens.shape == (64, FR_SEQ) and mask.shape == (64, FR_SEQ - 1)
    assert mask.nonzero()[:, 1].unique().tolist() == [FLAG_POSITION]  # only the answer, predicted at the flag
    words = tokens[:, 1 : FR_LEN + 1]
    assert all(len(set(row.tolist())) == FR_LEN for row in words) and (words >= 3).all()
    assert set(tokens[:, FLAG_POSITION].tolist()) == {FLAG_COPY, FLAG_SWAP}
    assert (tokens[:, -1] == rule_answers(tokens)).all()
    fixed = flag_rule_sequences(torch.Generator().manual_seed(0), 8, FLAG_SWAP)
    assert (fixed[:, FLAG_POSITION] == FLAG_SWAP).all()
