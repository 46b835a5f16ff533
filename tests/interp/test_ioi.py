"""harness.interp.ioi on hand-made tensors (the model-level functions run in claims/ioi)."""

from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from harness.interp.heads import top_heads
from harness.interp.ioi import attention_from_to, backup_heads, backup_share, compensation, position_targets


def test_position_targets_marks_one_pair_per_row():
    targets = position_targets(5, torch.tensor([4, 3]), torch.tensor([1, 0]))
    assert targets.shape == (2, 5, 5) and targets.sum() == 2
    assert targets[0, 4, 1] and targets[1, 3, 0]


def test_attention_from_to_reads_the_given_entries():
    patterns = torch.zeros(2, 2, 3, 4, 4)  # [layers, batch, heads, q, k]
    patterns[1, 0, 2, 3, 1] = 0.8
    patterns[1, 1, 2, 3, 0] = 0.4
    scores = attention_from_to(patterns, torch.tensor([3, 3]), torch.tensor([1, 0]))
    assert scores.shape == (2, 3)
    assert torch.isclose(scores[1, 2], torch.tensor(0.6)) and scores.sum() == scores[1, 2]


# integers: distinct Python floats can collapse to equal float32 values (tied argmin)
@given(st.lists(st.integers(-1000, 1000), min_size=12, max_size=12, unique=True), st.integers(1, 12))
def test_top_heads_are_sorted_and_largest(values, k):
    scores = torch.tensor(values, dtype=torch.float32).reshape(3, 4)
    heads = top_heads(scores, k)
    picked = [float(scores[h]) for h in heads]
    assert picked == sorted(picked, reverse=True)
    assert min(picked) >= sorted(values, reverse=True)[k - 1] - 1e-6
    assert top_heads(scores, 1, largest=False)[0] == divmod(int(scores.argmin()), 4)


def test_compensation_is_the_others_gain_over_the_removed_effect():
    before = torch.tensor([[2.0, 0.5], [0.0, 1.0]])
    after = torch.tensor([[0.0, 1.0], [0.5, 1.0]])  # head (0, 0) ablated: -2; others gain 1
    assert compensation(before, after, [(0, 0)]) == 0.5
    assert compensation(before, before.clone().index_put_((torch.tensor(0), torch.tensor(0)), torch.tensor(0.0)), [(0, 0)]) == 0


def test_backup_share_counts_gains_outside_the_ablated_heads_over_all_losses():
    before = torch.tensor([[0.1, 2.0], [1.0, 0.0]])
    # ablated (0, 0) loses 0.1 itself; the name mover (0, 1) loses 1.5; (1, 1) rises by 0.4
    after = torch.tensor([[0.0, 0.5], [1.0, 0.4]])
    assert torch.isclose(backup_share(before, after, [(0, 0)]), torch.tensor(0.4 / 1.6))
    # a rise of the ablated head itself is not backup
    assert backup_share(before, torch.tensor([[0.5, 0.5], [1.0, 0.0]]), [(0, 0)]) == 0


def test_backup_heads_rank_the_others_by_their_gain():
    before = torch.tensor([[2.0, 0.5], [0.0, 1.0]])
    after = torch.tensor([[0.0, 0.7], [0.9, 1.1]])  # (0, 0) ablated: the largest change, not a backup
    assert backup_heads(before, after, [(0, 0)], 2) == [(1, 0), (0, 1)]
